"""Findings on secure references reviewed as real weaknesses (``benchmarks/reviewed_alarms.yaml``).

The detection benchmarks count a flagged secure reference as a false alarm against the data set's label, and again
"after review": a reference stops counting only when every finding that made it count is listed in the review
file for that program (its key and the finding's rule). Anything not listed keeps counting.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

REVIEWED = Path(__file__).resolve().parent / "reviewed_alarms.yaml"
EVIDENCE = ("executed", "reading")
FIELDS = {"rule", "evidence", "why", "programs"}


def load_reviewed(path: Path = REVIEWED) -> dict[str, set[str]]:
    """Program key -> the rules reviewed as real weaknesses on it. Raises ValueError naming a malformed entry."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    reviewed: dict[str, set[str]] = {}
    for i, entry in enumerate(entries, 1):
        where = f"{path.name}, entry {i}"
        if not isinstance(entry, dict) or set(entry) != FIELDS:
            raise ValueError(f"{where}: expected exactly the fields {sorted(FIELDS)}, got {entry!r}")
        if entry["evidence"] not in EVIDENCE:
            raise ValueError(f"{where}: evidence must be one of {EVIDENCE}, got {entry['evidence']!r}")
        if not entry["programs"] or not all(isinstance(p, str) for p in entry["programs"]):
            raise ValueError(f"{where}: programs must be a non-empty list of program keys")
        for key in entry["programs"]:
            reviewed.setdefault(key, set()).add(entry["rule"])
    return reviewed


def still_alarm(key: str, rules: Iterable[str], reviewed: dict[str, set[str]]) -> bool:
    """Whether a secure reference flagged with ``rules`` still counts as a false alarm after review."""
    rules = set(rules)
    return bool(rules) and not rules <= reviewed.get(key, set())
