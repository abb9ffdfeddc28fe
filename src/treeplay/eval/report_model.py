"""The report's run model: evaluated runs read from their folders, and the rows and cells the report shows
(``report.py`` writes the report from it).

A report recomputes nothing: it shows the numbers that ``treeplay eval`` and the trainers wrote. It reads
- a self-play run directory: ``config.yaml``, ``eval/iter_<t>/<benchmark>/metrics.json`` (iteration 0 is the base
  model, before training), ``iter_<t>/model/metrics.jsonl`` (one training step per line) and ``trainer_state.json``;
- a plain ``treeplay eval --out DIR`` folder (``DIR/metrics.json``) or a folder of them
  (``DIR/<benchmark>/metrics.json``): one row, labelled by the folder name.

Metric values are fractions in [0, 1] (``ci95`` too) and are shown as percentages; null or missing shows "n/a".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from treeplay.errors import DataError, UsageError
from treeplay.records import iter_json_lines
from treeplay.runs import METRICS as METRICS_FILE
from treeplay.runs import TRAINER_STATE, TRAINING_LOG, RunLayout, iteration_dirs

METRICS = ("spr@1", "spr@1[paper]", "secure@1", "func-sec@1")  # the methods table's columns, per benchmark
TITLES = {"spr@1": "SPR@1", "spr@1[paper]": "SPR@1 [paper]", "secure@1": "secure@1", "func-sec@1": "func-sec@1",
          "func@1": "func@1", "sec@1": "sec@1"}
NUMBER_KEYS = ("n_samples", "n", "tasks", "with_tests", "parsed", "flagged", "vulnerable", *TITLES)
SPLITS = ("seen", "unseen")
METHOD_LABELS = {"sft": "SFT", "dpo": "DPO", "spin": "SPIN (self-play)"}
METRICS_FIX = "re-run `treeplay eval` for that benchmark, or fix the file so it is one JSON object of metrics"


@dataclass(frozen=True)
class Run:
    """One run directory as the report sees it.

    ``evals`` maps iteration -> benchmark -> the metrics.json object (a plain eval folder has iteration 0 only and
    ``selfplay`` False); ``training`` maps iteration -> the rows of its metrics.jsonl; ``states`` maps iteration
    -> its trainer_state.json.
    """

    name: str
    path: Path
    selfplay: bool
    method: str | None = None
    pairs_mode: str | None = None
    grow_stop: str | None = None  # statement: local branches (grow.stop); function (the default) otherwise
    model: str | None = None
    evals: Mapping[int, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    training: Mapping[int, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    states: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    stages: Mapping[str, float] = field(default_factory=dict)  # selfplay manifest: stage -> wall seconds


@dataclass(frozen=True)
class Row:
    """A line of the comparison tables: the base model (iteration 0), or a run at its final iteration."""

    label: str
    run: Run
    iteration: int
    results: Mapping[str, Mapping[str, Any]]  # benchmark -> metrics
    base: bool = False


@dataclass(frozen=True)
class Report:
    """The files one report wrote."""

    markdown: Path
    html: Path
    plots: tuple[Path, ...]


# ---------------------------------------------------------------------------------------------------- reading


def read_metrics(path: Path) -> dict[str, Any]:
    """One metrics.json, checked: a JSON object whose metrics are numbers or null; errors name the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"not valid JSON ({err.msg} at column {err.colno})", file=path, line=err.lineno,
                        fix=METRICS_FIX) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read it ({err})", file=path, fix=METRICS_FIX) from None
    problem = _metrics_problem(data, "")
    if problem:
        raise DataError(problem, file=path, fix=METRICS_FIX)
    return data


def _metrics_problem(data: Any, where: str) -> str | None:
    """Why ``data`` is not a metrics object (None when it is); nested groups are checked the same way."""
    if not isinstance(data, dict):
        return f"{where or 'the file'} should be a JSON object of metrics, got {type(data).__name__}"
    for key in NUMBER_KEYS:
        value = data.get(key)
        if value is not None and not _is_number(value):
            return f"'{where}{key}' should be a number or null, got {value!r}"
    if not isinstance(data.get("ci95") or {}, dict):
        return f"'{where}ci95' should be an object of [low, high] intervals"
    for key, bounds in (data.get("ci95") or {}).items():
        if bounds is not None and not (isinstance(bounds, list) and len(bounds) == 2
                                       and all(b is None or _is_number(b) for b in bounds)):
            return f"'{where}ci95.{key}' should be [low, high], got {bounds!r}"
    for key in ("by_cwe", "by_language"):
        groups = data.get(key) or {}
        if not isinstance(groups, dict):
            return f"'{where}{key}' should be an object, got {type(groups).__name__}"
        for name, group in groups.items():
            if problem := _metrics_problem(group, f"{where}{key}.{name}."):
                return problem
    for key in SPLITS:
        if data.get(key) is not None and (problem := _metrics_problem(data[key], f"{where}{key}.")):
            return problem
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _read_object(path: Path) -> dict[str, Any]:
    """A YAML or JSON file holding one mapping (config.yaml, trainer_state.json); errors name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read it ({str(err).splitlines()[0]})", file=path,
                        fix="restore the file from the run, or delete it to report without it") from None
    if not isinstance(data, dict):
        raise DataError("expected a mapping at the top level", file=path, fix="restore the file from the run")
    return data


def _benchmarks_in(folder: Path) -> dict[str, dict[str, Any]]:
    """benchmark -> metrics for ``folder/metrics.json`` and every ``folder/<benchmark>/metrics.json``."""
    found: dict[str, dict[str, Any]] = {}
    if (folder / METRICS_FILE).is_file():
        metrics = read_metrics(folder / METRICS_FILE)
        name = metrics.get("benchmark")
        found[Path(name).stem if isinstance(name, str) and name else folder.name] = metrics
    for path in sorted(folder.glob(f"*/{METRICS_FILE}")):
        found[path.parent.name] = read_metrics(path)
    return found


def _read_training(run_dir: Path) -> tuple[dict[int, list[dict[str, Any]]], dict[int, dict[str, Any]]]:
    """Per iteration: the training log rows (metrics.jsonl) and trainer_state.json, where they exist."""
    logs: dict[int, list[dict[str, Any]]] = {}
    states: dict[int, dict[str, Any]] = {}
    layout = RunLayout(run_dir)
    for t in iteration_dirs(run_dir):
        log = layout.model(t) / TRAINING_LOG
        if log.is_file():
            rows = []
            for number, row in iter_json_lines(log):
                if not isinstance(row, dict):
                    raise DataError("expected one JSON object per training step", file=log, line=number,
                                    fix="restore the log from the run, or delete it to report without curves")
                rows.append(row)
            logs[t] = rows
        if (layout.model(t) / TRAINER_STATE).is_file():
            states[t] = _read_object(layout.model(t) / TRAINER_STATE)
    return logs, states


def _read_stages(manifest: Path) -> dict[str, float]:
    """stage name -> wall seconds from a selfplay manifest.json (empty when there is none)."""
    if not manifest.is_file():
        return {}
    stages = _read_object(manifest).get("stages")
    if not isinstance(stages, dict):
        raise DataError("expected a 'stages' mapping", file=manifest, fix="restore manifest.json from the run")
    return {name: float(info["wall_s"]) for name, info in stages.items()
            if isinstance(info, dict) and _is_number(info.get("wall_s"))}


def load_run(path: Path) -> Run:
    """Read one run directory (self-play run, eval folder, or folder of eval folders); see the module docstring."""
    path = Path(path)
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory", fix="give a run directory (runs/<name>) or a treeplay eval --out")
    layout = RunLayout(path)
    config = _read_object(layout.config) if layout.config.is_file() else {}
    name = str(config.get("name") or path.resolve().name)
    iterations = iteration_dirs(layout.eval_root)
    if iterations:
        evals = {t: found for t, folder in iterations.items() if (found := _benchmarks_in(folder))}
        logs, states = _read_training(path)
        section = lambda key: config.get(key) if isinstance(config.get(key), dict) else {}  # noqa: E731
        run = Run(name=name, path=path, selfplay=True, method=section("train").get("method"),
                  pairs_mode=section("pairs").get("mode"), grow_stop=section("grow").get("stop"),
                  model=section("model").get("name"),
                  evals=evals, training=logs, states=states, stages=_read_stages(layout.manifest))
    else:
        found = _benchmarks_in(path) or _benchmarks_in(layout.eval_root)
        run = Run(name=path.resolve().name, path=path, selfplay=False, evals={0: found} if found else {})
    if not run.evals:
        raise UsageError(f"{path}: no metrics.json found (looked in eval/iter_<t>/<benchmark>/, <benchmark>/ and "
                         "the folder itself)",
                         fix="evaluate first: `treeplay eval ... --out DIR` or `treeplay selfplay --config ...`")
    return run


def collect_runs(paths: Sequence[Path]) -> list[Run]:
    """Load every run; names are made unique (``name#2``) so legends and plot files never collide."""
    runs, seen = [], set()
    for path in paths:
        run = load_run(Path(path))
        name, k = run.name, 1
        while name in seen:
            k += 1
            name = f"{run.name}#{k}"
        seen.add(name)
        runs.append(replace(run, name=name))
    return runs


# ------------------------------------------------------------------------------------------------ comparisons


def method_label(method: str | None, pairs_mode: str | None, grow_stop: str | None = None) -> str | None:
    """The paper's row names: SFT, DPO, SPIN (self-play), TSP (paper), TSP (verified), with ", local" for local
    branches (``grow.stop=statement``); None when unknown."""
    if not method:
        return None
    if method == "tsp":
        return f"TSP ({pairs_mode or 'paper'}{', local' if grow_stop == 'statement' else ''})"
    return METHOD_LABELS.get(method, method.upper())


def base_only(run: Run) -> bool:
    """A self-play run that evaluated the base model only (``iterations: 0``)."""
    return run.selfplay and set(run.evals) == {0}


def run_labels(runs: Sequence[Run]) -> dict[str, str]:
    """run name -> label: the method for self-play runs ("Base" for one that only evaluated the base model), the
    folder name otherwise, ``[name]`` added on ties."""
    def label(r: Run) -> str | None:
        if not r.selfplay:
            return None
        return "Base" if base_only(r) else method_label(r.method, r.pairs_mode, r.grow_stop)

    raw = {r.name: label(r) or r.name for r in runs}
    counts = {label: list(raw.values()).count(label) for label in raw.values()}
    return {name: f"{label} [{name}]" if counts[label] > 1 else label for name, label in raw.items()}


def comparison_rows(runs: Sequence[Run]) -> list[Row]:
    """Base (iteration 0 of the first self-play run that has one), then every run at its final iteration (except
    the base's own run when it evaluated nothing else)."""
    labels = run_labels(runs)
    rows = []
    base = next((r for r in runs if r.selfplay and 0 in r.evals), None)
    if base is not None:
        rows.append(Row("Base", base, 0, base.evals[0], base=True))
    for run in runs:
        if run is base and base_only(run):
            continue
        final = max(run.evals)
        rows.append(Row(labels[run.name], run, final, run.evals[final]))
    return rows


def find_rows(rows: Sequence[Row], names: Sequence[str]) -> list[Row]:
    """The comparison rows that ``names`` (``treeplay report --against``) name: a run's name, its folder or its
    label ("Base" for the base model); a name that matches no row is a UsageError listing the choices."""
    found = []
    for name in names:
        match = [r for r in rows if name in ((r.label,) if r.base else
                                             (r.label, r.run.name, str(r.run.path), r.run.path.name))]
        if not match:
            choices = ", ".join(dict.fromkeys(r.run.name if not r.base else r.label for r in rows))
            raise UsageError(f"--against {name}: no run of this report has that name, folder or label",
                             fix=f"pick one of: {choices}")
        if not any(match[0] is row for row in found):
            found.append(match[0])
    return found


def benchmarks_of(runs: Sequence[Run]) -> list[str]:
    """Every benchmark any run evaluated, in order of first appearance."""
    names: dict[str, None] = {}
    for run in runs:
        for results in run.evals.values():
            names.update(dict.fromkeys(results))
    return list(names)


def pct(value: Any, ci: Any = None) -> str:
    """``0.745, [0.701, 0.786]`` -> ``74.5% [70.1, 78.6]``; not a number -> ``n/a``."""
    if not _is_number(value):
        return "n/a"
    text = f"{100 * value:.1f}%"
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_is_number(b) for b in ci):
        text += f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
    return text


def metric_cell(metrics: Mapping[str, Any] | None, key: str, *, with_ci: bool = True) -> str:
    """One metric of a metrics object as shown in a table (with its 95% CI when known)."""
    if not metrics:
        return "n/a"
    ci = (metrics.get("ci95") or {}).get(key) if with_ci else None
    return pct(metrics.get(key), ci)


def count_cell(value: Any) -> str:
    """A count as shown in a table (``n``, ``vulnerable``, steps); not a number -> ``n/a``."""
    return str(int(value)) if _is_number(value) else "n/a"


def reduction(run_vulnerable: Any, base_vulnerable: Any) -> float | None:
    """1 - vulnerable_run / vulnerable_base (the paper's "reduction in vulnerabilities"); None when undefined."""
    if not (_is_number(run_vulnerable) and _is_number(base_vulnerable)) or base_vulnerable <= 0:
        return None
    return 1.0 - run_vulnerable / base_vulnerable


def primary_metric(groups: Sequence[Mapping[str, Any]]) -> str:
    """The headline metric these metrics objects share: SPR@1 where any has it, else secure@1."""
    for key in ("spr@1", "secure@1"):
        if any(_is_number(g.get(key)) for g in groups):
            return key
    return "spr@1"
