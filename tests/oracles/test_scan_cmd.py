"""``treeplay scan``: walks folders, writes the JSON contract, valid SARIF, a table; exit codes as documented."""

from __future__ import annotations

import argparse
import json

import pytest

from treeplay.errors import DataError, ToolMissingError, UsageError
from treeplay.oracles.bandit import BanditOracle
from treeplay.oracles.scan_cmd import add_scan_parser, iter_source_files, load_programs

from .test_sarif import validate_sarif

VULN = "import subprocess\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n"


def _parse(argv):
    parser = argparse.ArgumentParser(prog="treeplay")
    add_scan_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "bad.py").write_text(VULN)
    (src / "ok.py").write_text("x = 1\n")
    (src / "notes.txt").write_text("not code\n")
    for skipped in (".git", "node_modules", "__pycache__"):
        (src / skipped).mkdir()
        (src / skipped / "x.py").write_text(VULN)
    return src


def _need_bandit():
    try:
        BanditOracle().version()
    except ToolMissingError as err:
        pytest.skip(str(err))


def test_scan_walks_folders_and_skips_hidden_and_vendor_folders(tree):
    files = [p.relative_to(tree).as_posix() for p in iter_source_files([tree])]
    assert files == ["ok.py", "pkg/bad.py"]
    assert [p.language for p in load_programs([tree, tree / "ok.py"])] == ["python", "python"]


def test_scan_rejects_unknown_extension_and_missing_path(tree):
    with pytest.raises(UsageError, match="extension"):
        list(iter_source_files([tree / "notes.txt"]))
    with pytest.raises(DataError):
        list(iter_source_files([tree / "nope.py"]))
    args = _parse(["scan", str(tree), "--analyzers", "bandit,nosuch"])
    with pytest.raises(UsageError, match="nosuch"):
        args.func(args)


@pytest.mark.tools
def test_scan_json_output_follows_the_contract(tree, capsys):
    _need_bandit()
    args = _parse(["scan", str(tree), "--format", "json", "--analyzers", "bandit"])
    assert args.func(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [set(r) for r in rows] == [{"path", "language", "findings"}] * 2
    bad = next(r for r in rows if r["path"].endswith("bad.py"))
    assert bad["language"] == "python"
    assert all(set(f) == {"tool", "rule", "cwe", "line", "severity", "message"} for f in bad["findings"])
    assert any(f["cwe"] == "CWE-78" and f["tool"] == "bandit" for f in bad["findings"])
    assert next(r for r in rows if r["path"].endswith("ok.py"))["findings"] == []


@pytest.mark.tools
def test_scan_exit_code_is_zero_with_findings_unless_fail_on_findings(tree, capsys):
    _need_bandit()
    args = _parse(["scan", str(tree), "--analyzers", "bandit"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "bad.py:4" in out and "CWE-78" in out and "in 1 of 2 file(s)" in out
    args = _parse(["scan", str(tree), "--analyzers", "bandit", "--fail-on-findings"])
    assert args.func(args) == 1
    args = _parse(["scan", str(tree / "ok.py"), "--analyzers", "bandit", "--fail-on-findings"])
    assert args.func(args) == 0


@pytest.mark.tools
def test_scan_sarif_output_is_valid_and_written_to_file(tree, tmp_path):
    _need_bandit()
    out = tmp_path / "report" / "scan.sarif"
    args = _parse(["scan", str(tree), "--format", "sarif", "--analyzers", "bandit", "-o", str(out)])
    assert args.func(args) == 0
    log = json.loads(out.read_text())
    validate_sarif(log)
    assert any("CWE-78" in r["properties"]["tags"] for r in log["runs"][0]["tool"]["driver"]["rules"])
