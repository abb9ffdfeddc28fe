"""Canonical CWE ids: every layer speaks of ``CWE-79``, whatever a data set wrote (``cwe-079``, ``79``, ...)."""

from __future__ import annotations

import re

_CWE = re.compile(r"^\s*(?:cwe)?[\s_:-]*0*(\d+)\s*$", re.IGNORECASE)


def canonical_cwe(value: str | int) -> str:
    """``'cwe-079'``, ``'CWE_79'``, ``'79'``, ``79`` -> ``'CWE-79'``; anything else raises ValueError."""
    match = _CWE.match(str(value))
    if not match:
        raise ValueError(f"not a CWE id: {value!r}")
    return f"CWE-{int(match.group(1))}"


def try_canonical_cwe(value: str | int | None) -> str | None:
    """Like ``canonical_cwe`` but None for missing or unrecognised ids."""
    if value is None:
        return None
    try:
        return canonical_cwe(value)
    except ValueError:
        return None
