"""Scan profiles: which analyzers judge a program, at which severity, and what for.

- ``default``: what training labels need, the most vulnerabilities found at a low false-alarm rate on secure
  code: every default analyzer (bandit, semgrep with CodeShield's rules, treeplay's pattern rules and its
  dataflow rules, cppcheck, flawfinder, CodeShield's regular expressions, go vet, redos) at severity medium.
- ``paper``: what the paper's SPR@1 measured, as closely as an offline scan can: the ``codeql-compat`` analyzer
  (semgrep with the rules of ``treeplay.oracles.dataflow``'s "paper" pack, each standing for one of CodeQL's
  Python security queries, remote input as CodeQL's default threat model defines it). Python only: programs in
  other languages are not analyzed by it. Calibrated on the paper's own CodeQL verdicts (docs/oracles.md,
  ``benchmarks/codeql_calibration.py``).

``treeplay scan --profile``, ``score.profile`` and ``treeplay eval`` (which reports ``spr@1`` under the run's
profile and ``spr@1[paper]`` beside it) use these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from treeplay.oracles.base import DEFAULT_ANALYZERS, DEFAULT_SEVERITY, Program
from treeplay.records import Finding


@dataclass(frozen=True)
class Profile:
    name: str
    analyzers: tuple[str, ...]
    severity: str
    languages: frozenset[str] | None  # None: every language the analyzers cover
    purpose: str


PROFILES = {
    "default": Profile("default", DEFAULT_ANALYZERS, DEFAULT_SEVERITY, None,
                       "training labels: most vulnerabilities found, few false alarms on secure code"),
    "paper": Profile("paper", ("codeql-compat",), "medium", frozenset({"python"}),
                     "the paper's SPR@1: CodeQL's Python security queries, reproduced offline"),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; a ValueError naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown scan profile {name!r} (known: {', '.join(PROFILES)})") from None


def profile_scan(programs: Sequence[Program], profile: str = "default",
                 **options: Any) -> dict[str, tuple[Finding, ...]]:
    """``scan_programs`` with the profile's analyzers and severity (``options``: cache, oracles)."""
    from treeplay.oracles.static import scan_programs

    chosen = get_profile(profile)
    return scan_programs(programs, analyzers=chosen.analyzers, severity=chosen.severity, **options)
