"""Reading the JSON and JSONL files of public data sets with line numbers, so every error names file:line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from treeplay.errors import DataError
from treeplay.records import iter_json_lines

_WS = " \t\r\n"


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line of a JSONL file."""
    for number, obj in iter_json_lines(path):
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=path, line=number)
        yield number, obj


def iter_json_array(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line where the element starts, object) for each element of a file holding one JSON array."""
    _check_file(path)
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise DataError("expected a JSON array (a file starting with '[')", file=path,
                        line=text.count("\n", 0, pos) + 1)
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        line = text.count("\n", 0, pos) + 1
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise DataError(f"not valid JSON ({err.msg})", file=path, line=err.lineno) from None
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=path, line=line)
        yield line, obj
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return
        raise DataError("expected ',' or ']' after an array element", file=path,
                        line=text.count("\n", 0, pos) + 1)


def require(obj: Mapping[str, Any], keys: Iterable[str], *, path: Path, line: int | None,
            types: Mapping[str, type | tuple[type, ...]] | None = None) -> None:
    """Raise DataError(file, line) when a key is missing or (per ``types``) has the wrong type."""
    missing = [k for k in keys if k not in obj]
    if missing:
        raise DataError(f"record lacks key(s) {', '.join(missing)}", file=path, line=line,
                        fix="is this file of the format you named with --format?")
    for key, tp in (types or {}).items():
        if key in obj and not isinstance(obj[key], tp):
            want = tp.__name__ if isinstance(tp, type) else " or ".join(t.__name__ for t in tp)
            raise DataError(f"key '{key}' should be {want}, got {type(obj[key]).__name__}", file=path, line=line)


def read_json(path: Path) -> Any:
    """A whole JSON file; a syntax error names the line."""
    _check_file(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"not valid JSON ({err.msg})", file=path, line=err.lineno) from None


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise DataError("no such file" if not path.exists() else "not a file", file=path,
                        fix="check the path")


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos
