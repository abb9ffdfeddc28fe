"""``treeplay grow``: grow one tree per task (K branches at every risk node) into trees.jsonl.

Wired into ``treeplay.cli`` with ``add_grow_parser(subparsers)``. Heavy imports (torch, transformers) happen inside
the handler, so building the parser (``treeplay --help``) stays light.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from treeplay.cli_args import count, output_file, shard
from treeplay.errors import ConfigError

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
    from treeplay.records import RiskNode, Task, load_jsonl

    config = load_config(args.config, args.overrides)
    model = config.model if args.model is None else dataclasses.replace(config.model, name=args.model)
    grow = config.grow
    params = _params(grow, model.prompt_format)
    index, total = args.shard
    tasks = load_jsonl(args.tasks, Task)[index::total]
    nodes = load_jsonl(args.nodes, RiskNode)
    backend, tokenizer = build_backend(grow.backend, model.name, adapter=model.adapter, dtype=model.dtype,
                                       device=model.device, endpoint=grow.endpoint, max_batch=grow.max_batch)
    oracle = None
    if grow.depth > 1:
        from functools import partial

        from treeplay.oracles.static import scan_programs

        oracle = partial(scan_programs, analyzers=config.score.analyzers, severity=config.score.severity)
    from treeplay.engine.rollout import grow_trees

    name = model.name if model.adapter is None else f"{model.name}+{model.adapter}"
    stats = grow_trees(tasks, nodes, backend, tokenizer, params, args.output, iteration=args.iteration,
                       model_name=name, oracle=oracle, progress=not args.no_progress)
    missing = sum(1 for t in tasks if t.golden is None)
    print(f"grew {stats.trees} trees ({stats.branches} branches, {stats.tokens} tokens, "
          f"{stats.tokens_per_s:.1f} tokens/s) -> {args.output}"
          + (f"; {stats.skipped} already there" if stats.skipped else "")
          + (f"; {missing} tasks without a golden path skipped" if missing else ""), file=sys.stdout)
    return 0


def _params(grow: Any, prompt_format: str) -> Any:
    """GrowParams from the grow config section; bad values are ConfigErrors naming the key."""
    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.rollout import GrowParams

    check_sampling("grow", section=grow, n=("width", grow.width), prompt_format=prompt_format,
                   extra=[("grow.depth", grow.depth >= 1, "at least 1"),
                          ("grow.depth", grow.depth == 1 or grow.stop != "statement",
                           "1 with grow.stop=statement (a local branch is a whole program; it is not grown again)")])
    sampling = SamplingParams(width=grow.width, temperature=grow.temperature, top_p=grow.top_p,
                              max_new_tokens=grow.max_new_tokens)
    return GrowParams(sampling=sampling, depth=grow.depth, stop=grow.stop, seed=grow.seed,
                      prompt_format=prompt_format, max_batch=grow.max_batch)


def check_sampling(name: str, *, section: Any, n: tuple[str, int], prompt_format: str,
                   extra: Sequence[tuple[str, bool, str]] = ()) -> None:
    """Check the sampling keys of a config section (``grow`` or ``eval``): bad values are ConfigErrors naming
    the key. ``n`` is the (key, value) of the samples per fork; ``extra`` more (key, ok, expected) checks."""
    from treeplay.engine.prompts import FORMATS

    stops = ("function", "statement", "none") if name == "grow" else ("function", "none")
    checks = [(f"{name}.{n[0]}", n[1] >= 1, "at least 1"),
              (f"{name}.max_new_tokens", section.max_new_tokens >= 1, "at least 1"),
              (f"{name}.temperature", section.temperature >= 0, "0 (greedy) or more"),
              (f"{name}.top_p", 0 < section.top_p <= 1, "in (0, 1]"),
              (f"{name}.backend", section.backend in ("hf", "openai"), "hf or openai"),
              (f"{name}.stop", section.stop in stops, " or ".join(stops)),
              ("model.prompt_format", prompt_format in FORMATS, " | ".join(FORMATS)), *extra]
    for key, ok, expected in checks:
        if not ok:
            raise ConfigError(f"must be {expected}", key=key, fix=f"set {key} to {expected}")
    if section.backend == "openai" and not section.endpoint:
        raise ConfigError("the openai backend needs a server URL", key=f"{name}.endpoint",
                          fix=f"e.g. {name}.endpoint=http://localhost:8000/v1")


def build_backend(backend: str, model_name: str, *, adapter: str | None = None, dtype: str = "auto",
                  device: str = "auto", endpoint: str | None = None, max_batch: int = 64) -> tuple[Any, Any]:
    """(backend, tokenizer) for ``grow.backend``: the hf engine on a loaded model, or an OpenAI-compatible server
    (which needs only the model's tokenizer locally)."""
    if backend == "openai":
        from treeplay.engine.loading import load_tokenizer
        from treeplay.engine.openai_backend import OpenAIBackend

        tokenizer = load_tokenizer(model_name)
        return OpenAIBackend(endpoint or "", model_name, tokenizer), tokenizer
    from treeplay.engine.hf_backend import HFBackend
    from treeplay.engine.loading import load_model

    loaded = load_model(model_name, adapter=adapter, dtype=dtype, device=device, merge_adapter=True)
    return HFBackend(loaded.model, loaded.tokenizer, max_batch=max_batch), loaded.tokenizer
