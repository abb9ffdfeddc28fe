"""Preference pairs: shared prefix up to the risk node, paper mode and verified mode."""

from __future__ import annotations

import dataclasses
import json

import pytest

from treeplay.errors import DataError
from treeplay.records import Branch, Finding, PreferencePair, RiskNode, Verdict, load_jsonl
from treeplay.tree.leaves import leaves
from treeplay.tree.pairs import classify, extract_pairs, own_verdict, trl_path, trl_rows, write_pairs

from .fixtures import GOLDEN, NODE_CHARS, PROMPT_TEXT, TASK, VERDICTS, finding, ids, make_tree

TASKS = {"t": TASK}


def decode(token_ids) -> str:
    return "".join(chr(i) for i in token_ids)


@pytest.mark.parametrize("mode", ["paper", "verified"])
def test_pairs_share_prefix_up_to_risk_node(mode):
    tree = make_tree()
    result = extract_pairs([tree], TASKS, mode=mode, verdicts=VERDICTS)
    assert result.pairs
    for pair in result.pairs:
        chars = NODE_CHARS[pair.node_index]
        assert pair.prefix == GOLDEN[:chars] and pair.prefix.startswith(TASK.prefix)
        assert pair.prompt == PROMPT_TEXT
        assert pair.shared_prefix_tokens == len(tree.prompt_token_ids) + tree.nodes[pair.node_index].token_position
        # the two token sequences differ only after the shared prefix; ids and text say the same thing
        shared = tree.prompt_token_ids + tree.golden_token_ids[:tree.nodes[pair.node_index].token_position]
        assert decode(shared) == pair.prompt + pair.prefix
        assert decode(pair.chosen_token_ids) == pair.chosen and decode(pair.rejected_token_ids) == pair.rejected
        assert pair.node_line == tree.nodes[pair.node_index].line and pair.mode == mode
    golden_pairs = [p for p in result.pairs if p.chosen_id == "golden"]
    assert all(p.prefix + p.chosen == GOLDEN for p in golden_pairs)
    assert all(p.chosen_token_ids == ids(GOLDEN)[NODE_CHARS[p.node_index]:] for p in golden_pairs)


def test_paper_mode_rejects_every_branch():
    result = extract_pairs([make_tree()], TASKS, mode="paper")
    assert len(result.pairs) == 6 == result.counts["branches"] == result.counts["rejected"]
    assert {p.reason for p in result.pairs} == {"golden>branch"} and result.by_reason == {"golden>branch": 6}
    assert sorted(p.rejected_id for p in result.pairs) == sorted(f"t/{k}" for k in
                                                               ("n0/b0", "n0/b1", "n0/b2", "n0/b3", "n1/b0", "n1/b1"))
    # the copy of the golden code is counted but kept, as in the paper
    assert result.counts["identical"] == 1 and result.counts["unscored"] == 0


def test_verified_mode_pairs_secure_branches_and_golden_against_failures():
    result = extract_pairs([make_tree()], TASKS, mode="verified", verdicts=VERDICTS)
    got = sorted((p.node_index, p.chosen_id, p.rejected_id, p.reason) for p in result.pairs)
    assert got == [
        (0, "golden", "t/n0/b0", "golden>vulnerable"),
        (0, "golden", "t/n0/b3", "golden>broken"),
        (0, "t/n0/b2", "t/n0/b0", "secure_branch>vulnerable"),
        (0, "t/n0/b2", "t/n0/b3", "secure_branch>broken"),
        (1, "golden", "t/n1/b0", "golden>vulnerable"),
    ]
    counts = result.counts
    assert (counts["secure"], counts["vulnerable"], counts["broken"], counts["identical"], counts["unscored"]) == \
        (1, 2, 1, 1, 1)
    assert counts["pairs"] == 5 and counts["branches"] == 6


def test_verified_mode_skips_the_branches_of_a_task_whose_golden_program_does_not_parse():
    python2 = dataclasses.replace(TASK, golden=GOLDEN.replace("def ", "print 'legacy'\ndef ", 1))
    result = extract_pairs([make_tree()], {"t": python2}, mode="verified", verdicts=VERDICTS)
    assert result.pairs == () and result.counts["golden_unparsable"] == 6 == result.counts["branches"]
    assert result.counts["broken"] == 0
    paper = extract_pairs([make_tree()], {"t": python2}, mode="paper")
    assert len(paper.pairs) == 6 and paper.counts["golden_unparsable"] == 0  # the paper's mode judges nothing


def test_identical_branch_is_dropped():
    # n0/b1 repeats the golden code with other spacing, and a verdict calling it secure does not save it
    result = extract_pairs([make_tree()], TASKS, mode="verified", verdicts=VERDICTS)
    assert all("t/n0/b1" not in (p.chosen_id, p.rejected_id) for p in result.pairs)
    assert result.counts["identical"] == 1


def test_unscored_branches_are_skipped_and_counted():
    result = extract_pairs([make_tree()], TASKS, mode="verified", verdicts={})
    assert result.pairs == () and result.counts["unscored"] == 5 and result.counts["identical"] == 1


def test_node_without_rejected_branch_gives_no_pairs():
    verdicts = {k: Verdict(k, "t", parsed=True) for k in VERDICTS}
    result = extract_pairs([make_tree()], TASKS, mode="verified", verdicts=verdicts)
    assert result.pairs == () and result.counts["secure"] == 4


@pytest.mark.parametrize("verdict, label", [
    (Verdict("c", "t", parsed=True), "secure"),
    (Verdict("c", "t", parsed=True, functional=None, secure_tests=None), "secure"),
    (Verdict("c", "t", parsed=True, functional=False), "broken"),
    (Verdict("c", "t", parsed=False), "broken"),
    (Verdict("c", "t", parsed=True, secure_tests=False), "vulnerable"),
    (Verdict("c", "t", parsed=True, functional=False, findings=(finding(),)), "vulnerable"),
])
def test_classify_secure_means_parsed_clean_and_not_failing(verdict, label):
    assert classify(verdict) == label


def test_branches_of_branches_fork_from_their_parent():
    tree = make_tree()
    parent = tree.branches[0]  # n0/b0, vulnerable
    offset = parent.text.index("    return")
    child_text = "    return '<p>' + escape(safe) + '</p>'\n"
    child = Branch(node_index=0, token_ids=ids(child_text), text=child_text, finish_reason="stop", depth=2,
                   parent=0, offset=offset, offset_chars=offset, line=3)
    tree = make_tree(extra=(child,))
    verdicts = dict(VERDICTS, **{"t/n0/b0/b0": Verdict("t/n0/b0/b0", "t", parsed=True)})
    deep = [p for p in extract_pairs([tree], TASKS, mode="verified", verdicts=verdicts).pairs
            if p.chosen_id == "t/n0/b0/b0"]
    assert len(deep) == 1
    (pair,) = deep
    assert pair.rejected_id == "t/n0/b0" and pair.reason == "secure_branch>vulnerable" and pair.node_line == 3
    assert pair.prefix == GOLDEN[:NODE_CHARS[0]] + parent.text[:offset]
    assert pair.rejected == parent.text[offset:] and pair.chosen == child_text
    assert pair.shared_prefix_tokens == len(tree.prompt_token_ids) + NODE_CHARS[0] + offset
    paper = extract_pairs([tree], TASKS, mode="paper")
    assert paper.counts["deep_skipped"] == 1 and len(paper.pairs) == 6


def test_trees_without_prefix_chars_fork_at_line_start():
    tree = make_tree({"n1/b0": ("    return name\n", "stop")}, prefix_chars=False)
    (pair,) = extract_pairs([tree], TASKS, mode="paper").pairs
    assert pair.prefix == GOLDEN[:tree.nodes[1].char_offset]


def test_missing_token_position_is_data_error():
    tree = make_tree()
    nodes = (RiskNode("t", 2, NODE_CHARS[0], "diff"),) + tree.nodes[1:]
    with pytest.raises(DataError, match="no token_position"):
        extract_pairs([dataclasses.replace(tree, nodes=nodes)], TASKS)


def test_tree_of_unknown_task_is_data_error():
    with pytest.raises(DataError, match="not in the task file"):
        extract_pairs([make_tree()], {})


def test_trl_export_prompt_is_shared_prefix(tmp_path):
    result = extract_pairs([make_tree()], TASKS, mode="paper")
    path = tmp_path / "pairs.jsonl"
    trl = write_pairs(path, result.pairs)
    assert trl == trl_path(path) == tmp_path / "pairs.trl.jsonl"
    rows = [json.loads(line) for line in trl.read_text().splitlines()]
    assert rows == trl_rows(result.pairs) and set(rows[0]) == {"prompt", "chosen", "rejected"}
    for row, pair in zip(rows, result.pairs, strict=True):
        assert row["prompt"] == PROMPT_TEXT + GOLDEN[:NODE_CHARS[pair.node_index]]
        assert row["prompt"] + row["chosen"] == PROMPT_TEXT + GOLDEN
    assert load_jsonl(path, PreferencePair) == list(result.pairs)
    assert write_pairs(tmp_path / "p2.jsonl", result.pairs, export_trl=False) is None
    assert not (tmp_path / "p2.trl.jsonl").exists()


def test_pairs_of_a_tree_grown_by_the_engine_decode_to_prompt_plus_golden():
    """With a real tokenizer and the hf backend: the pair's shared tokens are exactly the prompt and y_<k_v."""
    pytest.importorskip("torch").set_num_threads(1)
    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.hf_backend import HFBackend
    from treeplay.engine.rollout import GrowParams, grow_tree
    from treeplay.engine.tiny import tiny_model_and_tokenizer
    from treeplay.nodes.diff import diff_nodes
    from treeplay.tree.leaves import place_branches

    from ..nodes.fixtures import python_task

    model, tokenizer = tiny_model_and_tokenizer(seed=0)
    task = python_task()
    params = GrowParams(sampling=SamplingParams(width=2, max_new_tokens=12), seed=3)
    tree = grow_tree(task, diff_nodes([task]).nodes, HFBackend(model, tokenizer), tokenizer, params)
    result = extract_pairs([tree], {task.id: task}, mode="paper")
    assert len(result.pairs) == len(tree.branches) == 8

    def decode(token_ids):
        return tokenizer.decode(list(token_ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)

    by_id = {leaf.id: leaf.branch for leaf in place_branches(tree, task)}
    for pair in result.pairs:
        shared = tree.prompt_token_ids + tree.golden_token_ids[:tree.nodes[pair.node_index].token_position]
        assert len(shared) == pair.shared_prefix_tokens
        assert decode(shared) == pair.prompt + pair.prefix and pair.prefix.startswith(task.prefix)
        assert decode(shared + pair.chosen_token_ids) == pair.prompt + task.golden
        assert pair.rejected_token_ids == by_id[pair.rejected_id].token_ids


KEPT = Finding(tool="fake", rule="weak", cwe="CWE-327", line=3, severity="medium", message="kept by the fix")


def test_what_a_branch_shares_with_its_golden_program_does_not_count_against_it_when_ignored():
    # the golden program keeps a weakness on its line 3 and fails its security test
    golden = Verdict("t/golden", "t", parsed=True, findings=(KEPT,), functional=True, secure_tests=False)
    verdicts = {**VERDICTS, "t/golden": golden,
                # the secure alternative rewrote line 2 only: its line 3 is the golden one, weakness and all
                "t/n0/b2": dataclasses.replace(VERDICTS["t/n0/b2"], findings=(KEPT,))}
    counted = extract_pairs([make_tree()], TASKS, mode="verified", verdicts=verdicts)
    ignored = extract_pairs([make_tree()], TASKS, mode="verified", verdicts=verdicts, inherited="ignore")
    c, i = counted.counts, ignored.counts
    assert (c["secure"], c["vulnerable"], c["broken"], c["inherited"]) == (0, 3, 1, 0)
    # n0/b2 loses the golden line's finding, n1/b0 the security test the golden program fails too; n0/b0's
    # unescaped line 2 is its own
    assert (i["secure"], i["vulnerable"], i["broken"], i["inherited"]) == (2, 1, 1, 2)
    got = sorted((p.chosen_id, p.rejected_id, p.reason) for p in ignored.pairs)
    assert got == [("golden", "t/n0/b0", "golden>vulnerable"), ("golden", "t/n0/b3", "golden>broken"),
                   ("t/n0/b2", "t/n0/b0", "secure_branch>vulnerable"), ("t/n0/b2", "t/n0/b3", "secure_branch>broken")]


def test_own_verdict_matches_findings_by_line_text_and_as_often_as_the_golden_program_has_them():
    golden = Verdict("t/golden", "t", parsed=True, findings=(KEPT,), functional=False)
    moved = "# a comment line\n" + GOLDEN  # the same line one line further down is the same finding
    shifted = dataclasses.replace(KEPT, line=4)
    twice = Verdict("b", "t", parsed=True, findings=(shifted, shifted), functional=False)
    own = own_verdict(twice, moved, golden, GOLDEN)
    assert own.findings == (shifted,) and own.functional is None  # one copy is the golden's; its failure too
    other_line = Verdict("b", "t", parsed=True, findings=(dataclasses.replace(KEPT, line=2),), functional=True)
    assert own_verdict(other_line, GOLDEN, golden, GOLDEN).findings == other_line.findings
    other_rule = Verdict("b", "t", parsed=True, findings=(dataclasses.replace(KEPT, rule="weaker"),))
    assert own_verdict(other_rule, GOLDEN, golden, GOLDEN).findings == other_rule.findings


def test_ignoring_inherited_findings_needs_the_golden_verdict_and_a_known_setting():
    with pytest.raises(DataError, match="golden program of task 't'") as err:
        extract_pairs([make_tree()], TASKS, mode="verified", verdicts=VERDICTS, inherited="ignore")
    assert "--golden" in err.value.fix
    with pytest.raises(ValueError, match="inherited"):
        extract_pairs([make_tree()], TASKS, mode="verified", verdicts=VERDICTS, inherited="some")


def test_leaves_with_golden_add_each_tasks_golden_program_once():
    candidates = leaves([make_tree(), make_tree()], TASKS, golden=True)
    golden = [c for c in candidates if c.candidate_id == "t/golden"]
    assert len(golden) == 1 and TASK.prefix + golden[0].completion == GOLDEN
    assert len(candidates) == 2 * 6 + 1 and "t/golden" not in {c.candidate_id for c in leaves([make_tree()], TASKS)}
