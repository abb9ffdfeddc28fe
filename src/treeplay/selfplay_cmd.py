"""``treeplay selfplay``: the command (``treeplay.selfplay`` runs the stages)."""

from __future__ import annotations

import sys
from typing import Any

DESCRIPTION = "T iterations of grow -> score -> pairs -> train, then evaluation, resumable."


def add_selfplay_parser(subparsers: Any) -> Any:
    """Add ``treeplay selfplay`` to ``subparsers``."""
    import argparse

    from treeplay.cli_args import output_dir

    summary = "run T self-play iterations end to end from a config, resumable"
    parser = subparsers.add_parser("selfplay", help=summary, description=DESCRIPTION,
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
    from treeplay.selfplay import run_dir, run_selfplay

    config = load_config(args.config, args.overrides)
    run = run_dir(config, args.out) if args.out else output_dir("out_dir/name")(str(run_dir(config)))
    result = run_selfplay(config, run)
    print(result.table())
    print(f"run finished: {run}  (report: treeplay report {run})", file=sys.stdout)
    return 0
