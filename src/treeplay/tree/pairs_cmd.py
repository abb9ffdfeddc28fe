"""``treeplay pairs``: preference pairs from grown (and, in verified mode, scored) trees.

The lead wires ``add_pairs_parser`` into ``cli.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from treeplay.cli_args import output_file

EPILOG = """\
modes:
  paper     every branch is rejected against the golden path from its node on (the paper; no oracle)
  verified  branches judged by `treeplay score`: secure and functional ones become extra chosen paths,
            vulnerable or broken ones are rejected, copies of the golden code are dropped, unscored skipped
            (pairs.inherited_findings=ignore: a finding or failed test the branch shares with its golden
            program does not count against it; score the trees with `treeplay score --trees T --golden`)
Besides pairs.jsonl, pairs.trl.jsonl holds TRL's {"prompt", "chosen", "rejected"} (pairs.export_trl).

examples:
  treeplay pairs runs/x/iter_1/trees.jsonl runs/x/tasks.jsonl -o runs/x/iter_1/pairs.jsonl --mode paper
  treeplay pairs runs/x/iter_1/trees.jsonl runs/x/tasks.jsonl -o runs/x/iter_1/pairs.jsonl --mode verified \\
      --verdicts runs/x/iter_1/verdicts.jsonl
"""


def add_pairs_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``treeplay pairs`` to ``subparsers`` and return its parser."""
    from treeplay.tree.pairs import MODES

    summary = "extract preference pairs from scored trees (paper or verified mode)"
    parser = subparsers.add_parser("pairs", help=summary, description="E" + summary[1:] + ".",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", type=Path, help="trees.jsonl from treeplay grow")
    parser.add_argument("tasks", type=Path, help="the tasks.jsonl the trees were grown from")
    parser.add_argument("-o", "--output", type=output_file("-o"), required=True, help="pairs.jsonl to write")
    parser.add_argument("--mode", choices=MODES, help="paper | verified (default: pairs.mode)")
    parser.add_argument("--verdicts", type=Path, help="verified mode: verdicts.jsonl of the trees' leaves")
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    parser.add_argument("--config", metavar="FILE", help="YAML config (see configs/)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides")
    parser.set_defaults(func=run_pairs)
    return parser


def run_pairs(args: argparse.Namespace) -> int:
    """Handler of ``treeplay pairs``."""
    import dataclasses

    from treeplay.config import load_config
    from treeplay.pipeline.pairs import make_pairs

    config = load_config(args.config, args.overrides)
    settings = config.pairs if args.mode is None else dataclasses.replace(config.pairs, mode=args.mode)
    made = make_pairs(args.trees, args.tasks, args.output, settings=settings, verdicts=args.verdicts)
    print(made.as_json() if args.json else made.message())
    if made.warning():
        print(made.warning(), file=sys.stderr)
    return 0
