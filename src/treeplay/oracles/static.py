"""Static analysis of many programs at once: route by language, run each analyzer once, cache, filter, dedupe.

``scan_programs`` is the entry point the composite verdict and ``treeplay scan`` build on. For one batch of
programs it

1. routes each program to the analyzers that cover its language (bandit: Python; semgrep: Python, C, C++,
   JavaScript, Go, Java, Ruby; cppcheck and flawfinder: C, C++; codeshield-regex: all seven; govet: Go;
   redos: Python, JavaScript; codeql when asked: Python, JavaScript, Ruby), and skips an analyzer no program
   needs, so a missing C tool does not stop a Python-only scan. ``govet`` is optional (``OPTIONAL_ANALYZERS``):
   without ``go`` it is skipped with a warning (once per process) instead of failing the scan, because semgrep
   covers Go too;
2. looks every (analyzer, program) up in the finding cache and runs each analyzer **once** on the programs it
   has not seen, the analyzers in parallel threads (each thread only waits on its own subprocess);
3. keeps findings at or above ``severity`` and merges findings of different tools that point at the same line
   and the same CWE into one (see ``dedupe``).

The analyzer modules are imported when an analyzer is asked for (``make_oracle``); the helpers they share
(``find_tool``, ``tool_version``, ``batch_folder``, ...) live in ``treeplay.oracles.analyzer_tools``.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles.analyzer_tools import find_tool as find_tool  # re-exported: where callers look for it
from treeplay.oracles.base import (
    DEFAULT_ANALYZERS,
    DEFAULT_SEVERITY,
    SEVERITIES,
    Oracle,
    Program,
    as_module,
    severity_at_least,
)
from treeplay.oracles.cache import DEFAULT, FindingCache, cache_key
from treeplay.records import Finding

ANALYZERS = DEFAULT_ANALYZERS + ("codeql-compat", "codeql")
# Analyzers whose tool may be missing without failing a scan: skipped with a one-time warning. Only those
# whose languages another default analyzer also covers (govet: semgrep scans Go as well).
OPTIONAL_ANALYZERS = frozenset({"govet"})
_warned_missing: set[str] = set()



# ------------------------------------------------------------------------------------------------ routing


def make_oracle(name: str) -> Oracle:
    """The analyzer called ``name`` with its default settings, reporting every severity (filtered later)."""
    if name == "bandit":
        from treeplay.oracles.bandit import BanditOracle
        return BanditOracle(severity="low")
    if name == "semgrep":
        from treeplay.oracles.semgrep import SemgrepOracle
        return SemgrepOracle()
    if name == "cppcheck":
        from treeplay.oracles.cppcheck import CppcheckOracle
        return CppcheckOracle()
    if name == "flawfinder":
        from treeplay.oracles.flawfinder import FlawfinderOracle
        return FlawfinderOracle()
    if name == "codeshield-regex":
        from treeplay.oracles.regex import RegexOracle
        return RegexOracle()
    if name == "govet":
        from treeplay.oracles.govet import GovetOracle
        return GovetOracle()
    if name == "codeql-compat":
        from treeplay.oracles.semgrep import SemgrepOracle
        return SemgrepOracle(codeshield=False, own_rules=False, dataflow="paper", name="codeql-compat")
    if name == "codeql":
        from treeplay.oracles.codeql import CodeQLOracle
        return CodeQLOracle()
    if name == "redos":
        from treeplay.oracles.redos import RedosOracle
        return RedosOracle()
    raise ValueError(f"unknown analyzer {name!r} (known: {', '.join(ANALYZERS)})")


def scan_programs(programs: Sequence[Program], *, analyzers: Sequence[str] = DEFAULT_ANALYZERS,
                  severity: str = DEFAULT_SEVERITY, cache: FindingCache | None = DEFAULT,
                  oracles: Mapping[str, Oracle] | None = None) -> dict[str, tuple[Finding, ...]]:
    """Findings per program key (every key present; empty tuple when clean), deduped across tools.

    ``analyzers`` names the analyzers to use; each one only sees programs in its languages, and one that
    covers none of the batch is never started. ``oracles`` maps names to ready instances (tests, custom
    settings); names missing from it are built with ``make_oracle``. ``cache``: the default opens the user
    cache (see ``treeplay.oracles.cache``); ``None`` disables caching. Findings below ``severity``
    (low/medium/high) are dropped after the cache, so one cached scan serves every threshold.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    programs = [Program(p.key, p.language, as_module(p.language, p.code)) for p in programs]
    keys = [p.key for p in programs]
    if len(set(keys)) != len(keys):
        raise ValueError("program keys must be unique within a batch")
    if cache is DEFAULT:
        cache = _open_user_cache()
    chosen = _route(programs, analyzers, oracles or {})
    found: dict[str, list[Finding]] = {p.key: [] for p in programs}
    with ThreadPoolExecutor(max_workers=max(1, len(chosen))) as pool:
        jobs = [pool.submit(_scan_cached, oracle, progs, cache) for oracle, progs in chosen]
        for job in jobs:
            for key, findings in job.result().items():
                found[key].extend(findings)
    return {key: dedupe(f for f in findings if severity_at_least(f.severity, severity))
            for key, findings in found.items()}


# Languages per analyzer, known without importing (or finding) the analyzer.
_LANGUAGES = {
    "bandit": frozenset({"python"}),
    "semgrep": frozenset({"python", "c", "cpp", "javascript", "go", "java", "ruby"}),
    "cppcheck": frozenset({"c", "cpp"}),
    "flawfinder": frozenset({"c", "cpp"}),
    "codeshield-regex": frozenset({"python", "c", "cpp", "javascript", "go", "java", "ruby"}),
    "govet": frozenset({"go"}),
    "codeql-compat": frozenset({"python"}),
    "codeql": frozenset({"python", "javascript", "ruby"}),
    "redos": frozenset({"python", "javascript"}),
}


def covered_languages(analyzers: Sequence[str]) -> frozenset[str]:
    """The languages at least one of the named analyzers scans (others get no findings, not a clean bill)."""
    return frozenset().union(*(_LANGUAGES.get(name, frozenset()) for name in analyzers))


def _route(programs: Sequence[Program], analyzers: Sequence[str],
           oracles: Mapping[str, Oracle]) -> list[tuple[Oracle, list[Program]]]:
    """(oracle, its programs) for every named analyzer that has programs; others are never built."""
    chosen = []
    for name in dict.fromkeys(analyzers):  # keep order, drop repeats
        given = oracles.get(name)
        if given is None and name not in ANALYZERS:
            raise ValueError(f"unknown analyzer {name!r} (known: {', '.join(ANALYZERS)})")
        languages = given.languages if given is not None else _LANGUAGES[name]
        progs = [p for p in programs if p.language in languages]
        if not progs:
            continue
        oracle = given if given is not None else make_oracle(name)
        if given is None and name in OPTIONAL_ANALYZERS and not _tool_present(oracle):
            continue
        chosen.append((oracle, progs))
    return chosen


def _tool_present(oracle: Oracle) -> bool:
    """Whether an optional analyzer's tool is installed; warns once per process when it is not."""
    try:
        oracle.version()
    except ToolMissingError as err:
        if oracle.name not in _warned_missing:
            _warned_missing.add(oracle.name)
            warnings.warn(f"treeplay: skipping the optional analyzer {oracle.name}: {err} (fix: {err.fix})",
                          stacklevel=4)
        return False
    return True


def _open_user_cache() -> FindingCache | None:
    try:
        return FindingCache()
    except (OSError, sqlite3.Error) as err:
        # A cache only saves time: an unwritable cache folder must not stop scoring.
        warnings.warn(f"treeplay: finding cache unavailable ({err}); scanning without it", stacklevel=3)
        return None


def _scan_cached(oracle: Oracle, programs: Sequence[Program],
                 cache: FindingCache | None) -> dict[str, list[Finding]]:
    if cache is None:
        return _scan_checked(oracle, programs)
    version = oracle.version()
    keyed = {p.key: cache_key(oracle.name, version, p.language, p.code) for p in programs}
    hits = cache.get_many(list(keyed.values()))
    out = {p.key: list(hits[keyed[p.key]]) for p in programs if keyed[p.key] in hits}
    todo = [p for p in programs if p.key not in out]
    # Identical code under two keys is scanned once.
    unique = list({keyed[p.key]: p for p in todo}.values())
    if unique:
        fresh = _scan_checked(oracle, unique)
        cache.put_many({keyed[p.key]: fresh[p.key] for p in unique})
        by_hash = {keyed[p.key]: fresh[p.key] for p in unique}
        out.update({p.key: list(by_hash[keyed[p.key]]) for p in todo})
    return out


def _scan_checked(oracle: Oracle, programs: Sequence[Program]) -> dict[str, list[Finding]]:
    result = oracle.scan(programs)
    missing = [p.key for p in programs if p.key not in result]
    if missing:
        raise ToolError(f"{oracle.name} returned no result for {len(missing)} program(s), e.g. {missing[0]!r}",
                        tool=oracle.name)
    return result


# ------------------------------------------------------------------------------------------------- dedupe


def dedupe(findings: Iterator[Finding] | Sequence[Finding]) -> tuple[Finding, ...]:
    """Merge findings that name the same line and the same CWE, keeping every tool visible.

    A merged finding has ``tool`` = the tool names joined by ``+`` (``bandit+semgrep``), ``rule`` = their
    rules joined by ``+`` in the same order, the highest ``severity``, and the message of the most severe
    one. Findings without a CWE are only merged with exact duplicates: two tools saying "something" about a
    line need not mean the same thing. The result is sorted by line, then CWE.
    """
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        key = (f.line, f.cwe) if f.cwe else (f.line, None, f.tool, f.rule)
        group = groups.setdefault(key, [])
        if f not in group:
            group.append(f)
    merged = [_merge(group) for group in groups.values()]
    return tuple(sorted(merged, key=lambda f: (f.line, f.cwe or "", f.tool, f.rule)))


def _merge(group: list[Finding]) -> Finding:
    if len(group) == 1:
        return group[0]
    ordered = sorted(group, key=lambda f: (f.tool, f.rule))
    top = max(group, key=lambda f: SEVERITIES.index(f.severity))
    return Finding(tool="+".join(dict.fromkeys(f.tool for f in ordered)),
                   rule="+".join(f.rule for f in ordered), cwe=top.cwe, line=top.line,
                   severity=top.severity, message=top.message)
