"""A persistent cache of analyzer findings, so scoring the same program twice starts no analyzer.

Self-play scores the same code again and again (golden paths every iteration, identical branches, re-runs after
a crash), so findings are cached by the key (analyzer name, analyzer version including a hash of its rules and
settings, language, hash of the code). The cache is one small SQLite file, ``findings-v1.sqlite``, in

1. the ``path`` given to ``FindingCache`` (a folder), else
2. ``$TREEPLAY_CACHE_DIR``, else
3. ``$XDG_CACHE_HOME/treeplay``, else ``~/.cache/treeplay``.

Many processes may share it (scoring runs in a process pool): the file is in WAL mode, every write is one
short ``BEGIN IMMEDIATE`` transaction, and a busy database is waited for (30 s) rather than failed. A file
that is not a readable SQLite database is moved aside and a fresh cache started: losing a cache costs time,
never correctness.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from treeplay.config import user_cache_dir
from treeplay.records import Finding

FILENAME = "findings-v1.sqlite"
_BUSY_SECONDS = 30.0
_CHUNK = 500  # keys per SELECT (SQLite limits bound parameters)


class _Default:
    def __repr__(self) -> str:
        return "<the user cache>"


DEFAULT: Any = _Default()
"""Sentinel for ``scan_programs(cache=...)``: open the user cache (None disables caching)."""


def cache_dir(path: str | Path | None = None) -> Path:
    """The folder holding the cache file, by the precedence in the module docstring."""
    return Path(path) if path is not None else user_cache_dir()


def cache_key(tool: str, version: str, language: str, code: str) -> str:
    """The key of one (analyzer, program): changes when the tool, its rules or settings, or the code change."""
    code_hash = hashlib.sha256(code.encode("utf-8", errors="surrogatepass")).hexdigest()
    return hashlib.sha256(json.dumps([tool, version, language, code_hash]).encode()).hexdigest()


class FindingCache:
    """Findings per cache key in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.folder = cache_dir(path)
        self.file = self.folder / FILENAME
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._create()
        except sqlite3.DatabaseError:
            # Not a database (a crash while the file was first written, or someone else's file).
            self.file.replace(self.file.with_name(f"{FILENAME}.corrupt-{int(time.time())}"))
            self._create()

    def _create(self) -> None:
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS findings "
                       "(key TEXT PRIMARY KEY, findings TEXT NOT NULL, stored REAL NOT NULL)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per operation: nothing is shared across threads or forks.
        db = sqlite3.connect(self.file, timeout=_BUSY_SECONDS, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def get_many(self, keys: Sequence[str]) -> dict[str, tuple[Finding, ...]]:
        """The cached findings of those keys that are present (absent keys are simply missing)."""
        out: dict[str, tuple[Finding, ...]] = {}
        with self._connect() as db:
            for start in range(0, len(keys), _CHUNK):
                chunk = list(keys[start:start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                for key, blob in db.execute(f"SELECT key, findings FROM findings WHERE key IN ({marks})", chunk):
                    out[key] = tuple(Finding(**item) for item in json.loads(blob))
        return out

    def put_many(self, items: Mapping[str, Sequence[Finding]]) -> None:
        """Store findings (an empty list means "scanned, clean") in one transaction."""
        rows = [(key, json.dumps([dataclasses.asdict(f) for f in findings]), time.time())
                for key, findings in items.items()]
        if not rows:
            return
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO findings (key, findings, stored) VALUES (?, ?, ?)", rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def __len__(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM findings").fetchone()[0])

    def clear(self) -> None:
        """Forget every cached finding."""
        with self._connect() as db:
            db.execute("DELETE FROM findings")
