"""CodeQL as an Oracle (optional): used only when a ``codeql`` binary is installed.

The TSP paper scored SPR@1 with CodeQL, so treeplay can too. For each language in a batch, one database is
created over a folder holding all of that language's programs (interpreted languages need no build) and
analysed once with the language's ``security-extended`` suite; the SARIF it writes is parsed by
``parse_sarif``, which is also what the tests exercise on a recorded output (CodeQL is not installed here).

CWE ids come from the rule tags (``external/cwe/cwe-078`` -> ``CWE-78``); severity from the rule's
``security-severity`` score (>= 7 high, >= 4 medium, else low), else from the result level (error / warning /
note).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from treeplay.data.cwe import try_canonical_cwe
from treeplay.errors import ToolError
from treeplay.oracles import proc
from treeplay.oracles.analyzer_tools import batch_folder, clamp_line, find_tool, tool_version
from treeplay.oracles.base import Program
from treeplay.records import Finding

INSTALL_HINT = ("download the CodeQL bundle (github.com/github/codeql-action/releases), unpack it and put its "
                "`codeql` on PATH")
# treeplay language -> CodeQL extractor name; all of them are extracted without building.
LANGUAGES = {"python": "python", "javascript": "javascript", "ruby": "ruby"}
_CWE_TAG = re.compile(r"^external/cwe/cwe-0*(\d+)$", re.IGNORECASE)
_LEVEL = {"error": "high", "warning": "medium", "note": "low", "none": "low", "recommendation": "low"}


class CodeQLOracle:
    """Scan Python, JavaScript and Ruby programs with CodeQL's security queries.

    ``suite`` overrides the query suite (default ``codeql/<lang>-queries:codeql-suites/<lang>-security-extended
    .qls``, which the CodeQL bundle ships, so no download is needed); ``threads`` is passed to CodeQL.
    """

    name = "codeql"
    languages = frozenset(LANGUAGES)

    def __init__(self, *, suite: str | None = None, threads: int = 1, timeout: float = 600.0) -> None:
        self.suite = suite
        self.threads = threads
        self.timeout = timeout

    def _suite(self, language: str) -> str:
        lang = LANGUAGES[language]
        return self.suite or f"codeql/{lang}-queries:codeql-suites/{lang}-security-extended.qls"

    def version(self) -> str:
        """CodeQL's version and the query suite."""
        ver = tool_version(find_tool("codeql", INSTALL_HINT), args=("version", "--format=terse"))
        return f"codeql {ver}; suite={self.suite or 'security-extended'}"

    def scan(self, programs: Sequence[Program]) -> dict[str, list[Finding]]:
        """One database and one analysis per language present in the batch."""
        out: dict[str, list[Finding]] = {p.key: [] for p in programs}
        binary = find_tool("codeql", INSTALL_HINT) if programs else ""
        for language in sorted({p.language for p in programs}):
            group = [p for p in programs if p.language == language]
            if language not in LANGUAGES:
                raise ValueError(f"codeql does not handle {language!r} here (handles {sorted(LANGUAGES)})")
            with batch_folder(group) as (folder, names):
                sarif = self._analyze(binary, language, folder)
            for key, findings in parse_sarif(sarif, names).items():
                out[key].extend(findings)
        return out

    def _analyze(self, binary: str, language: str, folder: Path) -> dict[str, Any]:
        db, report = folder.parent / f"{folder.name}.codeqldb", folder.parent / f"{folder.name}.sarif"
        steps = [
            [binary, "database", "create", str(db), f"--language={LANGUAGES[language]}",
             f"--source-root={folder}", "--overwrite", f"--threads={self.threads}"],
            [binary, "database", "analyze", str(db), self._suite(language), "--format=sarif-latest",
             f"--output={report}", f"--threads={self.threads}", "--no-print-diagnostics-summary"],
        ]
        try:
            for argv in steps:
                res = proc.run(argv, cwd=folder, timeout=self.timeout, install_hint=INSTALL_HINT)
                if not res.ok:
                    raise ToolError(f"codeql {argv[1]} {argv[2]} failed (exit {res.returncode})", tool="codeql",
                                    stderr=res.stderr[-4000:])
            return json.loads(report.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ToolError(f"codeql wrote no readable SARIF: {err}", tool="codeql") from None
        finally:
            report.unlink(missing_ok=True)
            shutil.rmtree(db, ignore_errors=True)


def parse_sarif(sarif: Mapping[str, Any], names: Mapping[str, str], *,
                tool: str = "codeql") -> dict[str, list[Finding]]:
    """Findings per program key from a CodeQL SARIF log; ``names`` maps file base names to program keys.

    Results in files that are not in ``names`` are ignored. Rules are looked up in the driver and in every
    extension (CodeQL lists a query pack's rules under ``tool.extensions``).
    """
    out: dict[str, list[Finding]] = {key: [] for key in names.values()}
    for run in sarif.get("runs", []):
        components = [run.get("tool", {}).get("driver", {})] + list(run.get("tool", {}).get("extensions", []))
        by_id = {r.get("id"): r for comp in components for r in comp.get("rules", [])}
        for result in run.get("results", []):
            rule = _result_rule(result, components, by_id)
            location = ((result.get("locations") or [{}])[0]).get("physicalLocation", {})
            uri = location.get("artifactLocation", {}).get("uri", "")
            key = names.get(Path(uri).name)
            if key is None:
                continue
            out[key].append(Finding(
                tool=tool, rule=str(result.get("ruleId") or rule.get("id", "")), cwe=_rule_cwe(rule),
                line=clamp_line(location.get("region", {}).get("startLine")),
                severity=_severity(result, rule), message=" ".join(_message(result).split())))
    return out


def _result_rule(result: Mapping[str, Any], components: Sequence[Mapping[str, Any]],
                 by_id: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    ref = result.get("rule") or {}
    index = ref.get("index", result.get("ruleIndex"))
    comp_index = (ref.get("toolComponent") or {}).get("index")
    if index is not None:
        comp = components[comp_index + 1] if comp_index is not None else components[0]
        rules = comp.get("rules", [])
        if 0 <= index < len(rules):
            return rules[index]
    return by_id.get(result.get("ruleId") or ref.get("id"), {})


def _rule_cwe(rule: Mapping[str, Any]) -> str | None:
    for tag in (rule.get("properties") or {}).get("tags", []):
        match = _CWE_TAG.match(str(tag))
        if match:
            return try_canonical_cwe(match.group(1))
    return None


def _severity(result: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    props = rule.get("properties") or {}
    try:
        score = float(props["security-severity"])
    except (KeyError, TypeError, ValueError):
        score = None
    if score is not None:
        return "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"
    level = result.get("level") or (rule.get("defaultConfiguration") or {}).get("level") \
        or props.get("problem.severity")
    return _LEVEL.get(str(level), "medium")


def _message(result: Mapping[str, Any]) -> str:
    message = result.get("message") or {}
    return str(message.get("text") or message.get("markdown") or "")
