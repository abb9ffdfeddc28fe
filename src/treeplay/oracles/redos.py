"""ReDoS (CWE-1333) by analysis: every regular expression of a Python or JavaScript program, judged by recheck.

Timing tests cannot judge catastrophic backtracking: on a fast machine, or with a generous time-out, a vulnerable
pattern finishes in time. This analyzer (``redos`` in the analyzer list) extracts the patterns a program builds
(``treeplay.oracles.regex_extract``: literals, ``re`` calls with their flags and anchoring, constants they are
built from) and asks recheck (the ReDoS checker CWEval's own tests use; its Linux binary ships in the npm package
``recheck-linux-x64``, which ``make setup`` installs in the sandbox's environment) whether each can backtrack
catastrophically. recheck combines an automaton analysis with a fuzzer; it answers ``vulnerable`` with the
complexity (exponential, or polynomial of degree k) and an attack string, ``safe``, or ``unknown`` (out of its
limits: no finding). One recheck process (``recheck agent``) checks a whole batch, each distinct pattern once.

Findings: CWE-1333, rule ``redos-exponential`` (severity high) or ``redos-polynomial`` (severity medium for degree
3 and more, low for quadratic, which stays below the default threshold: ``\\s+$`` searched over a long line is
quadratic, and such patterns are everywhere in secure code), at the pattern's line, with the attack string.

``check_patterns`` is also what the test runners use to judge a CWE-1333 safety case by the patterns the candidate
actually compiled, with the time-out only as a backstop.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import proc
from treeplay.oracles.analyzer_tools import files_digest
from treeplay.oracles.base import Program
from treeplay.oracles.regex_extract import Pattern, extract, python_to_js
from treeplay.records import Finding

CWE = "CWE-1333"
PATTERN_TIMEOUT_MS = 3000  # recheck's own budget per pattern; beyond it the answer is "unknown"
INSTALL_HINT = "make setup (it installs the npm package recheck-linux-x64 in the sandbox's environment), or set " \
               "TREEPLAY_RECHECK to a recheck binary"
_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Verdict:
    """recheck's answer for one (JavaScript source, flags)."""

    status: str  # vulnerable | safe | unknown
    complexity: str = ""  # "exponential", "2nd degree polynomial", ...
    degree: int = 0  # 0 = exponential (or not vulnerable), else the polynomial's degree
    attack: str = ""

    @property
    def vulnerable(self) -> bool:
        return self.status == "vulnerable"


def recheck_binary() -> str:
    """The recheck executable: $TREEPLAY_RECHECK, else the one ``make setup`` installs; ToolMissingError if none."""
    given = os.environ.get("TREEPLAY_RECHECK")
    if given:
        path = Path(given)
    else:
        from treeplay.oracles.sandbox_env import sandbox_env_dir

        path = sandbox_env_dir() / "node_modules" / "recheck-linux-x64" / "recheck"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ToolMissingError(f"the ReDoS checker recheck is not installed ({path})", tool="recheck",
                               fix=INSTALL_HINT)
    return str(path)


def check_patterns(patterns: Iterable[tuple[str, str]], *, binary: str | None = None,
                   timeout_ms: int = PATTERN_TIMEOUT_MS) -> dict[tuple[str, str], Verdict]:
    """recheck's verdict for each distinct (JavaScript source, flags), from one ``recheck agent`` process."""
    unique = list(dict.fromkeys(patterns))
    if not unique:
        return {}
    binary = binary or recheck_binary()
    requests = [json.dumps({"jsonrpc": "2.0+push", "id": i, "method": "check",
                            "params": {"source": source, "flags": _js_flags(flags),
                                       "params": {"timeout": timeout_ms}}}) for i, (source, flags) in
                enumerate(unique)]
    res = proc.exchange([binary, "agent"], requests, answers=lambda line: '"result"' in line or '"error"' in line,
                        count=len(unique), timeout=30 + len(unique) * timeout_ms / 1000, install_hint=INSTALL_HINT)
    verdicts: dict[tuple[str, str], Verdict] = {}
    for line in res.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        index = message.get("id")
        if isinstance(index, int) and 0 <= index < len(unique):
            verdicts[unique[index]] = _verdict(message.get("result"))
    if not verdicts and unique:
        raise ToolError("recheck answered nothing", tool="recheck", stderr=res.stdout[-2000:])
    return {key: verdicts.get(key, Verdict("unknown")) for key in unique}


def _js_flags(flags: str) -> str:
    """The flags recheck takes (it rejects ones that do not change matching, such as g and y)."""
    return "".join(f for f in dict.fromkeys(flags) if f in "imsu")


def _verdict(result: object) -> Verdict:
    if not isinstance(result, dict):
        return Verdict("unknown")
    complexity = result.get("complexity") or {}
    attack = result.get("attack") or {}
    kind = complexity.get("type", "") if isinstance(complexity, dict) else ""
    return Verdict(status=str(result.get("status", "unknown")),
                   complexity=str(complexity.get("summary", "")) if isinstance(complexity, dict) else "",
                   degree=int(complexity.get("degree", 0) or 0) if kind == "polynomial" else 0,
                   attack=str(attack.get("pattern", "")) if isinstance(attack, dict) else "")


def severity(verdict: Verdict) -> str:
    """high for exponential backtracking, medium for polynomial of degree 3+, low for quadratic."""
    if verdict.degree == 0:
        return "high"
    return "medium" if verdict.degree >= 3 else "low"


class RedosOracle:
    """Static ReDoS analysis of Python and JavaScript programs (see the module docstring)."""

    name = "redos"
    languages = frozenset({"python", "javascript"})

    def __init__(self, binary: str | None = None) -> None:
        self._binary = binary

    def version(self) -> str:
        binary = self._binary or recheck_binary()
        return _version(binary, files_digest([_HERE / "redos.py", _HERE / "regex_extract.py"]))

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        found: dict[str, list[tuple[Pattern, tuple[str, str]]]] = {}
        for program in programs:
            found[program.key] = [(p, js) for p in extract(program.language, program.code)
                                  if (js := python_to_js(p)) is not None]
        verdicts = check_patterns((js for pairs in found.values() for _, js in pairs),
                                  binary=self._binary or recheck_binary())
        return {key: _findings(pairs, verdicts) for key, pairs in found.items()}


def _findings(pairs: list[tuple[Pattern, tuple[str, str]]],
              verdicts: dict[tuple[str, str], Verdict]) -> list[Finding]:
    out = []
    for pattern, js in pairs:
        verdict = verdicts.get(js)
        if verdict is None or not verdict.vulnerable:
            continue
        rule = "redos-exponential" if verdict.degree == 0 else "redos-polynomial"
        shown = pattern.source if len(pattern.source) <= 80 else pattern.source[:77] + "..."
        out.append(Finding(tool="redos", rule=rule, cwe=CWE, line=pattern.line, severity=severity(verdict),
                           message=f"regular expression /{shown}/ backtracks catastrophically "
                                   f"({verdict.complexity}; attack: {verdict.attack[:120]})"))
    return out


@lru_cache(maxsize=8)
def _version(binary: str, digest: str) -> str:
    package = Path(binary).parent / "package.json"
    try:
        release = json.loads(package.read_text(encoding="utf-8")).get("version", "?")
    except (OSError, ValueError):
        release = f"{os.stat(binary).st_size}"
    return f"recheck {release} rules {digest}"


def compiled_failure(compiled: Iterable[Sequence[object]], program: str, language: str, *,
                     binary: str | None = None) -> str | None:
    """Why a CWE-1333 safety test fails although it ran in time, or None: a pattern the candidate compiled at run
    time (``compiled``: (pattern, flags) pairs; for JavaScript, its source's patterns) that recheck finds
    vulnerable. A pattern also written in the source is checked as the source matches it (``match`` anchors);
    one built some other way is checked as a search, and then only exponential backtracking counts, since how it
    is matched is not known."""
    written = {}
    for pattern in extract(language, program):
        if written.get(pattern.source) != "search":
            written[pattern.source] = pattern.mode
    if language == "javascript":
        compiled = [(p.source, p.flags) for p in extract(language, program)]
    checks = []
    for source, flags in compiled:
        if not isinstance(source, str) or not isinstance(flags, (int, str)):
            continue
        mode = written.get(source)
        js = python_to_js(Pattern(line=0, source=source, flags=flags, mode=mode or "search"))
        if js is not None:
            checks.append((source, js, mode is not None))
    if not checks:
        return None
    verdicts = check_patterns((js for _, js, _ in checks), binary=binary)
    for source, js, known in checks:
        verdict = verdicts[js]
        if verdict.vulnerable and (known or verdict.degree == 0):
            return (f"ReDoS: the regular expression /{source[:100]}/ backtracks catastrophically "
                    f"({verdict.complexity}; attack: {verdict.attack[:120]})")
    return None
