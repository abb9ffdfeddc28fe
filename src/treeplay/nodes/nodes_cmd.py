"""``treeplay nodes``: find the CWE risk nodes of every task and write ``nodes.jsonl`` (or print statistics).

The lead wires ``add_nodes_parser`` into ``cli.py``. Methods that need heavy libraries (analyzers, torch) are
imported inside the handler.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

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
    from treeplay.config import load_config
    from treeplay.data.importers import import_tasks
    from treeplay.records import write_jsonl

    config = load_config(args.config, args.overrides)
    if args.output is None and not args.stats:
        raise UsageError("nothing to do: give -o nodes.jsonl and/or --stats", fix="add -o nodes.jsonl or --stats")
    if args.json and not args.stats:
        raise UsageError("--json goes with --stats", fix="add --stats, or drop --json")
    method = args.method or config.nodes.method
    if method not in METHODS:
        raise UsageError(f"unknown node method {method!r}", fix=f"use one of: {', '.join(METHODS)}")
    tasks = import_tasks(args.format, args.tasks)  # tasks without golden code count, with no nodes
    result = find_nodes(tasks, method, config, hunk_starts=args.hunk_starts)
    if args.output is not None:
        written = write_jsonl(args.output, result.nodes)
        stats = node_stats(tasks, result)
        if not (args.stats and args.json):
            print(f"wrote {written} {method} nodes for {stats['tasks_with_nodes']} of {stats['tasks']} tasks "
                  f"to {args.output} ({result.unmatched} unmatched)")
    if args.stats:
        _print_stats(tasks, result, method, as_json=args.json)
    return 0


def find_nodes(tasks: list[Task], method: str, config: Any, *, hunk_starts: bool = False) -> NodeResult:
    """Dispatch to the method's module with the settings it takes from ``config`` (a ``treeplay.config.Config``)."""
    nodes_cfg = config.nodes
    if method == "annotation":
        from treeplay.nodes.annotation import annotation_nodes

        if not any(t.annotations for t in tasks):
            raise UsageError("no task carries annotations",
                             fix="import the TSP release with --format tsp-annotated (sec-new-desc_annotated.json)")
        return annotation_nodes(tasks)
    if method == "diff":
        from treeplay.nodes.diff import diff_nodes

        return diff_nodes(tasks, first_only=hunk_starts, max_nodes=nodes_cfg.max_nodes)
    if method == "analyzer":
        from treeplay.nodes.analyzer import analyzer_nodes

        return analyzer_nodes(tasks, analyzers=config.score.analyzers, severity=config.score.severity,
                              max_nodes=nodes_cfg.max_nodes)
    if method == "entropy":
        return _entropy(tasks, config)
    return _llm(tasks, config)


def _entropy(tasks: list[Task], config: Any) -> NodeResult:
    from treeplay.engine.loading import load_model
    from treeplay.engine.prompts import build_prompt
    from treeplay.nodes.entropy import entropy_nodes

    loaded = load_model(config.model.name, adapter=config.model.adapter, dtype=config.model.dtype,
                        device=config.model.device)

    def encode(task: Task) -> tuple:
        # exactly the ids the opponent reads when it grows the tree (grow uses the same build_prompt)
        parts = build_prompt(task, loaded.tokenizer, config.model.prompt_format)
        return parts.prompt_ids, parts.golden_ids, parts.golden_starts

    return entropy_nodes(tasks, loaded.model, loaded.tokenizer, top_k=config.nodes.top_k, encode=encode)


def _llm(tasks: list[Task], config: Any) -> NodeResult:
    from treeplay.nodes.llm import llm_nodes

    nodes_cfg = config.nodes
    if not nodes_cfg.endpoint or not nodes_cfg.llm_model:
        raise UsageError("the llm method needs nodes.endpoint and nodes.llm_model",
                         fix="e.g. nodes.endpoint=http://127.0.0.1:8000 nodes.llm_model=Qwen/Qwen2.5-Coder-7B-Instruct")
    return llm_nodes(tasks, endpoint=nodes_cfg.endpoint, model=nodes_cfg.llm_model,
                     api_key=os.environ.get("TREEPLAY_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY"),
                     max_nodes=nodes_cfg.max_nodes)


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
