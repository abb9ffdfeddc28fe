"""``treeplay nodes``: find the CWE risk nodes of every task and write ``nodes.jsonl`` (or print statistics).

The lead wires ``add_nodes_parser`` into ``cli.py``. Methods that need heavy libraries (analyzers, torch) are
imported inside the handler.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from treeplay.cli_args import output_file
from treeplay.errors import UsageError
from treeplay.nodes import METHODS
from treeplay.nodes.common import NodeResult, node_stats, nodes_per_task
from treeplay.records import Task

EPILOG = """\
methods:
  annotation  the paper's GPT-4o nodes (tasks imported with --format tsp-annotated), matched to golden lines
  diff        the lines the vulnerability fix changed (vulnerable vs golden code)
  analyzer    lines the analyzers (score.analyzers, score.severity) flag in the vulnerable code
  entropy     lines where the model (model.name) is least sure of the golden code (nodes.top_k per task)
  llm         an OpenAI-compatible endpoint (nodes.endpoint, nodes.llm_model); key from $TREEPLAY_LLM_API_KEY
nodes.max_nodes caps nodes per task for diff, analyzer and llm (annotation keeps all: the paper's trees).

examples:
  treeplay nodes runs/x/tasks.jsonl --method diff -o runs/x/nodes.jsonl
  treeplay nodes sec-new-desc_annotated.json --format tsp-annotated --method annotation --stats --json
  treeplay nodes runs/x/tasks.jsonl --method llm nodes.endpoint=http://127.0.0.1:8000 nodes.llm_model=qwen -o n.jsonl
"""


def add_nodes_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``treeplay nodes`` to ``subparsers`` and return its parser."""
    from treeplay.data.importers import FORMATS

    summary = "find CWE risk nodes in golden code (annotation, diff, analyzer, entropy, llm)"
    parser = subparsers.add_parser("nodes", help=summary, description="F" + summary[1:] + ".",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", type=Path, help="tasks.jsonl (or a data set file with --format)")
    parser.add_argument("--format", "-f", default="native", choices=list(FORMATS), metavar="FORMAT",
                        help=f"read TASKS in this format: {', '.join(FORMATS)} (default: native tasks.jsonl)")
    parser.add_argument("--method", "-m", choices=METHODS, metavar="METHOD",
                        help=f"{' | '.join(METHODS)} (default: nodes.method)")
    parser.add_argument("-o", "--output", type=output_file("-o"), help="nodes.jsonl to write")
    parser.add_argument("--hunk-starts", action="store_true",
                        help="diff: only the first line of each changed hunk")
    parser.add_argument("--stats", action="store_true", help="print nodes per task and per CWE")
    parser.add_argument("--json", action="store_true",
                        help='with --stats: print {"tasks", "tasks_with_nodes", "nodes", "unmatched", "by_cwe"}')
    parser.add_argument("--config", metavar="FILE", help="YAML config (see configs/)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides")
    parser.set_defaults(func=run_nodes)
    return parser


def run_nodes(args: argparse.Namespace) -> int:
    """Handler of ``treeplay nodes``."""
    import dataclasses

    from treeplay.config import load_config
    from treeplay.pipeline.nodes import find_nodes

    config = load_config(args.config, args.overrides)
    if args.output is None and not args.stats:
        raise UsageError("nothing to do: give -o nodes.jsonl and/or --stats", fix="add -o nodes.jsonl or --stats")
    if args.json and not args.stats:
        raise UsageError("--json goes with --stats", fix="add --stats, or drop --json")
    settings = config.nodes if args.method is None else dataclasses.replace(config.nodes, method=args.method)
    found = find_nodes(args.tasks, args.output, settings=settings, model=config.model, score=config.score,
                       fmt=args.format, hunk_starts=args.hunk_starts)
    if args.output is not None and not (args.stats and args.json):
        print(found.message())
    if args.stats:
        _print_stats(list(found.tasks), found.result, found.method, as_json=args.json)
    return 0


def _print_stats(tasks: list[Task], result: NodeResult, method: str, *, as_json: bool) -> None:
    stats = node_stats(tasks, result)
    if as_json:
        print(json.dumps(stats))
        return
    share = stats["tasks_with_nodes"] / stats["tasks"] if stats["tasks"] else 0.0
    print(f"method: {method}   tasks: {stats['tasks']}   with nodes: {stats['tasks_with_nodes']} ({share:.1%})   "
          f"nodes: {stats['nodes']}   unmatched (dropped): {stats['unmatched']}")
    if result.counts:
        print("details: " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
    print("\nnodes per task:")
    for count, n_tasks in nodes_per_task(tasks, result).items():
        print(f"  {count:>3} nodes  {n_tasks:>6} tasks")
    print("\nby CWE:")
    for cwe, count in stats["by_cwe"].items():
        print(f"  {cwe:<14} {count:>6}")
