"""``go vet`` as an oracle: one go list + one go vet per batch, broken code is a verdict, a crash is an error.

Tests that run the real ``go`` skip when it is not installed; the error-handling tests put a stand-in
``go`` script first on PATH (they test how output is read, not what vet finds).
"""

from __future__ import annotations

import shutil
import stat
import sys
import warnings
from pathlib import Path

import pytest

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles import static
from treeplay.oracles.base import Program
from treeplay.oracles.govet import GovetOracle

from .recording import run_recording

pytestmark = pytest.mark.tools

HAS_GO = shutil.which("go") is not None
needs_go = pytest.mark.skipif(not HAS_GO, reason="go is not installed (apt-get install golang-go)")

BUGGY = """package main

import (
\t"context"
\t"fmt"
\t"net/http"
\t"time"
)

func fetch(url string) {
\tresp, err := http.Get(url)
\tdefer resp.Body.Close()
\tif err != nil {
\t\treturn
\t}
\tctx, _ := context.WithTimeout(context.Background(), time.Second)
\t_ = ctx
\tfmt.Printf("%d\\n", "x")
}
"""
PROGRAMS = [
    Program("buggy", "go", BUGGY),
    Program("clean", "go", "package main\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"),
    Program("third-party", "go", 'package main\n\nimport "github.com/gin-gonic/gin"\n\n'
                                 'func h(c *gin.Context) { c.String(200, "x") }\n'),
    Program("syntax", "go", "package main\n\nfunc f( {\n"),
    Program("types", "go", "package util\n\nfunc Add(a int) int { return a + missing }\n"),
    Program("empty", "go", ""),
]


@pytest.fixture(scope="module")
def batch():
    """(findings per key, argv of every process) for one scan of PROGRAMS."""
    if not HAS_GO:
        pytest.skip("go is not installed")
    oracle = GovetOracle()
    oracle.version()
    return run_recording(lambda: oracle.scan(PROGRAMS))


@needs_go
def test_vet_findings_carry_analyzer_line_and_honest_cwe(batch):
    found, _ = batch
    by_rule = {f.rule: f for f in found["buggy"]}
    assert by_rule["httpresponse"].cwe == "CWE-476" and by_rule["httpresponse"].severity == "medium"
    assert by_rule["httpresponse"].line == 12
    assert by_rule["lostcancel"].cwe == "CWE-772" and by_rule["lostcancel"].severity == "low"
    assert by_rule["printf"].cwe is None and by_rule["printf"].severity == "low"


@needs_go
def test_broken_or_unresolvable_programs_get_no_findings_not_an_error(batch):
    found, _ = batch
    assert set(found) == {p.key for p in PROGRAMS}
    for key in ("clean", "third-party", "syntax", "types", "empty"):
        assert found[key] == [], key


@needs_go
def test_one_list_and_one_vet_process_per_batch(batch):
    _, started = batch
    scans = [argv[1] for argv in started if argv[1] != "version"]
    assert scans == ["list", "vet"], started


@needs_go
def test_messages_do_not_depend_on_the_position_in_the_batch():
    oracle = GovetOracle()
    alone = oracle.scan([PROGRAMS[0]])["buggy"]
    later = oracle.scan([PROGRAMS[1], PROGRAMS[0]])["buggy"]
    assert alone == later


def _fake_go(tmp_path: Path, vet_output: str, vet_exit: int) -> None:
    script = tmp_path / "go"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  version) echo "go version go0.0 fake"; exit 0;;\n'
        '  list) printf "p00000\\tfalse\\n"; exit 0;;\n'
        f"  vet) printf '{vet_output}' >&2; exit {vet_exit};;\n"
        "esac\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def only_tmp_on_path(tmp_path, monkeypatch):
    # find_tool looks beside the interpreter first: make sure no go is there.
    if (Path(sys.executable).parent / "go").exists():
        pytest.skip("a go binary sits beside the interpreter")
    monkeypatch.setenv("PATH", str(tmp_path))
    return tmp_path


def test_a_crash_of_go_is_a_tool_error(only_tmp_on_path):
    _fake_go(only_tmp_on_path, "panic: runtime error: boom\\n", 2)
    with pytest.raises(ToolError, match="go vet"):
        GovetOracle().scan([Program("a", "go", "package main\n")])


def test_missing_go_says_how_to_install_it(only_tmp_on_path):
    with pytest.raises(ToolMissingError) as err:
        GovetOracle().version()
    assert "golang-go" in (err.value.fix or "")


def test_a_default_scan_without_go_skips_govet_with_one_warning(only_tmp_on_path, monkeypatch):
    monkeypatch.setattr(static, "_warned_missing", set())
    programs = [Program("a", "go", "package main\n")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = static._route(programs, ["govet"], {})
        second = static._route(programs, ["govet"], {})
    assert first == [] and second == []
    assert len([w for w in caught if "govet" in str(w.message)]) == 1
