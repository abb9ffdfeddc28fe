"""CodeQL support: its SARIF parser on a recorded output, and a clear error when CodeQL is not installed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from treeplay.errors import ToolMissingError
from treeplay.oracles.base import Program
from treeplay.oracles.codeql import CodeQLOracle, parse_sarif

FIXTURE = Path(__file__).parent / "fixtures" / "codeql_python.sarif"
NAMES = {"p00000.py": "task1/branch0", "p00001.py": "task1/branch1"}


def test_codeql_sarif_parser_reads_recorded_output():
    found = parse_sarif(json.loads(FIXTURE.read_text()), NAMES)
    assert set(found) == {"task1/branch0", "task1/branch1"}
    (cmd,) = found["task1/branch0"]
    assert (cmd.tool, cmd.rule, cmd.cwe, cmd.line, cmd.severity) == (
        "codeql", "py/command-line-injection", "CWE-78", 7, "high")
    by_rule = {f.rule: f for f in found["task1/branch1"]}
    assert by_rule["py/weak-sensitive-data-hashing"].cwe == "CWE-327"
    assert by_rule["py/weak-sensitive-data-hashing"].severity == "high"  # security-severity 7.5
    # a result without rule index is looked up by id; 5.0 is medium
    assert (by_rule["py/clear-text-logging-sensitive-data"].cwe,
            by_rule["py/clear-text-logging-sensitive-data"].severity) == ("CWE-312", "medium")
    assert (by_rule["py/unused-import"].cwe, by_rule["py/unused-import"].severity) == (None, "low")
    assert "[user-provided value](1)" in cmd.message


def test_codeql_results_outside_the_batch_are_ignored():
    found = parse_sarif(json.loads(FIXTURE.read_text()), {"p00000.py": "only"})
    assert list(found) == ["only"] and len(found["only"]) == 1


def test_codeql_missing_binary_says_how_to_install(monkeypatch, tmp_path):
    if shutil.which("codeql"):
        pytest.skip("codeql is installed here")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError) as err:
        CodeQLOracle().scan([Program("a", "python", "x = 1\n")])
    assert "codeql" in err.value.fix.lower()
