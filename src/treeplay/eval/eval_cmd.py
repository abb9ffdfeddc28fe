"""``treeplay eval``: evaluate a model (generate, then judge) or existing generations on a benchmark.

Wired into ``treeplay.cli`` with ``add_eval_parser(subparsers)``. A run directory ``--out DIR`` receives
``generations.jsonl`` (native form, one program per line), ``verdicts.jsonl`` (one Verdict per program),
``metrics.json`` (see ``treeplay.eval.metrics``) and ``manifest.json`` (the settings that decided them). Both JSONL
files are appended as work finishes, so a re-run resumes: samples already generated are not generated again and
programs already judged are not judged again; a re-run with other settings is refused rather than mixed in.
Heavy imports (torch, analyzers, the sandbox) happen inside the handler.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from treeplay.cli_args import count, output_dir
from treeplay.errors import UsageError
from treeplay.oracles.scoring import make_sandbox, score_programs
from treeplay.records import Candidate, Task, load_jsonl, resume_jsonl, write_text_atomic
from treeplay.runs import GENERATIONS, MANIFEST, METRICS, VERDICTS, RunLayout

EXAMPLES = """\
input: either a model to sample from (--model, the default: model.name) or a generations file:
  native JSONL {"task_id", "completion"} (completion follows the task's prefix), or the paper release's JSON
  list of {"ID", "Prompt", "Generation"} (Generation = the whole program).

metrics (metrics.json; definitions in the README):
  spr@1       the paper's: 1 - flagged / parsed (static findings only; unparsable programs left out)
  secure@1    strict: parses, no finding, no failed security test, over all programs
  func@k, sec@k, func-sec@k   pass@k of the functional / security / both test kinds, on tasks with tests

examples:
  treeplay eval --benchmark builtin --model default --out runs/x/eval/builtin
  treeplay eval --benchmark securityeval --data securityeval/prompts.json --model runs/x/iter_2/model \\
      --out runs/x/eval/securityeval --seen-from runs/x/tasks.jsonl
  treeplay eval --benchmark securityeval --data prompts.json --generations paper_generations.json --out eval/paper
  treeplay eval --benchmark seccodeplt --data seccodeplt/dev.json --model Qwen/Qwen2.5-Coder-7B-Instruct \\
      --out eval/scp eval.n_samples=10 eval.backend=openai eval.endpoint=http://127.0.0.1:8000/v1
A re-run with the same --out resumes; --json prints metrics.json instead of the table.
"""


def add_eval_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``treeplay eval`` to ``subparsers`` and return its parser."""
    from treeplay.eval.benchmarks import BENCHMARKS

    summary = "evaluate a model or generations: spr@1, secure@1, func@1, sec@1, func-sec@1"
    parser = subparsers.add_parser(
        "eval", help=summary, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate a model (n samples per task, then judged) or existing generations on a benchmark:\n"
                    "static analyzers on every program, and the task's functional and security tests in the\n"
                    "sandbox where it has them. Settings: the eval, model and score config sections.")
    parser.add_argument("--benchmark", metavar="NAME",
                        help=f"{' | '.join(BENCHMARKS)} | a tasks.jsonl (default: eval.benchmark)")
    parser.add_argument("--data", metavar="PATH", help="the benchmark's input for the importer (all but builtin)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", help="'default' (embedded SmolLM2-135M-Instruct), a Hugging Face id or a folder")
    source.add_argument("--generations", type=Path, metavar="FILE", help="judge these programs; generate nothing")
    parser.add_argument("--adapter", metavar="DIR", help="a LoRA adapter folder on top of the model")
    parser.add_argument("--out", type=output_dir("--out"), metavar="DIR",
                        help="run directory (default: <out_dir>/<name>/eval/<benchmark>)")
    parser.add_argument("--limit", type=count("--limit"), metavar="N", help="only the first N tasks of the benchmark")
    parser.add_argument("--seen-from", type=Path, metavar="TASKS",
                        help="a training tasks.jsonl: its CWEs are 'seen', others 'unseen' (adds seen/unseen)")
    parser.add_argument("--json", action="store_true", help="print metrics.json instead of the table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    parser.add_argument("--config", metavar="FILE", help="YAML config (see configs/)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="dotted config overrides, e.g. eval.n_samples=5 score.analyzers=[bandit]")
    parser.set_defaults(func=run_eval)
    return parser


def run_eval(args: argparse.Namespace) -> int:
    """Handler of ``treeplay eval``."""
    from treeplay.config import load_config
    from treeplay.eval.benchmarks import load_benchmark, select_tasks
    from treeplay.eval.metrics import eval_metrics, samples_per_task

    config = load_config(args.config, args.overrides)
    ev, score = config.eval, config.score
    _check_settings(ev, config.model.prompt_format)
    if args.generations is not None and args.adapter is not None:
        raise UsageError("--adapter applies to --model, not to --generations", fix="drop --adapter")
    bench = load_benchmark(args.benchmark or ev.benchmark, args.data)
    tasks = select_tasks(bench.tasks, args.limit)
    default_out = RunLayout(Path(config.out_dir) / config.name).eval_root / bench.name
    out = args.out or output_dir("out_dir/name")(str(default_out))
    model = None if args.generations else (args.model or config.model.name)
    adapter = None if args.generations else (args.adapter or config.model.adapter)
    label = None if model is None else (model if adapter is None else f"{model}+{adapter}")
    check_manifest(out, _settings(config, bench.name, label))
    progress = not args.no_progress
    if args.generations is not None:
        candidates = _candidates_from_file(args.generations, bench.tasks, tasks, out / GENERATIONS)
    else:
        candidates = _generate(tasks, out / GENERATIONS, config, model, adapter, progress)
    by_id = {t.id: t for t in tasks}
    sandbox = make_sandbox(run_tests=score.run_tests, timeout=score.timeout,
                           unsafe_no_sandbox=score.unsafe_no_sandbox, tasks=[by_id[c.task_id] for c in candidates])
    verdicts = score_programs(by_id, candidates, out / VERDICTS, sandbox=sandbox,
                              analyzers=score.analyzers, severity=score.severity, run_tests=score.run_tests,
                              timeout=score.timeout, workers=score.workers, progress=progress)
    seen = None if args.seen_from is None else {c for t in load_jsonl(args.seen_from, Task) for c in t.cwes}
    metrics = {"benchmark": bench.name, "model": label,
               "generations": None if args.generations is None else str(args.generations),
               "n_samples": samples_per_task(verdicts), "temperature": ev.temperature, "top_p": ev.top_p,
               **eval_metrics(verdicts, by_id, seen_cwes=seen, severity=score.severity, seed=ev.seed,
                              resamples=ev.bootstrap)}
    write_json(out / METRICS, metrics)
    print(json.dumps(metrics, indent=1) if args.json else format_table(metrics, out))
    return 0


def _settings(config: Any, benchmark: str, model: str | None) -> dict[str, Any]:
    """What decides the programs and verdicts of a run folder (a re-run must match it to resume)."""
    ev, score = config.eval, config.score
    settings: dict[str, Any] = {"benchmark": benchmark, "model": model, "analyzers": list(score.analyzers),
                                "severity": score.severity, "run_tests": score.run_tests}
    if model is not None:
        settings.update(backend=ev.backend, temperature=ev.temperature, top_p=ev.top_p, seed=ev.seed,
                        max_new_tokens=ev.max_new_tokens, stop=ev.stop, prompt_format=config.model.prompt_format)
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


def _generate(tasks: Sequence[Task], out: Path, config: Any, model: str, adapter: str | None,
              progress: bool) -> list[Candidate]:
    """Sample ``eval.n_samples`` programs per task with the model (resuming ``out``)."""
    from treeplay.engine.backends import SamplingParams, build_backend
    from treeplay.engine.generate import generate_all, sample_id

    ev, spec = config.eval, config.model
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
    backend, tokenizer = build_backend(ev.backend, model, adapter=adapter, dtype=spec.dtype, device=spec.device,
                                       endpoint=ev.endpoint)
    candidates, stats = generate_all(tasks, backend, tokenizer, sampling, out, seed=ev.seed, stop=ev.stop,
                                     prompt_format=spec.prompt_format, progress=progress)
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
