"""Argparse ``type=`` functions shared by every command: option values checked while the command line is read.

Each returns a parser for one option (``seconds("--timeout")``) that raises ``UsageError`` naming the option and
saying what to write instead, so a bad value ends as one ``treeplay: error:`` line with its fix, exit 2, before
the command reads or writes anything. (An ``argparse.ArgumentTypeError`` would print the whole usage text
instead, and only after argparse has decided which option it was.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

from treeplay.errors import UsageError

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def seconds(option: str) -> Callable[[str], float]:
    """A time limit: a finite number of seconds above 0 (``nan``, ``inf``, ``0`` and ``-1`` are refused)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"{option} {text}: not a number of seconds above 0", fix=f"e.g. {option} 30")
        return value
    return parse


def count(option: str, *, minimum: int = 1) -> Callable[[str], int]:
    """A whole number of at least ``minimum`` (workers, tasks, an iteration)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{option} {text}: not a whole number", fix=f"e.g. {option} {max(minimum, 2)}") \
                from None
        if value < minimum:
            raise UsageError(f"{option} {text}: must be at least {minimum}", fix=f"e.g. {option} {max(minimum, 2)}")
        return value
    return parse


def shard(option: str = "--shard") -> Callable[[str], tuple[int, int]]:
    """``I/N`` -> (I, N) with 0 <= I < N: this machine's share of a run split over N machines."""
    def parse(text: str) -> tuple[int, int]:
        match = _SHARD.fullmatch(text)
        if not match:
            raise UsageError(f"{option} {text!r}: not I/N", fix=f"e.g. {option} 0/4 (the first of 4 shards)")
        index, total = int(match.group(1)), int(match.group(2))
        if not 0 <= index < total:
            raise UsageError(f"{option} {text}: I must be in 0..N-1", fix=f"e.g. {option} 0/4 (the first of 4 shards)")
        return index, total
    return parse


def output_file(option: str) -> Callable[[str], Path]:
    """A file to write: not an existing folder, and no existing file where one of its folders would be."""
    def parse(text: str) -> Path:
        path = Path(text)
        if not text.strip() or path.is_dir():
            raise UsageError(f"{option} {text}: is a folder; name the file to write",
                             fix=f"e.g. {option} {Path(text or '.') / 'out.jsonl'}")
        _check_parents(option, text, path)
        return path
    return parse


def output_dir(option: str) -> Callable[[str], Path]:
    """A folder to write into (created when missing): not an existing file, nor below one."""
    def parse(text: str) -> Path:
        path = Path(text)
        if not text.strip() or (path.exists() and not path.is_dir()):
            raise UsageError(f"{option} {text}: is a file; name a folder to write into",
                             fix=f"e.g. {option} runs/x (a new or existing folder)")
        _check_parents(option, text, path)
        return path
    return parse


def _check_parents(option: str, text: str, path: Path) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {text}: {parent} is a file, not a folder",
                                 fix="pick an output path inside a folder")
            return
