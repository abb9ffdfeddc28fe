"""The command line: fast help without torch, one-line errors with exit codes, the data commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.data import fixtures
from treeplay.cli import build_parser, main


def _run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "treeplay.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, **kw)


def test_help_imports_no_torch():
    code = ("import sys\nfrom treeplay.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'transformers', 'numpy') if m in sys.modules]\n"
            "assert not heavy, heavy\nprint('clean')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0 and "clean" in res.stdout, res.stderr


def test_help_lists_every_stage_command():
    text = build_parser().format_help()
    for cmd in ["data", "nodes", "grow", "score", "pairs", "train", "eval", "report", "selfplay", "scan",
                "test", "demo"]:
        assert cmd in text


def test_malformed_line_gives_file_line_exit_2_and_no_traceback(tmp_path):
    path = fixtures.write_safecoder(tmp_path)
    with path.open("a") as fh:
        fh.write('{"broken": \n')
    res = _run("data", "import", "--format", "safecoder", str(path), "-o", str(tmp_path / "t.jsonl"))
    assert res.returncode == 2
    assert f"{path}:3:" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "t.jsonl").exists()


def test_debug_flag_shows_the_traceback(tmp_path):
    res = _run("--debug", "data", "stats", str(tmp_path / "missing.jsonl"))
    assert res.returncode != 0 and "Traceback" in res.stderr


def test_bad_config_key_is_reported_before_anything_runs(capsys):
    assert main(["train", "-o", "unused", "grow.widht=3"]) == 2
    assert "grow.widht: unknown key" in capsys.readouterr().err


def test_import_then_stats_json(tmp_path, capsys):
    src = fixtures.write_json_list(tmp_path, "dev.json", fixtures.SECCODEPLT)
    out = tmp_path / "tasks.jsonl"
    assert main(["data", "import", "--format", "seccodeplt", str(src), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["data", "stats", str(out), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["tasks"] == 2 and stats["with_tests"] == 1
    assert stats["by_cwe"] == {"CWE-120": 1, "CWE-22": 1} and stats["by_language"] == {"python": 2}


def test_builtin_export_reads_back(tmp_path, capsys):
    out = tmp_path / "b.jsonl"
    assert main(["data", "builtin", "-o", str(out), "--language", "python"]) == 0
    assert main(["data", "stats", str(out), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert stats["by_language"].keys() == {"python"} and stats["with_tests"] == stats["tasks"] > 0


def test_import_keeps_only_the_named_languages(tmp_path, capsys):
    src = fixtures.write_sec_eval(tmp_path)
    out = tmp_path / "c.jsonl"
    assert main(["data", "import", "--format", "sec-eval", str(src), "--language", "c", "-o", str(out)]) == 0
    assert main(["data", "stats", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["by_language"] == {"c": 1}
    assert main(["data", "import", "--format", "sec-eval", str(src), "--language", "cobol", "-o", str(out)]) == 2
