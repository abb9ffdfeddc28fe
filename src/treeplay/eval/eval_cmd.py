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
from pathlib import Path

from treeplay.cli_args import count, output_dir
from treeplay.errors import UsageError
from treeplay.runs import RunLayout

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
    """Handler of ``treeplay eval``: the eval, score and model sections, with the flags given on top."""
    import dataclasses

    from treeplay.config import load_config
    from treeplay.pipeline.evaluate import evaluate, format_table

    config = load_config(args.config, args.overrides)
    if args.generations is not None and args.adapter is not None:
        raise UsageError("--adapter applies to --model, not to --generations", fix="drop --adapter")
    model = dataclasses.replace(config.model, name=args.model or config.model.name,
                                adapter=args.adapter or config.model.adapter)
    result = evaluate(args.benchmark or config.eval.benchmark, args.out, settings=config.eval, score=config.score,
                      model=model, generations=args.generations, data=args.data, limit=args.limit,
                      seen_from=args.seen_from, out_root=RunLayout(Path(config.out_dir) / config.name).eval_root,
                      progress=not args.no_progress)
    print(json.dumps(result.metrics, indent=1) if args.json else format_table(result.metrics, result.out))
    return 0
