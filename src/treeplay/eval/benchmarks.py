"""Benchmark name -> tasks: the bundled builtin set, the public benchmarks (read from a path) or a tasks.jsonl.

``securityeval`` (the paper's SPR@1 benchmark: 121 Python prefixes, no tests), ``sec-eval`` (SafeCoder's scenarios,
split into trained / not-trained CWEs), ``seccodeplt`` (Python tasks with capability and safety tests) and
``cweval`` (py, c, cpp, js, go tasks with functionality and security tests) are read by their importers from the
path given as ``data`` (``treeplay eval --data PATH``); ``builtin`` ships in the package. Any other name is taken
as the path of a tasks.jsonl.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from treeplay.errors import DataError, UsageError
from treeplay.records import Task, load_jsonl

# Benchmark name -> (importer format, what --data should point at); builtin needs no data.
NAMED = {
    "securityeval": ("securityeval", "SecurityEval prompts.json"),
    "sec-eval": ("sec-eval", "SafeCoder's data_eval/sec_eval folder"),
    "seccodeplt": ("seccodeplt", "a SecCodePLT json (data.json, dev.json)"),
    "cweval": ("cweval", "a CWEval benchmark folder"),
    "builtin": (None, ""),
}
BENCHMARKS = tuple(NAMED)


@dataclass(frozen=True)
class Benchmark:
    """The tasks of a benchmark, in its order. ``name`` labels the run (the file's stem for a tasks.jsonl)."""

    name: str
    tasks: tuple[Task, ...]


def load_benchmark(name: str, data: str | Path | None = None) -> Benchmark:
    """All tasks of benchmark ``name``; ``data`` is the importer's input for the non-bundled ones.

    Raises UsageError for an unknown name or a missing / superfluous ``data``, DataError for malformed input.
    """
    if name in NAMED:
        fmt, what = NAMED[name]
        if fmt is None:
            if data is not None:
                raise UsageError("the builtin benchmark ships with treeplay and reads no --data",
                                 fix="drop --data, or pass a tasks.jsonl as --benchmark")
            from treeplay.data.builtin import load_builtin

            return Benchmark(name, tuple(load_builtin()))
        if data is None:
            raise UsageError(f"benchmark {name!r} is read from a path", fix=f"add --data PATH ({what})")
        from treeplay.data.importers import import_tasks

        return Benchmark(name, _unique(import_tasks(fmt, data), Path(data)))
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"unknown benchmark {name!r} (and no such tasks file)",
                         fix=f"use one of {', '.join(BENCHMARKS)} or the path of a tasks.jsonl")
    if data is not None:
        raise UsageError("--data is read only for named benchmarks", fix="drop --data when --benchmark is a file")
    return Benchmark(path.stem, _unique(load_jsonl(path, Task), path))


def select_tasks(tasks: tuple[Task, ...] | list[Task], limit: int | None) -> list[Task]:
    """The first ``limit`` tasks (all when None)."""
    if limit is not None and limit < 1:
        raise UsageError(f"--limit {limit}: must be at least 1", fix="e.g. --limit 10")
    return list(tasks if limit is None else tasks[:limit])


def _unique(tasks: list[Task], source: Path) -> tuple[Task, ...]:
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise DataError(f"task id {task.id!r} appears twice", file=source, fix="task ids must be unique")
        seen.add(task.id)
    return tuple(tasks)
