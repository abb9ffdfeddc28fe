"""CodeShield's regular-expression rules as an Oracle (``codeshield-regex``), run in-process.

CodeShield (Meta's Insecure Code Detector) runs two analyzers: semgrep (``treeplay.oracles.semgrep``) and a list
of Python regular expressions per language, ``insecure_code_detector/rules/regex/<language>.yaml`` in the
installed ``codeshield`` package (entries ``{cwe_id, description, rule, severity, pattern_id}``). This module
applies the regex rules the way CodeShield itself selects them, read from the package at run time:

- ``rules/config.yaml`` lists, per use case (``codeshield`` by default, or ``cyberseceval``) and language, the
  regex rules that are enabled; an entry without a ``pattern_id`` is always on, as in CodeShield;
- C++ gets the C++ rules and the C rules; every language gets the language-agnostic rules (leaked API keys
  and private keys); a language CodeShield has no file for (Go) gets only those.

So in the default use case Ruby gets no Ruby-specific rule (CodeShield enables its one Ruby rule, Open3.popen3,
only for ``cyberseceval``); Java gets its 14 crypto and XXE rules, C its scanf/strcat/gets rules, Python its
weak-hash rules. Unlike CodeShield, which reports the first match of each rule, every matching line is
reported. A match on a line that starts as a comment or preprocessor directive is skipped (CodeShield's own
filter). No process starts: ``version()`` is the package version plus a hash of the rule files.
"""

from __future__ import annotations

import bisect
import importlib.metadata
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError
from treeplay.oracles.analyzer_tools import files_digest
from treeplay.oracles.base import Program
from treeplay.oracles.semgrep import USECASES, codeshield_root
from treeplay.records import Finding

# treeplay language -> CodeShield's file names, in the order CodeShield loads them.
_FILES = {
    "python": ("python", "language_agnostic"),
    "c": ("c", "language_agnostic"),
    "cpp": ("cpp", "c", "language_agnostic"),
    "javascript": ("javascript", "language_agnostic"),
    "java": ("java", "language_agnostic"),
    "ruby": ("ruby", "language_agnostic"),
    "go": ("language_agnostic",),
}
_SEVERITY = {"error": "high", "warning": "medium", "advice": "low"}


@dataclass(frozen=True)
class RegexRule:
    """One CodeShield regex rule, compiled."""

    pattern_id: str
    cwe: str | None
    severity: str
    description: str
    regex: re.Pattern[str]


class RegexOracle:
    """Apply CodeShield's regex rules (as CodeShield enables them for ``usecase``) to each program."""

    name = "codeshield-regex"
    languages = frozenset(_FILES)

    def __init__(self, *, usecase: str = "codeshield") -> None:
        if usecase not in USECASES:
            raise ValueError(f"usecase must be one of {USECASES}, got {usecase!r}")
        self.usecase = usecase

    def rules(self, language: str) -> tuple[RegexRule, ...]:
        """The enabled rules for a treeplay language (empty for languages CodeShield does not know)."""
        root = codeshield_root()
        return _load(str(root), self.usecase, language) if language in _FILES else ()

    def version(self) -> str:
        """CodeShield's package version, the use case and a hash of its regex rules and config."""
        root = codeshield_root()
        files = sorted((root / "regex").glob("*.yaml")) + [root / "config.yaml"]
        try:
            package = importlib.metadata.version("codeshield")
        except importlib.metadata.PackageNotFoundError:
            package = "unknown"
        return f"codeshield {package}; usecase {self.usecase}; rules {files_digest(files)}"

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """Findings per program key; every key present."""
        return {p.key: self._scan_one(p) for p in programs}

    def _scan_one(self, program: Program) -> list[Finding]:
        code = program.code
        starts = _line_starts(code)
        found: dict[tuple[str, int], Finding] = {}
        for rule in self.rules(program.language):
            for match in rule.regex.finditer(code):
                line = _line_of(starts, match.start())
                before = code[starts[line - 1]:match.start()]
                if (rule.pattern_id, line) in found or _is_comment_or_directive(before):
                    continue
                found[(rule.pattern_id, line)] = Finding(
                    tool=self.name, rule=rule.pattern_id, cwe=rule.cwe, line=line, severity=rule.severity,
                    message=" ".join(rule.description.split()))
        return sorted(found.values(), key=lambda f: (f.line, f.rule))


@lru_cache(maxsize=32)
def _load(root: str, usecase: str, language: str) -> tuple[RegexRule, ...]:
    folder = Path(root)
    try:
        config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))["config"][usecase]
        rules: list[RegexRule] = []
        for name in _FILES[language]:
            enabled = set(((config.get(name) or {}).get("regex") or {}).get("rules") or [])
            path = folder / "regex" / f"{name}.yaml"
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else []
            for entry in entries or []:
                rule = _rule(entry, name)
                if rule is not None and (not entry.get("pattern_id") or entry["pattern_id"] in enabled):
                    rules.append(rule)
    except (OSError, KeyError, TypeError, yaml.YAMLError, re.error) as err:
        raise ToolError(f"cannot read CodeShield's regex rules: {err}", tool="codeshield-regex") from err
    return tuple(rules)


def _rule(entry: dict, file_name: str) -> RegexRule | None:
    severity = _SEVERITY.get(str(entry.get("severity", "")).lower())
    if severity is None:  # "disabled"
        return None
    match = re.search(r"CWE[-_ ]?(\d+)", str(entry.get("cwe_id", "")), re.IGNORECASE)
    return RegexRule(pattern_id=str(entry.get("pattern_id") or f"{file_name}:{entry['rule'][:40]}"),
                     cwe=try_canonical_cwe(match.group(1)) if match else None, severity=severity,
                     description=str(entry.get("description", "")), regex=re.compile(entry["rule"]))


def _line_starts(code: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(code) if ch == "\n")
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def _is_comment_or_directive(line_prefix: str) -> bool:
    # CodeShield's filter, on the text before the match on its line: comments and #include/#define lines.
    text = line_prefix.strip()
    return text.startswith(("#", "//", "/*")) or text.endswith("*/")
