"""``evaluate``: a model (generate, then judge) or existing generations on a benchmark -> an evaluation folder
(``treeplay eval``).

The folder (``treeplay.runs``) receives ``generations.jsonl`` (native form, one program per line),
``verdicts.jsonl`` (one Verdict per program), ``metrics.json`` (see ``treeplay.eval.metrics``) and
``manifest.json`` (the settings that decided them). Both JSONL files are appended as work finishes, so a re-run
resumes: samples already generated are not generated again and programs already judged are not judged again; a
re-run with other settings is refused rather than mixed in.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeplay.config import EvalConfig, ModelConfig, ScoreConfig
from treeplay.errors import UsageError
from treeplay.oracles.scoring import score_programs
from treeplay.progress import OnProgress
from treeplay.records import Candidate, Task, Verdict, load_jsonl, resume_jsonl, write_text_atomic
from treeplay.runs import GENERATIONS, MANIFEST, METRICS, VERDICTS


@dataclass(frozen=True)
class EvalResult:
    """The evaluation folder and its metrics (``metrics.json``)."""

    out: Path
    metrics: dict[str, Any]


def evaluate(benchmark: str, out: Path | None = None, *, settings: EvalConfig | None = None,
             score: ScoreConfig | None = None, model: ModelConfig | None = None, generations: Path | None = None,
             data: str | None = None, limit: int | None = None, seen_from: Path | None = None,
             out_root: Path = Path("runs/run/eval"), progress: bool = False,
             on_progress: OnProgress | None = None) -> EvalResult:
    """Evaluate ``model`` (``settings.n_samples`` programs per task), or the programs of ``generations``, on
    ``benchmark`` (a name read from ``data``, a tasks.jsonl, or task sources): every program judged as the score
    section says; metrics written to ``out`` (default: ``out_root/<benchmark name>``). ``limit``: the first N
    tasks only; ``seen_from``: a training tasks.jsonl whose CWEs count as seen. ``progress``: bars on stderr;
    ``on_progress``: called with ("generate", tasks sampled, tasks to sample), then ("score", verdicts, candidates
    to judge) (``treeplay.progress``)."""
    from treeplay.cli_args import output_dir
    from treeplay.eval.benchmarks import load_benchmark, select_tasks
    from treeplay.eval.metrics import eval_metrics, samples_per_task

    ev = EvalConfig() if settings is None else settings
    score = ScoreConfig() if score is None else score
    spec = ModelConfig() if model is None else model
    _check_settings(ev, spec.prompt_format)
    bench = load_benchmark(benchmark, data)
    tasks = select_tasks(bench.tasks, limit)
    out = out or output_dir("out_dir/name")(str(out_root / bench.name))
    name = None if generations else spec.name
    adapter = None if generations else spec.adapter
    label = None if name is None else (name if adapter is None else f"{name}+{adapter}")
    check_manifest(out, _settings(ev, score, spec.prompt_format, bench.name, label))
    if generations is not None:
        candidates = _candidates_from_file(generations, bench.tasks, tasks, out / GENERATIONS)
    else:
        candidates = _generate(tasks, out / GENERATIONS, ev, spec, progress, on_progress)
    by_id = {t.id: t for t in tasks}
    verdicts, new = score_programs(by_id, candidates, out / VERDICTS, settings=score, timeout=score.timeout,
                                   progress=progress, on_progress=on_progress)
    if len(new) < len(verdicts):  # say so: a resumed run's verdicts were decided by the earlier run
        print(f"treeplay: resumed: {len(verdicts) - len(new)} of {len(verdicts)} verdict(s) reused from "
              f"{out / VERDICTS} (an earlier run)", file=sys.stderr)
    seen = None if seen_from is None else {c for t in load_jsonl(seen_from, Task) for c in t.cwes}
    metrics = {"benchmark": bench.name, "model": label,
               "generations": None if generations is None else str(generations),
               "n_samples": samples_per_task(verdicts), "temperature": ev.temperature, "top_p": ev.top_p,
               **eval_metrics(verdicts, by_id, seen_cwes=seen, severity=score.severity, seed=ev.seed,
                              resamples=ev.bootstrap),
               **paper_spr(candidates, verdicts, by_id, score)}
    if (metrics.get("paper") or {}).get("ci95"):
        metrics["ci95"]["spr@1[paper]"] = metrics["paper"]["ci95"]
    write_json(out / METRICS, metrics)
    return EvalResult(out, metrics)


def paper_spr(candidates: Sequence[Candidate], verdicts: Sequence[Verdict], tasks: Mapping[str, Task],
              score: ScoreConfig) -> dict[str, Any]:
    """``spr@1[paper]``: the paper's SPR@1 (1 - flagged / parsed) under the ``paper`` scan profile, over the
    parsed programs in its languages, and ``paper`` (its counts and 95% interval). None when the run asked for
    no static analysis or the profile covers none of the programs; the scan is cached like any other."""
    from treeplay.errors import ToolMissingError
    from treeplay.eval.metrics import wilson_interval
    from treeplay.oracles.profiles import get_profile

    if not score.analyzers:
        return {"spr@1[paper]": None}
    try:
        flags = paper_flags(candidates, verdicts, tasks)
    except ToolMissingError as err:
        print(f"treeplay: spr@1[paper] not computed: {err} (fix: {err.fix})", file=sys.stderr)
        return {"spr@1[paper]": None}
    if not flags:
        return {"spr@1[paper]": None}
    flagged = sum(flags.values())
    interval = wilson_interval(len(flags) - flagged, len(flags))
    return {"spr@1[paper]": 1 - flagged / len(flags),
            "paper": {"parsed": len(flags), "flagged": flagged, "analyzers": list(get_profile("paper").analyzers),
                      "ci95": list(interval) if interval else None}}


def paper_flags(candidates: Sequence[Candidate], verdicts: Sequence[Verdict],
                tasks: Mapping[str, Task]) -> dict[str, bool]:
    """Per parsed candidate in the ``paper`` profile's languages (by candidate id): whether that profile flags it."""
    from treeplay.oracles.base import Program
    from treeplay.oracles.profiles import get_profile, profile_scan

    languages = get_profile("paper").languages
    programs = []
    for cand, verdict in zip(candidates, verdicts, strict=True):
        task = tasks.get(cand.task_id)
        if task is not None and verdict.parsed and (languages is None or task.language in languages):
            programs.append(Program(verdict.candidate_id, task.language, task.prefix + cand.completion))
    found = profile_scan(programs, "paper") if programs else {}
    return {key: bool(findings) for key, findings in found.items()}


def _settings(ev: EvalConfig, score: ScoreConfig, prompt_format: str, benchmark: str,
              model: str | None) -> dict[str, Any]:
    """What decides the programs and verdicts of a run folder (a re-run must match it to resume)."""
    settings: dict[str, Any] = {"benchmark": benchmark, "model": model, "analyzers": list(score.analyzers),
                                "severity": score.severity, "run_tests": score.run_tests}
    if model is not None:
        settings.update(backend=ev.backend, temperature=ev.temperature, top_p=ev.top_p, seed=ev.seed,
                        max_new_tokens=ev.max_new_tokens, stop=ev.stop, prompt_format=prompt_format)
    return settings


def _check_settings(ev: Any, prompt_format: str) -> None:
    """Bad eval values are ConfigErrors naming the key."""
    from treeplay.config_checks import check_sampling

    check_sampling("eval", section=ev, n=("n_samples", ev.n_samples), prompt_format=prompt_format,
                   extra=[("eval.bootstrap", ev.bootstrap >= 1, "at least 1")])


def check_manifest(out: Path, settings: Mapping[str, Any]) -> None:
    """Refuse to resume work in ``out`` that was done with other settings; then record ``settings`` there.

    Only finished work counts: a folder without generations or verdicts yet (say, the model name had a typo)
    takes the new settings.
    """
    path = out / MANIFEST
    work = [name for name in (GENERATIONS, VERDICTS)
            if (out / name).is_file() and (out / name).stat().st_size > 0]
    if work:
        fix = "use another --out (or delete that folder)"
        try:
            before = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        except ValueError:  # not JSON, or not even UTF-8 text
            before = None
        if not isinstance(before, dict):
            raise UsageError(f"{out} holds {work[0]} but no manifest.json of treeplay eval", fix=fix)
        for key in sorted(set(before) | set(settings)):
            if before.get(key) != settings.get(key):
                raise UsageError(f"{out} holds a run with {key}={before.get(key)!r}, this one has "
                                 f"{settings.get(key)!r}", fix=fix)
    write_json(path, dict(settings))


def _candidates_from_file(path: Path, all_tasks: Sequence[Task], tasks: Sequence[Task],
                          out: Path) -> list[Candidate]:
    """The generations of ``tasks`` in ``path``, copied to ``out`` in native form (checked against a previous copy)."""
    from treeplay.eval.generations import read_generations, write_generations

    wanted = {t.id for t in tasks}
    candidates = [c for c in read_generations(path, {t.id: t for t in all_tasks}) if c.task_id in wanted]
    missing = len(wanted - {c.task_id for c in candidates})
    if missing:
        print(f"treeplay: {missing} of {len(wanted)} task(s) have no generation in {path}; judging the others",
              file=sys.stderr)
    before = {c.candidate_id: c for c in resume_jsonl(out, Candidate)}
    changed = [c.candidate_id for c in candidates if c.candidate_id in before and before[c.candidate_id] != c]
    if changed:
        raise UsageError(f"{out} holds other programs under the same ids (e.g. {changed[0]!r})",
                         fix="use another --out for other generations (or delete that folder)")
    write_generations(out, candidates)
    return candidates


def _generate(tasks: Sequence[Task], out: Path, ev: EvalConfig, spec: ModelConfig,
              progress: bool, on_progress: OnProgress | None) -> list[Candidate]:
    """Sample ``eval.n_samples`` programs per task with the model (resuming ``out``)."""
    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.build import build_backend
    from treeplay.engine.generate import generate_all, sample_id

    ids = [sample_id(t.id, k) for t in tasks for k in range(ev.n_samples)]
    done = {c.candidate_id: c for c in resume_jsonl(out, Candidate)}
    reused = sum(i in done for i in ids)
    if reused == len(ids):  # nothing to sample: do not load the model at all
        print(f"treeplay: resumed: all {len(ids)} program(s) already generated in {out} (an earlier run) reused",
              file=sys.stderr)
        return [done[i] for i in ids]
    if reused:
        print(f"treeplay: resumed: {reused} of {len(ids)} program(s) reused from {out} (an earlier run)",
              file=sys.stderr)
    sampling = SamplingParams(width=ev.n_samples, temperature=ev.temperature, top_p=ev.top_p,
                              max_new_tokens=ev.max_new_tokens)
    backend, tokenizer = build_backend(ev.backend, spec.name, adapter=spec.adapter, dtype=spec.dtype,
                                       device=spec.device, endpoint=ev.endpoint)
    candidates, stats = generate_all(tasks, backend, tokenizer, sampling, out, seed=ev.seed, stop=ev.stop,
                                     prompt_format=spec.prompt_format, progress=progress, on_progress=on_progress)
    print(f"treeplay: generated {stats.samples} program(s) for {stats.tasks} task(s) ({stats.tokens} tokens)"
          + (f"; {stats.skipped} task(s) already done" if stats.skipped else ""), file=sys.stderr)
    return candidates


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (temporary file, fsync, rename): readers never see half a file."""
    write_text_atomic(path, json.dumps(data, indent=1) + "\n")


def format_table(metrics: Mapping[str, Any], out: Path) -> str:
    """A short summary: counts, the headline metrics with their intervals, and a line per language."""
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    source = metrics["model"] or metrics["generations"]
    lines = [f"{metrics['benchmark']}: {source}, {metrics['n_samples']} sample(s) per task -> {out}",
             f"programs {metrics['n']} on {metrics['tasks']} task(s) ({metrics['with_tests']} with tests): "
             f"{metrics['parsed']} parsed, {metrics['flagged']} flagged, {metrics['vulnerable']} vulnerable",
             f"{'metric':<13} {'value':>7}  95% CI"]
    names = [k for k in metrics if "@" in k and metrics[k] is not None]
    for name in names:
        ci = metrics["ci95"].get(name)
        interval = f"[{pct(ci[0])}, {pct(ci[1])}]" if ci else ""
        lines.append(f"{name:<13} {pct(metrics[name]):>7}  {interval}")
    groups = [*metrics["by_language"].items(), *((k, metrics[k]) for k in ("seen", "unseen") if k in metrics)]
    for name, block in groups:
        lines.append(f"  {name:<11} spr@1 {pct(block['spr@1'])}  secure@1 {pct(block['secure@1'])}  "
                     f"func-sec@1 {pct(block['func-sec@1'])}  ({block['n']} programs)")
    return "\n".join(lines)
