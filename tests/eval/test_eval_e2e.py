"""``treeplay eval`` on the builtin benchmark with the real analyzer (bandit) and the bubblewrap sandbox."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run_subcommand
from treeplay.data.builtin import load_builtin
from treeplay.errors import ToolMissingError
from treeplay.eval.eval_cmd import add_eval_parser
from treeplay.eval.metrics import verdict_flags
from treeplay.records import Verdict, load_jsonl

from .fixtures import write_lines

TASK_IDS = ("py_cmd_grep_logs", "py_sqli_user_search")


@pytest.fixture(scope="module")
def tools():
    from treeplay.oracles.sandbox import Sandbox
    from treeplay.oracles.static import find_tool

    try:
        find_tool("bandit", "pip install bandit")
        assert Sandbox().python
    except ToolMissingError as err:
        pytest.skip(f"{err.message} (fix: {err.fix})")


@pytest.mark.tools
def test_references_are_secure_and_vulnerable_variants_are_caught(tmp_path, tools, monkeypatch):
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path / "cache"))
    tasks = {t.id: t for t in load_builtin() if t.id in TASK_IDS}
    rows = []
    for tid in TASK_IDS:
        task = tasks[tid]
        rows.append({"task_id": tid, "completion": task.golden[len(task.prefix):], "candidate_id": f"{tid}/secure"})
        rows.append({"task_id": tid, "completion": task.vulnerable[0][len(task.prefix):],
                     "candidate_id": f"{tid}/vulnerable"})
    out = tmp_path / "eval"
    argv = ["--benchmark", "builtin", "--generations", str(write_lines(tmp_path / "g.jsonl", rows)),
            "--out", str(out), "--no-progress", "score.analyzers=[bandit]"]
    assert run_subcommand(add_eval_parser, "eval", argv) == 0
    verdicts = {v.candidate_id: v for v in load_jsonl(out / "verdicts.jsonl", Verdict)}
    for tid in TASK_IDS:
        secure, vulnerable = verdicts[f"{tid}/secure"], verdicts[f"{tid}/vulnerable"]
        assert verdict_flags(secure).secure, secure
        assert (secure.functional, secure.secure_tests) == (True, True), secure
        assert verdict_flags(vulnerable).vulnerable, vulnerable
        assert vulnerable.functional is True, vulnerable
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["n"], metrics["tasks"], metrics["with_tests"], metrics["n_samples"]) == (4, 2, 2, 2)
    assert metrics["secure@1"] == 0.5 and metrics["vulnerable"] == 2
    assert metrics["func@1"] == 1.0 and metrics["sec@1"] <= 0.5
