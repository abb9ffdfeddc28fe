"""``treeplay grow``: grow one tree per task (K branches at every risk node) into trees.jsonl.

Wired into ``treeplay.cli`` with ``add_grow_parser(subparsers)``. Heavy imports (torch, transformers) happen inside
the handler, so building the parser (``treeplay --help``) stays light.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from treeplay.cli_args import count, output_file, shard

EXAMPLES = """\
examples:
  treeplay grow runs/x/tasks.jsonl runs/x/nodes.jsonl -o runs/x/iter_1/trees.jsonl
  treeplay grow tasks.jsonl nodes.jsonl -o trees.jsonl --model Qwen/Qwen2.5-Coder-7B-Instruct grow.width=8
  treeplay grow tasks.jsonl nodes.jsonl -o trees.jsonl grow.backend=openai grow.endpoint=http://localhost:8000/v1
A re-run with the same output resumes: finished tasks are skipped, a partial last line is repaired.
"""


def add_grow_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``grow`` subcommand to a ``treeplay`` subparsers object."""
    summary = "grow trees: branch the opponent at each risk node with a shared KV cache"
    parser = subparsers.add_parser("grow", help=summary, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   description="Grow one tree per task: the golden path is the trunk; at every risk "
                                               "node the model (the opponent) samples K branches from the golden "
                                               "prefix. Settings: the grow and model config sections.")
    parser.add_argument("tasks", type=Path, help="tasks.jsonl (Task records with golden paths)")
    parser.add_argument("nodes", type=Path, help="nodes.jsonl (RiskNode records)")
    parser.add_argument("-o", "--output", type=output_file("-o"), required=True,
                        help="trees.jsonl to write (appended, resumable)")
    parser.add_argument("--model", help="the opponent: 'default' (embedded SmolLM2-135M-Instruct), a Hugging Face "
                                        "id or a local folder (overrides model.name)")
    parser.add_argument("--config", metavar="FILE", help="YAML config (see configs/)")
    parser.add_argument("--iteration", type=count("--iteration", minimum=0), default=0,
                        help="self-play iteration recorded in each tree")
    parser.add_argument("--shard", type=shard(), default=(0, 1), metavar="I/N",
                        help="grow only tasks i, i+N, i+2N, ... (0-based I)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides, e.g. grow.width=8")
    parser.set_defaults(func=run_grow)
    parser.__class__ = _IntermixedParser
    return parser


class _IntermixedParser(argparse.ArgumentParser):
    """Lets KEY=VALUE overrides follow options (``grow T N -o out grow.width=8``).

    Plain argparse (before Python 3.13) consumes the optional ``overrides`` positional, empty, together with TASKS
    and NODES, and then rejects overrides that come after ``-o``; intermixed parsing collects them wherever they are.
    """

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if getattr(self, "_intermixing", False):
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def run_grow(args: argparse.Namespace) -> int:
    """Handler of ``treeplay grow``."""
    import dataclasses

    from treeplay.config import load_config
    from treeplay.pipeline.grow import grow

    config = load_config(args.config, args.overrides)
    model = config.model if args.model is None else dataclasses.replace(config.model, name=args.model)
    result = grow(args.tasks, args.nodes, args.output, settings=config.grow, model=model, score=config.score,
                  iteration=args.iteration, shard=args.shard, progress=not args.no_progress)
    print(result.message(), file=sys.stdout)
    return 0
