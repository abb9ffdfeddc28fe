"""Findings as a SARIF 2.1.0 log, the format code-scanning services (GitHub, GitLab, IDEs) read.

One run whose driver is treeplay; each distinct (tool, rule) is a SARIF rule whose ``properties.tags`` carry
"security", the canonical CWE (``CWE-78``) and GitHub's form of it (``external/cwe/cwe-78``). Findings merged
across tools (``bandit+semgrep``) keep their merged tool and rule names, and list the tools in
``properties.tools``. Severity maps to SARIF levels: high -> error, medium -> warning, low -> note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from treeplay import __version__
from treeplay.records import Finding

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"high": "error", "medium": "warning", "low": "note"}
# GitHub ranks alerts by this CVSS-like score.
_SECURITY_SEVERITY = {"high": "8.0", "medium": "5.0", "low": "2.0"}


def rule_id(finding: Finding) -> str:
    """The SARIF rule id of a finding: ``<tool>/<rule>``."""
    return f"{finding.tool}/{finding.rule}"


def to_sarif(files: Sequence[tuple[str, Sequence[Finding]]], *, analyzers: Sequence[str] = ()) -> dict[str, Any]:
    """A SARIF 2.1.0 log for ``(path, findings)`` pairs; paths are written as relative URIs when relative."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for path, findings in files:
        for finding in findings:
            rid = rule_id(finding)
            if rid not in rules:
                rules[rid] = _rule(finding)
            results.append(_result(finding, rid, list(rules).index(rid), path))
    driver = {
        "name": "treeplay",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": list(rules.values()),
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "results": results,
        "columnKind": "utf16CodeUnits",
        "properties": {"analyzers": list(analyzers)},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rule(finding: Finding) -> dict[str, Any]:
    tags = ["security"]
    if finding.cwe:
        tags += [finding.cwe, f"external/cwe/cwe-{finding.cwe.split('-', 1)[1]}"]
    return {
        "id": rule_id(finding),
        "name": finding.rule,
        "shortDescription": {"text": _first_sentence(finding.message) or finding.rule},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {"tags": tags, "tools": finding.tool.split("+"),
                       "security-severity": _SECURITY_SEVERITY[finding.severity]},
    }


def _result(finding: Finding, rid: str, index: int, path: str) -> dict[str, Any]:
    return {
        "ruleId": rid,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message or finding.rule},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(path)},
            "region": {"startLine": finding.line},
        }}],
        "properties": _properties(finding),
    }


def _properties(finding: Finding) -> Mapping[str, Any]:
    props: dict[str, Any] = {"tool": finding.tool, "severity": finding.severity}
    if finding.cwe:
        props["cwe"] = finding.cwe
    return props


def _uri(path: str) -> str:
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].strip()
    return head if len(head) <= 200 else head[:197] + "..."
