"""Helpers the analyzer modules share: find an analyzer's executable, its version (part of the cache key), a
digest of its rule files, a temporary folder holding a batch of programs, and 1-based finding lines.

They live apart from the analyzer registry (``treeplay.oracles.static``), which imports the analyzer modules.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import proc
from treeplay.oracles.base import Program
from treeplay.records import EXTENSION_OF_LANGUAGE
from treeplay.userdirs import user_cache_dir


def find_tool(name: str, install_hint: str) -> str:
    """Absolute path of an analyzer's executable, or ``ToolMissingError`` saying how to install it.

    The folder of the running interpreter comes first: a venv that is not activated still has its own
    bandit/semgrep/flawfinder there, and those match the installed Python packages.
    """
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise ToolMissingError(f"'{name}' is not installed or not on PATH", tool=name, fix=install_hint)
    return found


def tool_version(binary: str, *, package: str | None = None, args: Sequence[str] = ("--version",),
                 env: Mapping[str, str] | None = None) -> str:
    """The analyzer's version string, computed once per process per binary (a re-scan starts no process).

    For analyzers shipped as Python packages beside the interpreter the package metadata answers without
    starting anything; otherwise ``binary *args`` runs once (with ``env`` added to the environment) and the
    first line of its output is kept.
    """
    stat = os.stat(binary)
    extra = tuple(sorted((env or {}).items()))
    return _tool_version(binary, stat.st_mtime_ns, stat.st_size, package, tuple(args), extra)


@lru_cache(maxsize=64)
def _tool_version(binary: str, _mtime: int, _size: int, package: str | None, args: tuple[str, ...],
                  env: tuple[tuple[str, str], ...]) -> str:
    if package and Path(binary).parent == Path(sys.executable).parent:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    res = proc.run([binary, *args], timeout=120, env={**os.environ, **dict(env)} if env else None)
    text = (res.stdout or res.stderr).strip()
    if not res.ok or not text:
        raise ToolError(f"'{binary} {' '.join(args)}' failed", tool=Path(binary).name, stderr=res.stderr)
    return text.splitlines()[0].strip()


def files_digest(paths: Sequence[Path]) -> str:
    """A short hash of rule/config files' names and contents: part of an analyzer's cache version."""
    h = hashlib.sha256()
    for path in sorted(paths, key=str):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@contextmanager
def batch_folder(programs: Sequence[Program]) -> Iterator[tuple[Path, dict[str, str]]]:
    """Write a batch into one fresh temporary folder; yields (folder, file name -> program key).

    Names are ``p<index>.<ext>``, never derived from keys, so keys may hold any characters and the tool's
    output maps back by base name.
    """
    with tempfile.TemporaryDirectory(prefix="treeplay-scan-") as tmp:
        folder = Path(tmp)
        names: dict[str, str] = {}
        for index, prog in enumerate(programs):
            name = f"p{index:05d}.{EXTENSION_OF_LANGUAGE.get(prog.language, 'txt')}"
            (folder / name).write_text(prog.code, encoding="utf-8")
            names[name] = prog.key
        yield folder, names


def clamp_line(line: int | None) -> int:
    """Findings always carry a 1-based line; tools that give none (or 0) point at the first line."""
    return line if isinstance(line, int) and line >= 1 else 1


def write_rule_file(name: str, data: bytes) -> Path:
    """``data`` as the rule file ``name`` in the user cache (else the temporary folder), written once.

    The name must carry a hash of what decides the content, so identical processes share one file and a change
    writes a new one. It is written atomically (temporary file, then rename).
    """
    for folder in _bundle_folders():
        target = folder / name
        if target.is_file():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bundle-", suffix=".json")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
            return target
        except OSError:
            continue  # an unwritable cache folder: try the next place
    raise ToolError(f"cannot write the rule file {name}", tool="semgrep")


def _bundle_folders() -> list[Path]:
    return [user_cache_dir() / "semgrep-rules", Path(tempfile.gettempdir()) / "treeplay-semgrep-rules"]
