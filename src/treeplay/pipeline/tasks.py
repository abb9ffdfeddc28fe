"""``import_tasks``: a data set in one of the importers' formats -> tasks.jsonl (``treeplay data import``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeplay.errors import UsageError


@dataclass(frozen=True)
class ImportResult:
    """The tasks written, and their counts (``treeplay.data.importers.task_stats``)."""

    output: Path
    written: int
    stats: dict[str, Any]

    def message(self) -> str:
        langs = ", ".join(f"{k} {v}" for k, v in self.stats["by_language"].items())
        return f"wrote {self.written} tasks to {self.output} ({langs}; {self.stats['with_tests']} with tests)"


def import_tasks(fmt: str, path: Path, output: Path, *, languages: Sequence[str] = ()) -> ImportResult:
    """Read ``path`` in format ``fmt`` (``treeplay.data.importers.FORMATS``) and write its tasks to ``output``,
    keeping only ``languages`` when given."""
    from treeplay.data.importers import import_tasks as read_tasks
    from treeplay.data.importers import task_stats
    from treeplay.records import LANGUAGES, write_jsonl

    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise UsageError(f"unknown language {unknown[0]!r}", fix=f"use one of: {', '.join(LANGUAGES)}")
    tasks = [t for t in read_tasks(fmt, path) if not languages or t.language in languages]
    written = write_jsonl(output, tasks)
    return ImportResult(output, written, task_stats(tasks))
