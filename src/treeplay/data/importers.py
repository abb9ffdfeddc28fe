"""The registry of data formats: ``treeplay data import --format F PATH`` dispatches here."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from treeplay.errors import DataError, UsageError
from treeplay.records import Task

TEST_KINDS = ("native", "seccodeplt", "cweval")  # the runners of oracles/verdict.py


def _native(path: Path) -> list[Task]:
    """treeplay's own tasks.jsonl: the record types (``from_dict``), then the values later stages rely on."""
    from treeplay.records import from_dict, iter_json_lines

    tasks = []
    for number, data in iter_json_lines(path):
        task = from_dict(Task, data, file=path, line=number)
        problem = _task_problem(task)
        if problem:
            raise DataError(problem, file=path, line=number, fix="fix that field so the line is a valid Task record")
        tasks.append(task)
    return tasks


def _task_problem(task: Task) -> str | None:
    """Why a well-typed Task would still be rejected later (unknown language, CWE id or test kind), or None."""
    from treeplay.data.cwe import try_canonical_cwe
    from treeplay.records import LANGUAGES

    if task.language not in LANGUAGES:
        return f"language {task.language!r} is not one of {', '.join(LANGUAGES)}"
    bad = [c for c in task.cwes if try_canonical_cwe(c) != c]
    if bad:
        return f"cwes: {bad[0]!r} is not a canonical CWE id (CWE-79)"
    if task.tests is not None and task.tests.kind not in TEST_KINDS:
        return f"tests.kind {task.tests.kind!r} is not one of {', '.join(TEST_KINDS)}"
    return None


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
    tasks = registry[fmt][0](Path(path))
    if not tasks:  # an empty file is a wrong path or a failed download, never a data set
        raise DataError("holds no records", file=path, fix=f"pass a {fmt} file with at least one record")
    return tasks


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


def load_task_sources(spec: str, *, data_dir: str | Path = "data", languages: Sequence[str] = (),
                      what: str = "tasks") -> list[Task]:
    """The tasks a run config names: one or more sources joined by ``+``, optionally kept to some languages.

    A source is ``builtin[:<split>[:<language>]]`` (the bundled set), ``<format>:<path>`` (any importer format,
    e.g. ``safecoder:{data_dir}/safecoder/sec-new-desc.train.jsonl``) or the path of a tasks.jsonl. ``{data_dir}``
    in a path is replaced by ``data_dir``, so one config serves every machine (``data_dir=/my/data``).
    ``languages`` (treeplay names: c, cpp, python, ...) keeps only tasks in those languages; empty keeps all.
    A source may end with selectors (``split_selectors``), applied after the language filter, in this order:
    ``@split=trained,trained-new`` keeps tasks of those splits, ``@cwe=79,89`` keeps tasks of those CWEs,
    ``@not_cwe=770,915`` drops them, ``@per_cwe=N`` keeps the first N tasks of each CWE (a task counts under its
    first CWE, in file order), ``@fold=i/k`` keeps fold i of k disjoint folds (by a hash of the task id: train on
    ``@fold=0/2``, evaluate on ``@fold=1/2``) and ``@name=LABEL`` names the set in results.
    Task ids must be unique over all sources. Raises ConfigError naming ``what`` for a bad spec or a missing
    path, DataError for malformed input.
    """
    from treeplay.errors import ConfigError, DataError
    from treeplay.records import LANGUAGES

    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ConfigError(f"unknown language {unknown[0]!r}", key=what, fix=f"use some of: {', '.join(LANGUAGES)}")
    if not spec or not spec.strip():
        raise ConfigError("no tasks given", key=what,
                          fix="e.g. builtin:train, safecoder:{data_dir}/safecoder/sec-new-desc.train.jsonl, "
                              "or the path of a tasks.jsonl (from treeplay data import)")
    tasks: list[Task] = []
    seen: dict[str, str] = {}
    for source in (part.strip() for part in spec.split("+")):
        base, selectors = split_selectors(source, what)
        loaded = [t for t in _load_source(base.replace("{data_dir}", str(data_dir)), what)
                  if not languages or t.language in languages]
        for task in select(loaded, selectors):
            if task.id in seen:
                raise DataError(f"task id {task.id!r} comes from both {seen[task.id]} and {source}",
                                fix=f"{what}: name each data set once")
            seen[task.id] = source
            tasks.append(task)
    return tasks


SELECTORS = ("split", "cwe", "not_cwe", "per_cwe", "fold", "name")


def split_selectors(source: str, what: str = "tasks") -> tuple[str, dict[str, str]]:
    """``safecoder:PATH@cwe=79,89@per_cwe=4`` -> (``safecoder:PATH``, ``{"cwe": "79,89", "per_cwe": "4"}``).

    Only trailing ``@<selector>=<value>`` parts are selectors; any other ``@`` stays in the path."""
    from treeplay.data.cwe import try_canonical_cwe
    from treeplay.errors import ConfigError

    parts = source.split("@")
    selectors: dict[str, str] = {}
    while len(parts) > 1:
        key, eq, value = parts[-1].partition("=")
        if not eq or key.strip() not in SELECTORS:
            break
        key, value = key.strip(), value.strip()
        if key in selectors:
            raise ConfigError(f"{source!r}: @{key} given twice", key=what, fix=f"give @{key}=... once")
        if not value:
            raise ConfigError(f"{source!r}: @{key} has no value", key=what, fix=f"e.g. @{_EXAMPLE[key]}")
        if key == "per_cwe" and not (value.isdigit() and int(value) > 0):
            raise ConfigError(f"{source!r}: @per_cwe={value} is not a positive whole number", key=what,
                              fix="e.g. @per_cwe=4")
        if key == "fold" and _fold(value) is None:
            raise ConfigError(f"{source!r}: @fold={value} is not i/k with 0 <= i < k", key=what,
                              fix="e.g. @fold=0/2 (the first of two disjoint halves) and @fold=1/2 (the other)")
        if key in ("cwe", "not_cwe") and not all(try_canonical_cwe(v) for v in value.split(",")):
            raise ConfigError(f"{source!r}: @{key}={value} is not a list of CWE ids", key=what,
                              fix=f"e.g. @{_EXAMPLE[key]} (comma-separated, no spaces)")
        selectors[key] = value
        parts.pop()
    return "@".join(parts), dict(reversed(list(selectors.items())))


_EXAMPLE = {"split": "split=not-trained", "cwe": "cwe=79,89", "not_cwe": "not_cwe=770,915", "per_cwe": "per_cwe=4",
            "fold": "fold=0/2", "name": "name=dev-seen"}


def _fold(value: str) -> tuple[int, int] | None:
    """``"i/k"`` -> (i, k) when 0 <= i < k, else None."""
    i, slash, k = value.partition("/")
    if not (slash and i.strip().isdigit() and k.strip().isdigit()):
        return None
    index, folds = int(i), int(k)
    return (index, folds) if 0 <= index < folds else None


def in_fold(task_id: str, index: int, folds: int) -> bool:
    """Whether ``task_id`` falls in fold ``index`` of ``folds``: by a hash of the id, so the folds are disjoint,
    cover every task, do not depend on the file's order and stay the same when tasks are added."""
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:8], "big") % folds == index


def select(tasks: Sequence[Task], selectors: dict[str, str]) -> list[Task]:
    """The tasks a source's selectors keep (``load_task_sources``), in their order."""
    from treeplay.data.cwe import canonical_cwe

    def cwes(value: str) -> set[str]:
        return {canonical_cwe(v) for v in value.split(",") if v.strip()}

    out = list(tasks)
    if "split" in selectors:
        splits = {v.strip() for v in selectors["split"].split(",")}
        out = [t for t in out if t.split in splits]
    if "cwe" in selectors:
        keep = cwes(selectors["cwe"])
        out = [t for t in out if keep & set(t.cwes)]
    if "not_cwe" in selectors:
        drop = cwes(selectors["not_cwe"])
        out = [t for t in out if not drop & set(t.cwes)]
    if "per_cwe" in selectors:
        cap, taken = int(selectors["per_cwe"]), Counter[str]()
        kept = []
        for t in out:
            first = t.cwes[0] if t.cwes else "-"
            if taken[first] < cap:
                taken[first] += 1
                kept.append(t)
        out = kept
    if "fold" in selectors:
        index, folds = _fold(selectors["fold"])  # type: ignore[misc]  # checked by split_selectors
        out = [t for t in out if in_fold(t.id, index, folds)]
    return out


def _load_source(source: str, what: str) -> list[Task]:
    from treeplay.errors import ConfigError

    if source == "builtin" or source.startswith("builtin:"):
        return _builtin_source(source, what)
    fmt, sep, path = source.partition(":")
    if not sep or fmt not in FORMATS:
        fmt, path = "native", source
    if not Path(path).exists():
        raise ConfigError(f"{path} does not exist", key=what,
                          fix="check the path (a relative one is read from the current folder); set data_dir=... "
                              "when the config uses {data_dir}")
    return import_tasks(fmt, path)


def _builtin_source(source: str, what: str) -> list[Task]:
    """``builtin[:<split>[:<language>]]``: the builtin set, or one split of it, optionally one language."""
    from treeplay.data.builtin import load_builtin
    from treeplay.errors import ConfigError

    parts = source.split(":")[1:]
    split, language = (parts + [None, None])[:2]
    if split not in (None, "", "train", "test") or len(parts) > 2:
        raise ConfigError(f"{source!r}: expected builtin, builtin:train, builtin:test or builtin:<split>:<language>",
                          key=what, fix="e.g. builtin:train:python")
    return [t for t in load_builtin() if (not split or t.split == split) and (not language or t.language == language)]
