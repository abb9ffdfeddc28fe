"""``treeplay pairs``: preference pairs from grown (and, in verified mode, scored) trees.

The lead wires ``add_pairs_parser`` into ``cli.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from treeplay.cli_args import output_file
from treeplay.errors import UsageError

EPILOG = """\
modes:
  paper     every branch is rejected against the golden path from its node on (the paper; no oracle)
  verified  branches judged by `treeplay score`: secure and functional ones become extra chosen paths,
            vulnerable or broken ones are rejected, copies of the golden code are dropped, unscored skipped
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
    from treeplay.config import load_config
    from treeplay.records import Task, Tree, Verdict, load_jsonl
    from treeplay.tree.pairs import extract_pairs, write_pairs

    config = load_config(args.config, args.overrides)
    mode = args.mode or config.pairs.mode
    if mode == "verified" and args.verdicts is None:
        raise UsageError("verified mode needs --verdicts verdicts.jsonl",
                         fix="score the trees' leaves first (treeplay score), or use --mode paper")
    if mode == "paper" and args.verdicts is not None:
        raise UsageError("--verdicts is only read in verified mode", fix="add --mode verified, or drop --verdicts")
    trees = load_jsonl(args.trees, Tree)
    tasks = {t.id: t for t in load_jsonl(args.tasks, Task)}
    verdicts = None
    if args.verdicts is not None:
        verdicts = {v.candidate_id: v for v in load_jsonl(args.verdicts, Verdict)}  # a re-score: the last wins
    result = extract_pairs(trees, tasks, mode=mode, verdicts=verdicts)
    trl = write_pairs(args.output, result.pairs, export_trl=config.pairs.export_trl)
    counts = dict(result.counts)
    if args.json:
        print(json.dumps({"mode": mode, **counts, "by_reason": dict(result.by_reason)}))
    else:
        where = f"{args.output}" + (f" (TRL export: {trl})" if trl else "")
        print(f"wrote {counts['pairs']} {mode} pairs from {counts['trees']} trees to {where}")
        print("branches: " + ", ".join(f"{k} {counts[k]}" for k in counts if k not in ("trees", "pairs")))
        if result.by_reason:
            print("pairs by reason: " + ", ".join(f"{k} {v}" for k, v in result.by_reason.items()))
    if mode == "verified" and counts["unscored"] and not counts["secure"] + counts["vulnerable"] + counts["broken"]:
        print("warning: no branch had a verdict; were the verdicts scored on these trees' leaves?", file=sys.stderr)
    return 0
