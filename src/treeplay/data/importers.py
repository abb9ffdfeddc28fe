"""The registry of data formats: ``treeplay data import --format F PATH`` dispatches here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from treeplay.errors import UsageError
from treeplay.records import Task, load_jsonl


def _native(path: Path) -> list[Task]:
    return load_jsonl(path, Task)


def _importers() -> dict[str, tuple[Callable[[Path], list[Task]], str]]:
    from treeplay.data.cweval import import_cweval
    from treeplay.data.safecoder import import_safecoder
    from treeplay.data.sec_eval import import_sec_eval
    from treeplay.data.seccodeplt import import_seccodeplt
    from treeplay.data.securityeval import import_securityeval
    from treeplay.data.tsp_annotated import import_tsp_annotated

    return {
        "native": (_native, "treeplay's own tasks.jsonl (one Task record per line)"),
        "safecoder": (import_safecoder, "SafeCoder sec-new-desc*.jsonl (vulnerable/fixed function pairs)"),
        "tsp-annotated": (import_tsp_annotated, "the TSP release's sec-new-desc_annotated.json (GPT-4o nodes)"),
        "securityeval": (import_securityeval, "SecurityEval prompts.json (121 Python prompts)"),
        "seccodeplt": (import_seccodeplt, "SecCodePLT data.json/train.json/dev.json (with unit tests)"),
        "cweval": (import_cweval, "a CWEval benchmark folder (task + pytest files; py, c, cpp, js, go)"),
        "sec-eval": (import_sec_eval, "SafeCoder sec_eval scenario folders (trained / not-trained splits)"),
    }


FORMATS = ("native", "safecoder", "tsp-annotated", "securityeval", "seccodeplt", "cweval", "sec-eval")
FORMAT_HELP = {
    "native": "treeplay's own tasks.jsonl",
    "safecoder": "SafeCoder sec-new-desc*.jsonl",
    "tsp-annotated": "TSP release sec-new-desc_annotated.json",
    "securityeval": "SecurityEval prompts.json",
    "seccodeplt": "SecCodePLT json (train/dev)",
    "cweval": "CWEval benchmark folder",
    "sec-eval": "SafeCoder sec_eval folder",
}


def import_tasks(fmt: str, path: str | Path) -> list[Task]:
    """Read ``path`` in format ``fmt`` into Tasks; malformed input raises DataError(file, line)."""
    registry = _importers()
    if fmt not in registry:
        raise UsageError(f"unknown format {fmt!r}", fix=f"use one of: {', '.join(FORMATS)}")
    return registry[fmt][0](Path(path))


def task_stats(tasks: Iterable[Task]) -> dict[str, Any]:
    """``{"tasks", "by_cwe", "by_language", "with_tests", "by_split"}``; dict keys sorted for stable output."""
    tasks = list(tasks)
    by_cwe = Counter(c for t in tasks for c in t.cwes)
    return {
        "tasks": len(tasks),
        "by_cwe": dict(sorted(by_cwe.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_language": dict(sorted(Counter(t.language for t in tasks).items())),
        "with_tests": sum(1 for t in tasks if t.tests is not None),
        "by_split": dict(sorted(Counter(t.split or "-" for t in tasks).items())),
    }
