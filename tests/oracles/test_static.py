"""scan_programs' routing, filtering and de-duplication, on fake oracles (no analyzer needed)."""

from __future__ import annotations

import pytest

from treeplay.oracles import static
from treeplay.oracles.base import FakeOracle, Program
from treeplay.oracles.static import dedupe, scan_programs
from treeplay.records import Finding

PY = Program("a.py", "python", "import os\nos.system(x)\nprint(1)\n")
C = Program("b.c", "c", "int main(void) { system(x); }\n")


def _finding(tool: str, rule: str, cwe: str | None, line: int, severity: str = "medium") -> Finding:
    return Finding(tool=tool, rule=rule, cwe=cwe, line=line, severity=severity, message=f"{tool} says")


def test_programs_are_routed_by_language_and_idle_analyzers_never_start():
    py = FakeOracle({"CWE-78": r"os\.system"}, name="pyfake", languages=["python"])
    c = FakeOracle({"CWE-78": r"system"}, name="cfake", languages=["c"])
    found = scan_programs([PY], analyzers=["pyfake", "cfake"], cache=None, oracles={"pyfake": py, "cfake": c})
    assert [f.cwe for f in found["a.py"]] == ["CWE-78"]
    assert (py.calls, c.calls) == (1, 0)


def test_missing_tool_for_an_absent_language_does_not_stop_the_scan(monkeypatch):
    def no_tools(name):
        raise AssertionError(f"{name} must not be built for a Python-only batch")

    monkeypatch.setattr(static, "make_oracle", no_tools)
    py = FakeOracle({"CWE-78": r"os\.system"}, name="bandit", languages=["python"])
    found = scan_programs([PY], analyzers=["bandit", "cppcheck", "flawfinder"], cache=None, oracles={"bandit": py})
    assert len(found["a.py"]) == 1


def test_severity_filter_drops_lower_findings():
    low = FakeOracle({"CWE-78": r"os\.system"}, name="low", severity="low")
    assert scan_programs([PY], analyzers=["low"], cache=None, oracles={"low": low})["a.py"] == ()
    assert len(scan_programs([PY], analyzers=["low"], severity="low", cache=None, oracles={"low": low})["a.py"]) == 1


def test_every_program_key_is_in_the_result_even_without_analyzer():
    found = scan_programs([PY, C, Program("c.go", "go", "package x\n")], analyzers=["fake"], cache=None,
                          oracles={"fake": FakeOracle({"CWE-78": "system"})})
    assert set(found) == {"a.py", "b.c", "c.go"} and found["c.go"] == ()


def test_duplicate_keys_and_unknown_analyzers_and_severities_are_rejected():
    with pytest.raises(ValueError, match="unique"):
        scan_programs([PY, PY], analyzers=[], cache=None)
    with pytest.raises(ValueError, match="unknown analyzer"):
        scan_programs([PY], analyzers=["nosuchtool"], cache=None)
    with pytest.raises(ValueError, match="severity"):
        scan_programs([PY], severity="critical", cache=None)


def test_dedupe_merges_same_line_and_cwe_keeping_every_tool_visible():
    merged = dedupe([_finding("semgrep", "os-system", "CWE-78", 2), _finding("bandit", "B605", "CWE-78", 2, "high")])
    assert merged == (Finding(tool="bandit+semgrep", rule="B605+os-system", cwe="CWE-78", line=2, severity="high",
                              message="bandit says"),)


def test_dedupe_keeps_different_lines_cwes_and_findings_without_cwe_apart():
    findings = [_finding("a", "r1", "CWE-78", 2), _finding("a", "r1", "CWE-78", 3), _finding("b", "r2", "CWE-79", 2),
                _finding("a", "r3", None, 2), _finding("b", "r4", None, 2), _finding("a", "r3", None, 2)]
    out = dedupe(findings)
    assert len(out) == 5  # only the exact duplicate is dropped
    assert [f.line for f in out] == sorted(f.line for f in out)


def test_same_tool_two_rules_on_one_line_and_cwe_name_the_tool_once():
    (merged,) = dedupe([_finding("bandit", "B602", "CWE-78", 5), _finding("bandit", "B604", "CWE-78", 5)])
    assert merged.tool == "bandit" and merged.rule == "B602+B604"


def test_oracle_that_forgets_a_program_is_a_tool_error():
    class Forgetful(FakeOracle):
        def scan(self, programs):
            return {}

    with pytest.raises(static.ToolError, match="no result"):
        scan_programs([PY], analyzers=["f"], cache=None, oracles={"f": Forgetful({})})
