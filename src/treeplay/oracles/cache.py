"""A persistent cache of analyzer findings, so scoring the same program twice starts no analyzer.

Self-play scores the same code again and again (golden paths every iteration, identical branches, re-runs after
a crash), so findings are cached by the key (analyzer name, analyzer version including a hash of its rules and
settings, language, hash of the code). The cache is one small SQLite file, ``findings-v1.sqlite``, in

1. the ``path`` given to ``FindingCache`` (a folder), else
2. ``$TREEPLAY_CACHE_DIR``, else
3. ``$XDG_CACHE_HOME/treeplay``, else ``~/.cache/treeplay``.

Many processes may share it (scoring runs in a process pool): the file is in WAL mode, every write is one
short ``BEGIN IMMEDIATE`` transaction, and a busy database is waited for (30 s) rather than failed. A file
that is not a readable SQLite database of this layout (whether that shows on opening or on a later query) is
moved aside and a fresh cache started: losing a cache costs time, never correctness, and never a scan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from treeplay.records import Finding
from treeplay.userdirs import user_cache_dir

FILENAME = "findings-v1.sqlite"
_BUSY_SECONDS = 30.0
_CHUNK = 500  # keys per SELECT (SQLite limits bound parameters)
T = TypeVar("T")


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


# SQLite result codes (low byte) that mean "this file is not a sound database": SQLITE_CORRUPT, SQLITE_NOTADB,
# and SQLITE_IOERR_SHORT_READ (extended code 522: a page past the end of a truncated file).
_CORRUPT_CODES = frozenset({11, 26})
_SHORT_READ = 522
_COLUMNS = ["key", "findings", "stored"]


class _Unusable(Exception):
    """The file opens as SQLite but is not our cache (another table layout, rows that are not findings)."""


def _is_corrupt(err: BaseException) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    return isinstance(err, _Unusable) or (isinstance(err, sqlite3.DatabaseError) and code is not None
                                          and (code & 0xFF in _CORRUPT_CODES or code == _SHORT_READ))


class FindingCache:
    """Findings per cache key in one SQLite file; safe to share between threads and processes.

    A cache file that turns out unusable, when it is opened or at any later query (corrupt pages often show only
    then), is moved aside as ``findings-v1.sqlite.corrupt-<time>`` with a one-line warning on stderr, and a fresh
    cache is started: the scan goes on. Other database errors (a cache locked for longer than 30 s, a read-only
    or full disk) cost the cache for that call, with a warning, never the scan.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.folder = cache_dir(path)
        self.file = self.folder / FILENAME
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._generation = 0  # bumped at every fresh start, so threads that all saw one corruption reset once
        if self.file.exists() and not self.file.is_file():
            self._set_aside("a folder, not a file")
        try:
            self._create()
        except (sqlite3.DatabaseError, _Unusable) as err:
            if not _is_corrupt(err):
                raise
            self._set_aside(str(err))
            self._create()

    def _create(self) -> None:
        # Switching a new file to WAL takes a lock SQLite's busy handler does not wait for: processes that open a
        # new cache at the same moment retry instead of failing with "database is locked".
        deadline = time.monotonic() + _BUSY_SECONDS
        while True:
            try:
                with self._connect() as db:
                    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        db.execute("PRAGMA journal_mode=WAL")
                    db.execute("CREATE TABLE IF NOT EXISTS findings "
                               "(key TEXT PRIMARY KEY, findings TEXT NOT NULL, stored REAL NOT NULL)")
                    columns = [row[1] for row in db.execute("PRAGMA table_info(findings)")]
                break
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        if columns != _COLUMNS:
            raise _Unusable(f"its findings table has the columns {columns}, not {_COLUMNS}")

    def _set_aside(self, reason: str) -> None:
        """Move the unusable file (and its WAL and shared-memory files) aside; warn in one line."""
        aside = self.file.with_name(f"{FILENAME}.corrupt-{int(time.time())}")
        n = 1
        while aside.exists() or aside.is_symlink():
            aside, n = self.file.with_name(f"{FILENAME}.corrupt-{int(time.time())}-{n}"), n + 1
        with contextlib.suppress(FileNotFoundError):
            self.file.replace(aside)
        for suffix in ("-wal", "-shm"):  # a stale WAL would be replayed into the fresh file
            extra = self.file.with_name(FILENAME + suffix)
            with contextlib.suppress(FileNotFoundError):
                extra.replace(aside.with_name(aside.name + suffix))
        reason = " ".join(reason.split())[:120]
        print(f"treeplay: warning: finding cache {self.file} was unusable ({reason}); moved it to {aside.name} "
              "and started a fresh cache", file=sys.stderr)

    def _guard(self, operation: Callable[[], T], default: T, *, retry: bool = False) -> T:
        """Run ``operation`` on the database; a corrupt file is set aside and a fresh one started (then the
        operation runs again when ``retry``); any other database error gives ``default`` with a warning."""
        generation = self._generation
        try:
            return operation()
        except (sqlite3.Error, OSError, _Unusable) as err:
            if not _is_corrupt(err):
                print(f"treeplay: warning: finding cache {self.file} not used for this batch ({err})",
                      file=sys.stderr)
                return default
            with self._lock:
                if generation == self._generation:  # not yet reset by another thread
                    self._set_aside(str(err))
                    try:
                        self._create()
                    except (sqlite3.Error, OSError, _Unusable) as again:
                        print(f"treeplay: warning: finding cache {self.file} cannot be started again ({again}); "
                              "scanning without it", file=sys.stderr)
                        return default
                    self._generation += 1
        return self._guard(operation, default) if retry else default

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
        def read() -> dict[str, tuple[Finding, ...]]:
            out: dict[str, tuple[Finding, ...]] = {}
            with self._connect() as db:
                for start in range(0, len(keys), _CHUNK):
                    chunk = list(keys[start:start + _CHUNK])
                    marks = ",".join("?" * len(chunk))
                    for key, blob in db.execute(f"SELECT key, findings FROM findings WHERE key IN ({marks})",
                                                chunk):
                        out[key] = _findings(blob)
            return out

        return self._guard(read, {})

    def put_many(self, items: Mapping[str, Sequence[Finding]]) -> None:
        """Store findings (an empty list means "scanned, clean") in one transaction."""
        rows = [(key, json.dumps([dataclasses.asdict(f) for f in findings]), time.time())
                for key, findings in items.items()]
        if not rows:
            return

        def write() -> None:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany("INSERT OR REPLACE INTO findings (key, findings, stored) VALUES (?, ?, ?)", rows)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise

        self._guard(write, None, retry=True)

    def __len__(self) -> int:
        def count() -> int:
            with self._connect() as db:
                return int(db.execute("SELECT COUNT(*) FROM findings").fetchone()[0])

        return self._guard(count, 0)

    def clear(self) -> None:
        """Forget every cached finding."""
        def delete() -> None:
            with self._connect() as db:
                db.execute("DELETE FROM findings")

        self._guard(delete, None)


def _findings(blob: Any) -> tuple[Finding, ...]:
    """One row's findings; a row that is not a JSON list of findings means the file is not our cache."""
    try:
        return tuple(Finding(**item) for item in json.loads(blob))
    except (TypeError, ValueError) as err:
        raise _Unusable(f"a row that is not a list of findings ({err})") from None
