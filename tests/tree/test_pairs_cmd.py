"""``treeplay pairs``, and the verified loop: leaves -> oracle verdicts -> pairs."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run_subcommand
from treeplay.errors import UsageError
from treeplay.oracles.base import FakeOracle
from treeplay.oracles.verdict import score_candidates
from treeplay.records import PreferencePair, load_jsonl, write_jsonl
from treeplay.tree.leaves import leaves
from treeplay.tree.pairs import extract_pairs
from treeplay.tree.pairs_cmd import add_pairs_parser

from .fixtures import TASK, VERDICTS, make_tree


def run(argv):
    return run_subcommand(add_pairs_parser, "pairs", argv)


@pytest.fixture
def files(tmp_path):
    trees, tasks, verdicts = tmp_path / "trees.jsonl", tmp_path / "tasks.jsonl", tmp_path / "verdicts.jsonl"
    write_jsonl(trees, [make_tree()])
    write_jsonl(tasks, [TASK])
    write_jsonl(verdicts, VERDICTS.values())
    return trees, tasks, verdicts


def test_pairs_cmd_writes_pairs_and_trl_export(files, tmp_path, capsys):
    trees, tasks, _ = files
    out = tmp_path / "iter_1" / "pairs.jsonl"
    assert run([str(trees), str(tasks), "-o", str(out), "--mode", "paper"]) == 0
    assert len(load_jsonl(out, PreferencePair)) == 6
    assert len((tmp_path / "iter_1" / "pairs.trl.jsonl").read_text().splitlines()) == 6
    text = capsys.readouterr().out
    assert "wrote 6 paper pairs from 1 trees" in text and "identical 1" in text and "golden>branch 6" in text


def test_pairs_cmd_verified_counts_as_json(files, tmp_path, capsys):
    trees, tasks, verdicts = files
    out = tmp_path / "pairs.jsonl"
    # options and the KEY=VALUE override may come in any order
    assert run([str(trees), str(tasks), "--mode", "verified", "-o", str(out), "--verdicts", str(verdicts),
                "--json", "pairs.export_trl=false"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["mode"] == "verified" and counts["pairs"] == 5 and counts["unscored"] == 1
    assert counts["by_reason"]["golden>vulnerable"] == 2 and not (tmp_path / "pairs.trl.jsonl").exists()


def test_verified_mode_without_verdicts_is_usage_error(files, tmp_path):
    trees, tasks, _ = files
    with pytest.raises(UsageError, match="needs --verdicts"):
        run([str(trees), str(tasks), "-o", str(tmp_path / "p.jsonl"), "--mode", "verified"])


def test_paper_mode_with_verdicts_is_usage_error(files, tmp_path):
    trees, tasks, verdicts = files
    with pytest.raises(UsageError, match="only read in verified mode"):
        run([str(trees), str(tasks), "-o", str(tmp_path / "p.jsonl"), "--verdicts", str(verdicts)])


def test_leaves_scored_by_an_oracle_feed_verified_pairs():
    tree = make_tree()
    candidates = leaves([tree], {"t": TASK})
    oracle = FakeOracle({"CWE-79": r"\+ name \+|= name$"}, name="fake")
    verdicts = score_candidates({"t": TASK}, candidates, sandbox=None, analyzers=("fake",), run_tests=False,
                                oracles={"fake": oracle}, cache=None, progress=False)
    by_id = {v.candidate_id: v for v in verdicts}
    assert set(by_id) == {c.candidate_id for c in candidates}
    result = extract_pairs([tree], {"t": TASK}, mode="verified", verdicts=by_id)
    assert result.counts["vulnerable"] == 2 and result.counts["broken"] == 1 and result.counts["identical"] == 1
    assert result.counts["secure"] == 2  # n0/b2 and n1/b1 (no tests to fail them)
    assert sorted(p.rejected_id for p in result.pairs if p.chosen_id == "golden") == [
        "t/n0/b0", "t/n0/b3", "t/n1/b0"]
