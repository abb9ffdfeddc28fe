"""Self-play: T iterations of grow -> score -> pairs -> train, then evaluation, resumable (``treeplay selfplay``).

A run directory (``<out_dir>/<name>/``) holds everything; ``treeplay.runs`` names its files.

Iteration t's opponent is the model of iteration t-1 (the base model for t = 1): it grows the trees (TSP), or
samples the rejected programs (SPIN), and it is the frozen reference of the DPO update (paper, steps 3 and 5).
The main player trained at iteration t is a LoRA adapter (or full weights) in ``iter_<t>/model``.

Every stage calls the stage's library function (``treeplay.pipeline``) with the run's config sections, the same
call its command makes with ``--config config.yaml`` (the manifest records that command line), so a selfplay run and
a hand-run pipeline do the same thing. Each stage resumes on its own (grow, score and eval append one record at a
time and skip what is there; train resumes from its last checkpoint; whole files are written by rename), and the
manifest records a stage only once it has finished: ``kill -9`` at any point, run the same command again, and it
finishes with the same artifacts, nothing duplicated or lost.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from treeplay.config import Config
from treeplay.data.importers import FORMATS
from treeplay.errors import ConfigError
from treeplay.records import write_text_atomic
from treeplay.runs import METRICS, TRAINER_STATE, RunLayout, iteration_dirs, load_manifest, record_stage

TREE_METHODS = ("tsp",)


@dataclass(frozen=True)
class Step:
    """One stage invocation: a name in the manifest, the command's argv, and the outputs it must leave."""

    name: str
    argv: tuple[str, ...]
    outputs: tuple[Path, ...]
    launcher: str | None = None  # run as `<launcher> -m treeplay <argv>` in a subprocess (multi-GPU training)
    call: Callable[[], Any] | None = field(default=None, compare=False)  # the library call argv stands for


def run_dir(config: Any, out: str | Path | None = None) -> Path:
    """Where a run lives: ``out`` when given, else ``<config.out_dir>/<config.name>``."""
    return Path(out) if out is not None else Path(config.out_dir) / config.name


def plan(config: Any, run: Path) -> list[Step]:
    """The stages of a run, in order (see the module docstring). Each step's argv is the stage command that does
    what its call does (recorded in the manifest; a step with a launcher runs it)."""
    method = config.train.method
    layout = RunLayout(run)
    cfg = str(layout.config)
    tasks = str(layout.tasks)
    steps = _eval_steps(config, run, 0, adapter=None) if config.eval.base else []
    if method in TREE_METHODS and config.iterations:
        steps.append(Step("nodes", ("nodes", tasks, "-o", str(layout.nodes), "--config", cfg), (layout.nodes,),
                          call=partial(_nodes_stage, config, layout)))
    adapter: str | None = config.model.adapter
    for t in range(1, config.iterations + 1):
        model = layout.model(t)
        model_args = _model_args(config, adapter)
        train = ["train", "--method", method, "--tasks", tasks, "-o", str(model), "--config", cfg, *model_args]
        if method in TREE_METHODS:
            trees, pairs = layout.trees(t), layout.pairs(t)
            steps.append(Step(f"iter_{t}/grow", ("grow", tasks, str(layout.nodes), "-o", str(trees),
                                                 "--iteration", str(t), "--config", cfg,
                                                 *_overrides(adapter)), (trees,),
                              call=partial(_grow_stage, config, layout, t, adapter)))
            pair_args = ["pairs", str(trees), tasks, "-o", str(pairs), "--config", cfg]
            verdicts = None
            if config.pairs.mode == "verified":
                verdicts = layout.verdicts(t)
                golden = ("--golden",) if config.pairs.inherited_findings == "ignore" else ()
                steps.append(Step(f"iter_{t}/score", ("score", tasks, "--trees", str(trees), "-o", str(verdicts),
                                                      "--config", cfg, *golden), (verdicts,),
                                  call=partial(_score_stage, config, layout, t)))
                pair_args += ["--verdicts", str(verdicts)]
            steps.append(Step(f"iter_{t}/pairs", tuple(pair_args), (pairs,),
                              call=partial(_pairs_stage, config, layout, t, verdicts)))
            train += ["--pairs", str(pairs), "--trees", str(trees)]
        steps.append(Step(f"iter_{t}/train", tuple(train), (model / TRAINER_STATE,), launcher=config.train.launcher,
                          call=partial(_train_stage, config, layout, t, adapter)))
        adapter = str(model)
        if t == config.iterations or config.eval.every_iteration:
            steps.extend(_eval_steps(config, run, t, adapter=adapter))
    return steps


# The stages' library calls: what the stage commands do with the run's config (their output lines included).


def _with_adapter(config: Any, adapter: str | None) -> Any:
    return replace(config.model, adapter=adapter) if adapter else config.model


def _nodes_stage(config: Any, layout: RunLayout) -> None:
    from treeplay.pipeline.nodes import find_nodes

    print(find_nodes(layout.tasks, layout.nodes, settings=config.nodes, model=config.model,
                     score=config.score).message())


def _grow_stage(config: Any, layout: RunLayout, t: int, adapter: str | None) -> None:
    from treeplay.pipeline.grow import grow

    print(grow(layout.tasks, layout.nodes, layout.trees(t), settings=config.grow,
               model=_with_adapter(config, adapter), score=config.score, iteration=t, progress=True).message())


def _score_stage(config: Any, layout: RunLayout, t: int) -> None:
    """Every key of the score section decides the verdicts (as in treeplay eval)."""
    from treeplay.oracles.scoring import score

    print(score(layout.tasks, layout.verdicts(t), settings=config.score, trees=layout.trees(t),
                progress=sys.stderr.isatty(), golden=config.pairs.inherited_findings == "ignore").message())


def _pairs_stage(config: Any, layout: RunLayout, t: int, verdicts: Path | None) -> None:
    from treeplay.pipeline.pairs import make_pairs

    made = make_pairs(layout.trees(t), layout.tasks, layout.pairs(t), settings=config.pairs, verdicts=verdicts)
    print(made.message())
    if made.warning():
        print(made.warning(), file=sys.stderr)


def _train_stage(config: Any, layout: RunLayout, t: int, adapter: str | None) -> None:
    from treeplay.config import dump_config
    from treeplay.pipeline.train import train_model

    tree = config.train.method in TREE_METHODS
    result = train_model(str(layout.tasks), layout.model(t), settings=config.train,
                         model=_with_adapter(config, adapter), grow=config.grow,
                         pairs=layout.pairs(t) if tree else None, trees=layout.trees(t) if tree else None,
                         data_dir=config.data_dir, config_text=dump_config(config), progress=True)
    if result.message():
        print(result.message())


def _eval_stage(config: Any, layout: RunLayout, benchmark: str, out: Path, adapter: str | None,
                data: str | None) -> None:
    from treeplay.pipeline.evaluate import evaluate, format_table

    result = evaluate(benchmark, out, settings=config.eval, score=config.score, model=_with_adapter(config, adapter),
                      data=data, limit=config.eval.limit or None, seen_from=layout.tasks, progress=True)
    print(format_table(result.metrics, result.out))


def _model_args(config: Any, adapter: str | None) -> list[str]:
    return ["--model", config.model.name, *(["--adapter", adapter] if adapter else [])]


def _overrides(adapter: str | None) -> list[str]:
    return [f"model.adapter={adapter}"] if adapter else []


def benchmarks(ev: Any) -> list[str]:
    """The benchmarks a run evaluates: ``eval.benchmarks`` when set, else ``eval.benchmark``."""
    return list(ev.benchmarks) or [ev.benchmark]


def _eval_steps(config: Any, run: Path, t: int, adapter: str | None) -> list[Step]:
    several = bool(config.eval.benchmarks)
    steps = []
    for spec in benchmarks(config.eval):
        name = benchmark_name(spec)
        layout = RunLayout(run)
        out = layout.eval_dir(t, name)
        bench = eval_benchmark(config, run, spec)
        argv = ["eval", "--benchmark", bench, "--out", str(out), "--seen-from", str(layout.tasks),
                "--config", str(layout.config), *_model_args(config, adapter)]
        data = None
        if config.eval.data and not materialized(config.eval, spec):
            data = config.eval.data.replace("{data_dir}", config.data_dir)
            argv += ["--data", data]
        if config.eval.limit:
            argv += ["--limit", str(config.eval.limit)]
        steps.append(Step(f"eval/iter_{t}/{name}" if several else f"eval/iter_{t}", tuple(argv), (out / METRICS,),
                          call=partial(_eval_stage, config, layout, bench, out, adapter, data)))
    return steps


def benchmark_name(benchmark: str) -> str:
    """The folder name of a benchmark's results: its name, the stem of a task file, or for task sources
    (``builtin:test``, ``safecoder:PATH+sec-eval:PATH``) the sources' names joined by ``+``."""
    from treeplay.data.importers import split_selectors

    parts = [part.strip() for part in benchmark.split("+")]
    if len(parts) > 1:
        return "+".join(benchmark_name(part) for part in parts)
    benchmark, selectors = split_selectors(benchmark, "eval.benchmark")
    if selectors:
        if "name" in selectors:
            return selectors["name"]
        rendered = "".join(f"-{key}{value.replace(',', '-').replace('/', 'of')}" for key, value in selectors.items())
        return benchmark_name(benchmark) + rendered
    if benchmark.startswith("builtin:"):
        return benchmark.replace(":", "-")
    fmt, sep, _ = benchmark.partition(":")
    if sep and fmt in FORMATS:
        return fmt
    return Path(benchmark).stem if ("/" in benchmark or benchmark.endswith(".jsonl")) else benchmark


def materialized(ev: Any, spec: str | None = None) -> bool:
    """Whether the evaluation tasks of ``spec`` (default ``eval.benchmark``) are written into the run before
    evaluating: for task sources (a builtin split, ``<format>:<path>``, several joined by ``+``), for every entry
    of ``eval.benchmarks``, and whenever ``eval.languages`` keeps only some languages. A named benchmark read with
    ``eval.data`` is passed to ``treeplay eval`` as is."""
    bench = ev.benchmark if spec is None else spec
    fmt, sep, _ = bench.partition(":")
    return (bool(ev.languages) or bool(ev.benchmarks) or "+" in bench or bench.startswith("builtin:")
            or bool(sep and fmt in FORMATS))


def eval_tasks_path(config: Any, run: Path, spec: str) -> Path:
    """Where a materialized benchmark's tasks are written: RUN/eval_tasks.jsonl, or one file per benchmark."""
    return RunLayout(run).eval_tasks(benchmark_name(spec) if config.eval.benchmarks else None)


def eval_benchmark(config: Any, run: Path, spec: str | None = None) -> str:
    """What ``treeplay eval --benchmark`` gets: a task source becomes the run's eval_tasks file."""
    spec = config.eval.benchmark if spec is None else spec
    return str(eval_tasks_path(config, run, spec)) if materialized(config.eval, spec) else spec


def prepare(config: Any, run: Path) -> None:
    """Create the run directory: the resolved config (or check it is unchanged) and the task files.

    A config.yaml saved before a config key was removed (``REMOVED_KEYS``, e.g. a top-level ``seed``) still
    matches; it is rewritten without that key, so the stage commands that read it (``--config``) accept it.
    Everything that can be wrong with the config or its task sources is found before anything is written, so a
    rejected command leaves no run folder behind to refuse the corrected one."""
    from treeplay.config import dump_config, saved_config_matches
    from treeplay.records import write_jsonl

    text = dump_config(config)
    saved = RunLayout(run).config
    old = saved.read_text(encoding="utf-8", errors="replace") if saved.exists() else None
    if old is not None and not saved_config_matches(old, text):
        raise ConfigError(f"{saved} was written by a different config", key=None,
                          fix="re-run with the same config and overrides, or pick a new run name (name=...)")
    names = [benchmark_name(spec) for spec in benchmarks(config.eval)]
    if len(set(names)) < len(names):
        raise ConfigError(f"two entries share the results folder name {names!r}",
                          key="eval.benchmarks", fix="tell them apart with @name=LABEL at the end of an entry")
    files = _task_files(config, run)
    run.mkdir(parents=True, exist_ok=True)
    if old != text:
        write_text_atomic(saved, text)
    for path, tasks in files.items():
        write_jsonl(path, tasks)


def _task_files(config: Any, run: Path) -> dict[Path, list[Any]]:
    """The task files a new run writes (training tasks, materialized benchmarks), read from their sources now;
    those already in the run folder are kept. Training sources that yield no task are an error."""
    from treeplay.data.importers import load_task_sources

    layout = RunLayout(run)
    out: dict[Path, list[Any]] = {}
    if not layout.tasks.exists():
        out[layout.tasks] = load_task_sources(config.tasks or "", data_dir=config.data_dir,
                                                     languages=config.languages, what="tasks")
    what = "eval.benchmarks" if config.eval.benchmarks else "eval.benchmark"
    for spec in benchmarks(config.eval):
        path = eval_tasks_path(config, run, spec)
        if not materialized(config.eval, spec):
            if not layout.eval_root.exists():  # read once now: a bad benchmark or eval.data stops the run here
                _check_benchmark(spec, config.eval.data and config.eval.data.replace("{data_dir}", config.data_dir),
                                 what)
            continue
        if path.exists():
            continue
        source = f"{spec}:{config.eval.data}" if spec in FORMATS and config.eval.data else spec
        out[path] = load_task_sources(source, data_dir=config.data_dir, languages=config.eval.languages, what=what)
    if out.get(layout.tasks) == []:  # nothing to train on: every stage after would fail
        raise ConfigError("its task sources give no task (after the language and selector filters)", key="tasks",
                          fix="check the sources, their @selectors and the languages kept")
    return out


def _check_benchmark(spec: str, data: str | None, what: str) -> None:
    """Read a benchmark the run evaluates later; its command-line errors are said in config words."""
    from treeplay.errors import UsageError
    from treeplay.eval.benchmarks import load_benchmark

    try:
        load_benchmark(spec, data)
    except UsageError as err:
        def words(text: str) -> str:
            return text.replace("--data PATH", "eval.data=PATH").replace("--data", "eval.data").replace(
                "--benchmark", what)

        key = "eval.data" if "--data" in f"{err.message} {err.fix}" else what
        raise ConfigError(words(err.message), key=key, fix=words(err.fix or "")) from None


def execute(steps: Sequence[Step], run: Path, runner: Callable[[Step], int], *,
            log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the steps not yet done, recording each in the manifest when it finishes."""
    manifest = load_manifest(run)
    for i, step in enumerate(steps, 1):
        done = manifest["stages"].get(step.name)
        if done and all(p.exists() for p in step.outputs):
            log(f"[{i}/{len(steps)}] {step.name}: done before, skipped")
            continue
        log(f"[{i}/{len(steps)}] {step.name}: treeplay {' '.join(step.argv[:1])} ...")
        start = time.perf_counter()
        code = runner(step)
        missing = [str(p) for p in step.outputs if not p.exists()]
        if code != 0 or missing:
            raise RuntimeError(f"stage {step.name} ended with exit code {code}"
                               + (f" and without {', '.join(missing)}" if missing else ""))
        wall = time.perf_counter() - start
        record_stage(run, manifest, step.name, argv=list(step.argv), outputs=[str(p) for p in step.outputs],
                     wall_s=wall)
        log(f"[{i}/{len(steps)}] {step.name}: finished in {wall:.1f} s")
    return manifest


def stage_runner(step: Step) -> int:
    """Run one stage in this process, errors raised (the outer command reports them): its library call, else its
    command; a step with a launcher runs as ``<launcher> -m treeplay <argv>`` (e.g. ``accelerate launch`` over
    several GPUs)."""
    if step.launcher:
        import shlex
        import subprocess

        return subprocess.run([*shlex.split(step.launcher), "-m", "treeplay", *step.argv], check=False).returncode
    if step.call is None:
        raise ValueError(f"stage {step.name} has neither a library call nor a launcher")
    step.call()
    return 0


@dataclass(frozen=True)
class SelfplayResult:
    """A finished run: its folder and its manifest (the stages done, their outputs and wall times)."""

    run: Path
    manifest: dict[str, Any]

    def table(self) -> str:
        """The base model against the last iteration, per benchmark (``before_after``)."""
        return before_after(self.run)


def run_selfplay(config: Config, run: Path | None = None, *,
                 log: Callable[[str], None] = print) -> SelfplayResult:
    """Run (or resume) the whole loop of ``config`` in ``run`` (default: ``<out_dir>/<name>``): prepare the run
    folder, then every stage not done yet, each recorded in the manifest when it finishes. ``log`` receives one
    line per stage."""
    folder = run_dir(config, run)
    prepare(config, folder)
    steps = plan(config, folder)
    log(f"run {folder}: {len(steps)} stages ({config.train.method}, {config.iterations} iteration(s))")
    return SelfplayResult(folder, execute(steps, folder, stage_runner, log=log))


def before_after(run: Path) -> str:
    """A small table per benchmark: the base model against the last iteration."""
    by_bench: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for t, folder in iteration_dirs(RunLayout(run).eval_root).items():
        for path in sorted(folder.glob(f"*/{METRICS}")):
            by_bench.setdefault(path.parent.name, []).append((t, json.loads(path.read_text(encoding="utf-8"))))
    if not by_bench:
        return "no evaluation yet"
    keys = ("spr@1", "secure@1", "func@1", "sec@1", "func-sec@1")
    lines = []
    for bench, rows in by_bench.items():
        rows.sort(key=lambda item: item[0])
        if len(by_bench) > 1:
            lines.append(bench)
        lines.append(f"{'':<14}" + "".join(f"{k:>12}" for k in keys) + f"{'vulnerable':>12}")
        for t, metrics in (rows[0], rows[-1]) if len(rows) > 1 else rows:
            label = "base" if t == 0 else f"iteration {t}"
            cells = "".join(f"{_pct(metrics.get(k)):>12}" for k in keys)
            lines.append(f"{label:<14}{cells}{metrics.get('vulnerable', 'n/a')!s:>12}")
    return "\n".join(lines)


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * float(value):.1f}%"
