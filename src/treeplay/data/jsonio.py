"""Reading the files of public data sets so that every problem is a DataError naming file:line.

Data sets come from the internet: a file may be binary, not UTF-8, a folder, empty, or a symlink that leads out
of the data folder, and a record's field may have any JSON type. The helpers here turn each of those into one
DataError (file, line where it applies, and a fix) before a later stage meets it as a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from treeplay.errors import DataError
from treeplay.records import iter_json_lines

_WS = " \t\r\n"
TypeSpec = type | tuple[type, ...]
FIELD_FIX = "fix that field of the record (or drop the record); is this file of the format you named?"


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line of a JSONL file."""
    for number, obj in iter_json_lines(path):
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=path, line=number,
                            fix="each line must be one JSON object (a record)")
        yield number, obj


def iter_json_array(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line where the element starts, object) for each element of a file holding one JSON array."""
    text = read_text(path)
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise DataError("expected a JSON array (a file starting with '[')" if text.strip() else "the file is empty",
                        file=path, line=text.count("\n", 0, pos) + 1, fix="pass the data set's JSON file")
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        line = text.count("\n", 0, pos) + 1
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise DataError(f"not valid JSON ({err.msg})", file=path, line=err.lineno,
                            fix="repair the file (is it complete?)") from None
        except (ValueError, RecursionError) as err:  # e.g. an integer of more than 4300 digits
            raise DataError(f"unreadable JSON value ({_brief(err)})", file=path, line=line,
                            fix="repair or drop that element") from None
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=path, line=line,
                            fix="each element of the array must be one JSON object (a record)")
        yield line, obj
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return
        raise DataError("expected ',' or ']' after an array element", file=path,
                        line=text.count("\n", 0, pos) + 1, fix="repair the file (is it complete?)")


def require(obj: Mapping[str, Any], keys: Iterable[str], *, path: Path, line: int | None,
            types: Mapping[str, TypeSpec] | None = None, optional: Mapping[str, TypeSpec] | None = None,
            where: str = "") -> None:
    """Raise DataError(file, line) when a key is missing or has the wrong type.

    ``types``: the type of required keys; ``optional``: the type of keys that may be absent or null. ``where``
    prefixes key names in messages (``task_description.``) for nested objects.
    """
    missing = [k for k in keys if k not in obj]
    if missing:
        raise DataError(f"record lacks key(s) {', '.join(where + k for k in missing)}", file=path, line=line,
                        fix="is this file of the format you named with --format?")
    for key, tp in (types or {}).items():
        if key in obj:
            _check_type(obj[key], tp, f"{where}{key}", path, line)
    for key, tp in (optional or {}).items():
        if obj.get(key) is not None:
            _check_type(obj[key], tp, f"{where}{key}", path, line)


def require_str_list(obj: Mapping[str, Any], key: str, *, path: Path, line: int | None, where: str = "") -> None:
    """Raise DataError(file, line) unless ``obj[key]`` is absent, null or a list of strings."""
    value = obj.get(key)
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"key '{where}{key}' should be a list of strings, got {_kind(value)}", file=path,
                        line=line, fix=FIELD_FIX)


def _check_type(value: Any, tp: TypeSpec, key: str, path: Path, line: int | None) -> None:
    kinds = tp if isinstance(tp, tuple) else (tp,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        want = " or ".join(t.__name__ for t in kinds)
        raise DataError(f"key '{key}' should be {want}, got {_kind(value)}", file=path, line=line, fix=FIELD_FIX)
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate such as "\ud800": no file can hold it as UTF-8
            raise DataError(f"key '{key}' holds a lone surrogate escape, not text", file=path, line=line,
                            fix=FIELD_FIX) from None


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 30 else text[:27] + '...'}"


def read_json(path: Path) -> Any:
    """A whole JSON file; a syntax error names the line."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError("the file is empty" if not text.strip() else f"not valid JSON ({err.msg})", file=path,
                        line=err.lineno, fix="repair the file (is it complete?)") from None
    except (ValueError, RecursionError) as err:
        raise DataError(f"unreadable JSON ({_brief(err)})", file=path, fix="repair the file") from None


def read_text(path: Path) -> str:
    """The text of a data file: DataError when it is missing, a folder, unreadable, binary or not UTF-8."""
    if not path.exists():
        raise DataError("no such file", file=path, fix="check the path")
    if not path.is_file():
        raise DataError("is a folder, not a file" if path.is_dir() else "not a regular file", file=path,
                        fix="pass the data set's file (see --help for what each format reads)")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read the file ({err.strerror or err})", file=path,
                        fix="check its permissions") from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise DataError("a binary file (it holds a NUL byte), not text", file=path,
                        line=data.count(b"\n", 0, nul) + 1, fix="pass the data set's text file (JSON, source code)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text (byte {data[err.start]:#04x})", file=path,
                        line=data.count(b"\n", 0, err.start) + 1,
                        fix="convert the file to UTF-8, or pass the data set's own file") from None


def check_links_inside(root: Path) -> None:
    """Raise DataError for any symlink under the folder ``root`` (file or folder) that resolves outside it.

    Data sets come from the internet; a link such as ``task.py -> /etc/passwd`` or ``core -> ../..`` would make an
    importer read, and then ship into tasks and sandboxes, files the user never meant to give it.
    """
    base = root.resolve()
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            entry = Path(folder) / name
            if entry.is_symlink() and not _inside(entry.resolve(), base):
                raise DataError(f"a symlink that points outside the data folder {root}", file=entry,
                                fix="replace the link by the file itself (or remove it); data folders must be "
                                    "self-contained")


def _inside(target: Path, base: Path) -> bool:
    return target == base or target.is_relative_to(base)


def _brief(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos
