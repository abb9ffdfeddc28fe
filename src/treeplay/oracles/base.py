"""The Oracle protocol: a static analyzer that scans a batch of programs at once, and a fake for tests.

Oracles report, they don't throw: vulnerable code yields findings. They raise only when the tool itself failed
(``ToolMissingError`` with an install hint, ``ToolError`` keeping stderr).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from treeplay.records import Finding

SEVERITIES = ("low", "medium", "high")
# The defaults of the score section (ScoreConfig) and of every function that takes these arguments: named here, in
# the oracles' leaf module, because the config imports the oracles' names (to check them) and not the reverse.
DEFAULT_SEVERITY = "medium"  # findings below it are ignored
DEFAULT_ANALYZERS = ("bandit", "semgrep", "cppcheck", "flawfinder", "codeshield-regex", "govet", "redos")


@dataclass(frozen=True)
class Program:
    """One program to judge. ``key`` is unique in a batch; ``language`` is a treeplay language name."""

    key: str
    language: str
    code: str


_INDENTED_FIRST_LINE = re.compile(r"(?:[ \t\f]*\r?\n)*[ \t\f]+\S")  # blank lines, then an indented one


def as_module(language: str, code: str) -> str:
    """The program as a module the parsers and analyzers accept. A Python program whose every line is indented
    by the same margin (a method taken out of its class, as in SafeCoder's records) does not parse as it stands,
    and bandit and semgrep then see nothing in it: the common margin is removed (line numbers unchanged). Other
    programs, and Python programs with a line at column 0, are returned as they are."""
    if language != "python" or not _INDENTED_FIRST_LINE.match(code):
        return code
    return textwrap.dedent(code)


class Oracle(Protocol):
    """A static analyzer. ``scan`` takes the whole batch so the tool starts once, not once per file."""

    name: str
    languages: frozenset[str]

    def version(self) -> str:
        """Tool version plus a hash of its rules: part of every cache key."""
        ...

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """Findings per program key (every key present, empty list when clean)."""
        ...


def severity_at_least(severity: str, threshold: str) -> bool:
    """Whether ``severity`` (low/medium/high) reaches ``threshold``."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)


class FakeOracle:
    """Flags lines matching regular expressions; for testing the layers above real analyzers."""

    def __init__(self, patterns: Mapping[str, str], *, name: str = "fake", languages: Sequence[str] = ("python",),
                 severity: str = "high") -> None:
        self.name = name
        self.languages = frozenset(languages)
        self._patterns = {cwe: re.compile(p) for cwe, p in patterns.items()}
        self._severity = severity
        self.calls = 0

    def version(self) -> str:
        return f"fake:{sorted((c, p.pattern) for c, p in self._patterns.items())}"

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        self.calls += 1
        out: dict[str, list[Finding]] = {}
        for prog in programs:
            found = []
            for number, line in enumerate(prog.code.splitlines(), start=1):
                for cwe, pattern in self._patterns.items():
                    if pattern.search(line):
                        found.append(Finding(tool=self.name, rule=f"fake-{cwe}", cwe=cwe, line=number,
                                             severity=self._severity, message=f"matches {pattern.pattern!r}"))
            out[prog.key] = found
        return out
