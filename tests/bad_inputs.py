"""Shared by the bad-input tests: run the real ``treeplay`` entry in-process and check the guarantee that every
bad input ends as one ``treeplay: error:`` line naming where (file and line, key, option) plus a ``fix:`` line,
exit 2, no traceback, and nothing written."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from treeplay.cli import main

DROP = object()  # a key to delete in ``changed``


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder of a case (also the current folder, so default outputs such as runs/ land in it);
    the finding cache lives outside it."""
    root = tmp_path / "ws"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path / "cache"))
    return root


def snapshot(root: Path) -> dict[str, bytes | str | None]:
    """Every path under ``root`` with its bytes (files), its target (links) or None (folders)."""
    out: dict[str, bytes | str | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = str(path.readlink())
        else:
            out[rel] = path.read_bytes() if path.is_file() else None
    return out


def assert_one_line_error(argv: Sequence[Any], capsys: pytest.CaptureFixture[str], root: Path,
                          names: Sequence[str]) -> str:
    """Run ``treeplay argv``; check exit 2, the two-line error naming each of ``names``, no traceback and an
    unchanged ``root``. Returns the error line."""
    before = snapshot(root)
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert code == 2, err
    assert "Traceback" not in err and len(lines) == 2, err
    assert lines[0].startswith("treeplay: error: ") and lines[1].startswith("  fix: "), err
    for name in names:
        assert name in lines[0], f"{name!r} not in {lines[0]!r}"
    assert snapshot(root) == before, "the command wrote something"
    return lines[0]


def changed(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``record`` with ``changes``; ``a__b=v`` sets record["a"]["b"]; DROP deletes the key."""
    out = copy.deepcopy(record)
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        node = out
        for part in parents:
            node = node[part]
        if value is DROP:
            del node[key]
        else:
            node[key] = value
    return out


def write_lines(path: Path, rows: Sequence[Any]) -> Path:
    """JSONL: one row per line (a bytes row is written as it is)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows))
    return path


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


BINARY = bytes(range(256)) * 4  # NUL and every non-UTF-8 byte
LATIN1 = "caf\u00e9".encode("latin-1")  # valid text, but not UTF-8
