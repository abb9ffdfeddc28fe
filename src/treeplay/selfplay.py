"""``treeplay selfplay``: T iterations of grow -> score -> pairs -> train, then evaluation, resumable.

A run directory (``<out_dir>/<name>/``) holds everything; ``treeplay.runs`` names its files.

Iteration t's opponent is the model of iteration t-1 (the base model for t = 1): it grows the trees (TSP), or
samples the rejected programs (SPIN), and it is the frozen reference of the DPO update (paper, steps 3 and 5).
The main player trained at iteration t is a LoRA adapter (or full weights) in ``iter_<t>/model``.

Every stage is the stage command itself, run in this process with ``--config config.yaml``, so a selfplay run and
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
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

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
    """The stages of a run, in order (see the module docstring)."""
    method = config.train.method
    layout = RunLayout(run)
    cfg = str(layout.config)
    tasks = str(layout.tasks)
    steps = _eval_steps(config, run, 0, adapter=None) if config.eval.base else []
    if method in TREE_METHODS:
        steps.append(Step("nodes", ("nodes", tasks, "-o", str(layout.nodes), "--config", cfg), (layout.nodes,)))
    adapter: str | None = config.model.adapter
    for t in range(1, config.iterations + 1):
        model = layout.model(t)
        model_args = _model_args(config, adapter)
        train = ["train", "--method", method, "--tasks", tasks, "-o", str(model), "--config", cfg, *model_args]
        if method in TREE_METHODS:
            trees, pairs = layout.trees(t), layout.pairs(t)
            steps.append(Step(f"iter_{t}/grow", ("grow", tasks, str(layout.nodes), "-o", str(trees),
                                                 "--iteration", str(t), "--config", cfg,
                                                 *_overrides(adapter)), (trees,)))
            pair_args = ["pairs", str(trees), tasks, "-o", str(pairs), "--config", cfg]
            if config.pairs.mode == "verified":
                verdicts = layout.verdicts(t)
                steps.append(Step(f"iter_{t}/score", ("score", tasks, "--trees", str(trees), "-o", str(verdicts),
                                                      "--config", cfg), (verdicts,),
                                  call=partial(_score_stage, layout.tasks, trees, verdicts, config.score)))
                pair_args += ["--verdicts", str(verdicts)]
            steps.append(Step(f"iter_{t}/pairs", tuple(pair_args), (pairs,)))
            train += ["--pairs", str(pairs), "--trees", str(trees)]
        steps.append(Step(f"iter_{t}/train", tuple(train), (model / TRAINER_STATE,), launcher=config.train.launcher))
        adapter = str(model)
        if t == config.iterations or config.eval.every_iteration:
            steps.extend(_eval_steps(config, run, t, adapter=adapter))
    return steps


def _score_stage(tasks: Path, trees: Path, verdicts: Path, settings: Any) -> None:
    """A run's score stage: every key of the score section decides the verdicts (as in treeplay eval)."""
    from treeplay.oracles.scoring import score

    print(score(tasks, verdicts, settings=settings, trees=trees, progress=sys.stderr.isatty()).message())


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
        argv = ["eval", "--benchmark", eval_benchmark(config, run, spec), "--out", str(out),
                "--seen-from", str(layout.tasks), "--config", str(layout.config),
                *_model_args(config, adapter)]
        if config.eval.data and not materialized(config.eval, spec):
            argv += ["--data", config.eval.data.replace("{data_dir}", config.data_dir)]
        if config.eval.limit:
            argv += ["--limit", str(config.eval.limit)]
        steps.append(Step(f"eval/iter_{t}/{name}" if several else f"eval/iter_{t}", tuple(argv),
                          (out / METRICS,)))
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
        rendered = "".join(f"-{key}{value.replace(',', '-')}" for key, value in selectors.items())
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

    Everything that can be wrong with the config or its task sources is found before anything is written, so a
    rejected command leaves no run folder behind to refuse the corrected one."""
    from treeplay.config import dump_config
    from treeplay.records import write_jsonl

    text = dump_config(config)
    saved = RunLayout(run).config
    if saved.exists() and saved.read_text(encoding="utf-8", errors="replace") != text:
        raise ConfigError(f"{saved} was written by a different config", key=None,
                          fix="re-run with the same config and overrides, or pick a new run name (name=...)")
    names = [benchmark_name(spec) for spec in benchmarks(config.eval)]
    if len(set(names)) < len(names):
        raise ConfigError(f"two entries share the results folder name {names!r}",
                          key="eval.benchmarks", fix="tell them apart with @name=LABEL at the end of an entry")
    files = _task_files(config, run)
    run.mkdir(parents=True, exist_ok=True)
    if not saved.exists():
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
    if step.call is not None:
        step.call()
        return 0
    from treeplay.cli import build_parser, parse_args

    args = parse_args(build_parser(), list(step.argv))
    return int(args.func(args) or 0)


def run_selfplay(config: Any, run: Path, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Prepare the run directory and run every stage not done yet; returns the manifest."""
    prepare(config, run)
    steps = plan(config, run)
    log(f"run {run}: {len(steps)} stages ({config.train.method}, {config.iterations} iteration(s))")
    return execute(steps, run, stage_runner, log=log)


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


def add_selfplay_parser(subparsers: Any) -> Any:
    """Add ``treeplay selfplay`` to ``subparsers``."""
    import argparse

    from treeplay.cli_args import output_dir

    summary = "run T self-play iterations end to end from a config, resumable"
    parser = subparsers.add_parser("selfplay", help=summary, description=__doc__.split("\n\n")[0].split(": ", 1)[1],
                                   formatter_class=argparse.RawDescriptionHelpFormatter, epilog=SELFPLAY_EPILOG)
    parser.add_argument("--config", metavar="FILE", help="YAML config (configs/demo.yaml, configs/verified-tsp.yaml, "
                                                         "configs/paper-codellama7b.yaml, configs/baseline-*.yaml)")
    parser.add_argument("--out", type=output_dir("--out"), metavar="DIR",
                        help="run directory (default: <out_dir>/<name>)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides")
    parser.set_defaults(func=_run_selfplay_command)
    return parser


SELFPLAY_EPILOG = """\
stages (each is the stage command itself, recorded in manifest.json when done):
  eval iteration 0 (base) -> nodes -> for t in 1..T: grow -> [score] -> pairs -> train -> eval iteration t
  (sft / dpo / spin train straight from the tasks; spin samples its rejected programs from model t-1)
examples:
  treeplay selfplay --config configs/demo.yaml
  treeplay selfplay --config configs/verified-tsp.yaml name=vt iterations=3
  treeplay selfplay --config configs/baseline-spin.yaml tasks=runs/data/tasks.jsonl
Kill it at any point and run the same command again: it resumes where it stopped.
"""


def _run_selfplay_command(args: Any) -> int:
    from treeplay.cli_args import output_dir
    from treeplay.config import load_config

    config = load_config(args.config, args.overrides)
    run = run_dir(config, args.out) if args.out else output_dir("out_dir/name")(str(run_dir(config)))
    run_selfplay(config, run)
    print(before_after(run))
    print(f"run finished: {run}  (report: treeplay report {run})", file=sys.stdout)
    return 0
