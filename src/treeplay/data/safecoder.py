"""SafeCoder ``sec-new-desc`` JSONL: vulnerability-fixing commits, one function before and after the fix.

Golden path = ``func_src_after`` (the fixed function), prompt = ``description`` (as in the TSP paper); the
vulnerable variant is ``func_src_before``. ``line_changes`` travel in ``meta`` for the ``diff`` risk-node method.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from treeplay.data.cwe import canonical_cwe
from treeplay.data.jsonio import FIELD_FIX, iter_jsonl, require
from treeplay.errors import DataError
from treeplay.records import LANGUAGE_OF_EXTENSION, Task

LICENSE = "MIT (SafeCoder, eth-sri)"
FIELDS = ("func_src_before", "func_src_after", "file_name", "vul_type", "description")


def import_safecoder(path: Path) -> list[Task]:
    """Tasks of one ``sec-new-desc*.jsonl`` file; the split (train/val) is read from the file name."""
    split = _split_from_name(path)
    return [record_to_task(obj, path=path, line=line, split=split, source="safecoder")
            for line, obj in iter_jsonl(path)]


def record_to_task(obj: Mapping[str, Any], *, path: Path, line: int | None, split: str | None,
                   source: str, annotations: tuple = ()) -> Task:
    """One SafeCoder record as a Task (shared with the tsp-annotated importer, which adds annotations)."""
    check_record(obj, path=path, line=line)
    try:
        cwe = canonical_cwe(obj["vul_type"])
    except ValueError:
        raise DataError(f"vul_type {obj['vul_type']!r} is not a CWE id", file=path, line=line,
                        fix="write it as cwe-079, CWE-79 or 79") from None
    return Task(
        id=task_id(obj), language=language_of(obj["file_name"], path=path, line=line), cwes=(cwe,),
        prompt=obj["description"], prefix="", golden=obj["func_src_after"], vulnerable=(obj["func_src_before"],),
        tests=None, entry_point=obj.get("func_name"), annotations=annotations, source=source, license=LICENSE,
        split=split,
        meta={"file_name": obj["file_name"], "line_changes": obj.get("line_changes") or {},
              "commit_link": obj.get("commit_link", "")},
    )


def check_record(obj: Mapping[str, Any], *, path: Path, line: int | None) -> None:
    """DataError(file, line) unless every field a later stage reads has its type: the five texts, ``func_name``
    (the entry point, a string), ``commit_link`` (a string) and ``line_changes`` (``{"added": [...], "deleted":
    [...]}``, read by the ``diff`` node method)."""
    require(obj, FIELDS, path=path, line=line, types={k: str for k in FIELDS},
            optional={"func_name": str, "commit_link": str, "line_changes": dict})
    changes = obj.get("line_changes") or {}
    require(changes, (), path=path, line=line, optional={"added": list, "deleted": list}, where="line_changes.")
    for side in ("added", "deleted"):
        if not all(isinstance(entry, dict) for entry in changes.get(side) or ()):
            raise DataError(f"key 'line_changes.{side}' should be a list of objects", file=path, line=line,
                            fix=FIELD_FIX)


def task_id(obj: Mapping[str, Any]) -> str:
    """Content-derived id, the same for a record whichever file (safecoder, tsp-annotated) it came from."""
    fields = ("file_name", "func_name", "func_src_before", "func_src_after", "description", "vul_type", "commit_link")
    key = "\0".join(str(obj.get(k, "")) for k in fields)
    return "safecoder-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def language_of(file_name: str, *, path: Path, line: int | None) -> str:
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if ext not in LANGUAGE_OF_EXTENSION:
        raise DataError(f"cannot tell the language of file_name {file_name!r}", file=path, line=line,
                        fix=f"known extensions: {', '.join(sorted(LANGUAGE_OF_EXTENSION))}")
    return LANGUAGE_OF_EXTENSION[ext]


def _split_from_name(path: Path) -> str | None:
    for split in ("train", "val", "test"):
        if f".{split}." in path.name or path.name.endswith(f".{split}.jsonl"):
            return split
    return None
