"""Training examples on token ids: tree pairs keep the trees' tokens; programs end their code block."""

from __future__ import annotations

import pytest

from tests.tree.fixtures import GOLDEN, NODE_CHARS, TASK, VERDICTS, make_tree
from treeplay.errors import DataError
from treeplay.records import Branch, Verdict
from treeplay.train.data import program_groups, sft_groups, tree_groups
from treeplay.tree.pairs import extract_pairs

TASKS = {"t": TASK}


def text(ids) -> str:
    return "".join(chr(i) for i in ids)


def deep_tree():
    tree = make_tree()
    parent = tree.branches[0]
    offset = parent.text.index("    return")
    child = "    return '<p>' + escape(safe) + '</p>'\n"
    extra = Branch(node_index=0, token_ids=tuple(ord(c) for c in child), text=child, finish_reason="stop",
                   depth=2, parent=0, offset=offset, offset_chars=offset, line=3)
    return make_tree(extra=(extra,))


@pytest.mark.parametrize("mode", ["paper", "verified"])
def test_tree_pairs_are_the_pairs_text_on_the_trees_token_ids(mode):
    tree = deep_tree()
    verdicts = {**VERDICTS, "t/n0/b0/b0": Verdict("t/n0/b0/b0", "t", parsed=True, functional=True)}
    pairs = extract_pairs([tree], TASKS, mode=mode, verdicts=verdicts if mode == "verified" else None).pairs
    (group,) = tree_groups(pairs, [tree], TASKS)
    assert group.indices == tuple(range(len(pairs)))
    assert any(p.reason == "secure_branch>vulnerable" for p in pairs) == (mode == "verified")
    for pair, seq in zip(pairs, group.pairs, strict=True):
        assert len(seq.context) == pair.shared_prefix_tokens
        assert text(seq.context + seq.chosen) == pair.prompt + pair.prefix + pair.chosen
        assert text(seq.context + seq.rejected) == pair.prompt + pair.prefix + pair.rejected


def test_tree_groups_split_big_trees():
    pairs = extract_pairs([make_tree()], TASKS, mode="paper").pairs
    groups = tree_groups(pairs, [make_tree()], TASKS, max_pairs=4)
    assert [len(g.pairs) for g in groups] == [4, 2]
    assert groups[0].indices + groups[1].indices == tuple(range(6))


def test_pairs_without_their_tree_name_the_pair():
    pairs = extract_pairs([make_tree()], TASKS, mode="paper").pairs
    with pytest.raises(DataError, match="pair 1 is for task 't'"):
        tree_groups(pairs, [], TASKS)


def test_golden_prefix_of_a_node_is_the_trees_own_tokens():
    pairs = extract_pairs([make_tree()], TASKS, mode="paper").pairs
    (group,) = tree_groups(pairs, [make_tree()], TASKS)
    assert text(group.pairs[0].context).endswith(GOLDEN[:NODE_CHARS[0]])


@pytest.fixture(scope="module")
def tokenizer():
    from treeplay.engine.tiny import tiny_tokenizer

    return tiny_tokenizer()


def test_dpo_pairs_reject_each_vulnerable_variant_and_close_the_code_block(tokenizer):
    from treeplay.data.builtin import load_builtin

    tasks = [t for t in load_builtin() if t.vulnerable][:3]
    groups = program_groups(tasks, tokenizer)
    assert [len(g.pairs) for g in groups] == [len(t.vulnerable) for t in tasks]
    for task, group in zip(tasks, groups, strict=True):
        for pair, bad in zip(group.pairs, task.vulnerable, strict=True):
            assert pair.chosen[-1] == tokenizer.eos_token_id
            chosen = tokenizer.decode(pair.chosen[:-1])
            assert chosen.startswith(task.golden.rstrip("\n")) and chosen.endswith("```")
            assert tokenizer.decode(pair.rejected[:-1]).startswith(bad.rstrip("\n"))
            assert tokenizer.decode(pair.context).endswith(f"```{task.language}\n")


def test_spin_rejects_the_given_samples_and_sft_has_nothing_to_reject(tokenizer):
    from treeplay.data.builtin import load_builtin

    tasks = load_builtin()[:2]
    groups = program_groups(tasks, tokenizer, rejected={tasks[1].id: ["print('x')\n"]})
    assert [g.key for g in groups] == [tasks[1].id]
    assert tokenizer.decode(groups[0].pairs[0].rejected[:-1]).startswith("print('x')")
    sft = sft_groups(tasks, tokenizer)
    assert [g.pairs[0].rejected for g in sft] == [(), ()]
