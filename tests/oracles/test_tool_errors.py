"""Analyzers raise only when the tool itself fails: missing (with an install hint) or crashed (with stderr)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import bandit, cppcheck, flawfinder, semgrep
from treeplay.oracles.base import Program
from treeplay.oracles.static import find_tool, scan_programs

PY = [Program("a.py", "python", "x = 1\n")]
C = [Program("a.c", "c", "int x;\n")]


@pytest.fixture
def no_tools(tmp_path, monkeypatch):
    """An interpreter folder and a PATH that hold no analyzer."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.mark.parametrize("module, oracle, hint", [
    (bandit, bandit.BanditOracle, "pip install"),
    (semgrep, semgrep.SemgrepOracle, "pip install"),
    (cppcheck, cppcheck.CppcheckOracle, "apt-get install cppcheck"),
    (flawfinder, flawfinder.FlawfinderOracle, "pip install"),
])
def test_missing_tool_error_says_how_to_install(no_tools, module, oracle, hint):
    progs = C if "c" in oracle.languages else PY
    with pytest.raises(ToolMissingError) as err:
        oracle().scan(progs)
    assert hint in err.value.fix and err.value.exit_code == 3


def test_missing_tool_is_reported_by_scan_programs_when_its_language_is_present(no_tools):
    with pytest.raises(ToolMissingError, match="cppcheck"):
        scan_programs(C, analyzers=["cppcheck"], cache=None)


def test_missing_codeshield_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(semgrep.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolMissingError) as err:
        semgrep.codeshield_rules()
    assert "codeshield" in err.value.fix


def _fake_tool(tmp_path: Path, name: str, script: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("module, oracle, progs", [
    (bandit, bandit.BanditOracle, PY), (semgrep, semgrep.SemgrepOracle, PY),
    (cppcheck, cppcheck.CppcheckOracle, C), (flawfinder, flawfinder.FlawfinderOracle, C),
])
def test_tool_crash_raises_tool_error_keeping_stderr(tmp_path, monkeypatch, module, oracle, progs):
    fake = _fake_tool(tmp_path, oracle.name, "echo 'fatal: rules exploded' >&2; exit 2")
    monkeypatch.setattr(module, "find_tool", lambda name, hint: fake)
    if module is semgrep:
        monkeypatch.setattr(semgrep, "codeshield_rules", lambda usecase="codeshield", replaced=False: [])
    with pytest.raises(ToolError) as err:
        oracle().scan(progs)
    assert not isinstance(err.value, ToolMissingError)
    assert "rules exploded" in err.value.stderr and err.value.tool == oracle.name


def test_find_tool_prefers_the_interpreter_folder(tmp_path, monkeypatch):
    beside = _fake_tool(tmp_path, "bandit", "exit 0")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", os.defpath)
    assert find_tool("bandit", "hint") == beside
