"""SARIF output: a structurally valid SARIF 2.1.0 log whose rules carry the canonical CWE."""

from __future__ import annotations

import json

from treeplay.oracles.sarif import SARIF_SCHEMA, to_sarif
from treeplay.records import Finding

FILES = [
    ("src/app.py", [Finding("bandit+semgrep", "B602+insecure-subprocess-using-shell", "CWE-78", 4, "high", "shell"),
                    Finding("semgrep", "treeplay-py-html-fstring-unescaped", "CWE-79", 9, "medium", "XSS. More.")]),
    ("src/clean.py", []),
    ("/abs/x.c", [Finding("flawfinder", "FF1004", "CWE-120", 2, "low", "memcpy"),
                  Finding("cppcheck", "uninitvar", None, 3, "high", "uninitialised")]),
]


def validate_sarif(log: dict) -> None:
    """The parts of the SARIF 2.1.0 schema that consumers rely on (required fields, types, references)."""
    assert log["version"] == "2.1.0" and log["$schema"] == SARIF_SCHEMA
    assert isinstance(log["runs"], list) and log["runs"]
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rules = driver.get("rules", [])
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids))
        for rule in rules:
            assert rule["defaultConfiguration"]["level"] in {"none", "note", "warning", "error"}
            assert all(isinstance(t, str) for t in rule["properties"]["tags"])
        for result in run["results"]:
            assert isinstance(result["message"]["text"], str) and result["message"]["text"]
            assert result["level"] in {"none", "note", "warning", "error"}
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            for location in result["locations"]:
                physical = location["physicalLocation"]
                assert isinstance(physical["artifactLocation"]["uri"], str)
                assert isinstance(physical["region"]["startLine"], int) and physical["region"]["startLine"] >= 1
    json.dumps(log)  # serialisable


def test_sarif_log_has_the_required_structure():
    log = to_sarif(FILES, analyzers=["bandit", "semgrep"])
    validate_sarif(log)
    assert len(log["runs"][0]["results"]) == 4


def test_sarif_rules_carry_the_canonical_cwe_tag():
    rules = {r["id"]: r for r in to_sarif(FILES)["runs"][0]["tool"]["driver"]["rules"]}
    tags = rules["semgrep/treeplay-py-html-fstring-unescaped"]["properties"]["tags"]
    assert "CWE-79" in tags and "external/cwe/cwe-79" in tags and "security" in tags
    assert not any(t.startswith("CWE-") for t in rules["cppcheck/uninitvar"]["properties"]["tags"])


def test_merged_findings_list_every_tool_and_levels_follow_severity():
    log = to_sarif(FILES)
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["properties"]["tools"] == ["bandit", "semgrep"]
    levels = [r["level"] for r in log["runs"][0]["results"]]
    assert levels == ["error", "warning", "note", "error"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    assert uris[0] == "src/app.py" and uris[2] == "file:///abs/x.c"
