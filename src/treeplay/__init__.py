"""treeplay: Tree-like Self-Play (TSP) for secure code LLMs, with verified labels and honest metrics.

The library: one function per stage (docs/api.md), each taking its config section and its input and output paths
and returning a typed result. They are loaded on first use, so ``import treeplay`` stays light (no torch)::

    import treeplay
    from treeplay.config import load_config

    config = load_config("configs/demo.yaml")
    result = treeplay.run_selfplay(config)
    print(result.table())
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> the module that defines it
_API = {
    "import_tasks": "treeplay.pipeline.tasks",
    "find_nodes": "treeplay.pipeline.nodes",
    "grow": "treeplay.pipeline.grow",
    "score": "treeplay.oracles.scoring",
    "make_pairs": "treeplay.pipeline.pairs",
    "train_model": "treeplay.pipeline.train",
    "evaluate": "treeplay.pipeline.evaluate",
    "report": "treeplay.pipeline.report",
    "run_selfplay": "treeplay.selfplay",
    "load_config": "treeplay.config",
    "Config": "treeplay.config",
    "ImportResult": "treeplay.pipeline.tasks",
    "FoundNodes": "treeplay.pipeline.nodes",
    "GrowResult": "treeplay.pipeline.grow",
    "ScoreResult": "treeplay.oracles.scoring",
    "MadePairs": "treeplay.pipeline.pairs",
    "TrainResult": "treeplay.pipeline.train",
    "EvalResult": "treeplay.pipeline.evaluate",
    "ReportResult": "treeplay.pipeline.report",
    "SelfplayResult": "treeplay.selfplay",
    "RunLayout": "treeplay.runs",
    "OnProgress": "treeplay.progress",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Load a public name's module when it is first used (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'treeplay' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
