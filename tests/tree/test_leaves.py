"""Leaves: every branch as a whole program that continues the task's prefix, with a stable candidate id."""

from __future__ import annotations

import pytest

from treeplay.errors import DataError
from treeplay.records import Branch
from treeplay.tree.leaves import leaves, place_branches, tree_leaves

from .fixtures import BRANCHES, GOLDEN, NODE_CHARS, TASK, ids, make_tree


def test_leaf_program_is_golden_up_to_the_fork_then_the_branch():
    tree = make_tree()
    for leaf, branch in zip(tree_leaves(tree, TASK), tree.branches, strict=True):
        program = TASK.prefix + leaf.completion
        assert program == GOLDEN[:NODE_CHARS[branch.node_index]] + branch.text
        assert leaf.task_id == "t"


def test_candidate_ids_count_branches_per_node():
    assert [c.candidate_id for c in leaves([make_tree()], {"t": TASK})] == [f"t/{key}" for key in BRANCHES]


def test_deeper_branch_continues_its_parent():
    tree = make_tree()
    parent = tree.branches[0]
    child = Branch(node_index=0, token_ids=ids("x\n"), text="x\n", finish_reason="stop", depth=2, parent=0,
                   offset=5, offset_chars=5, line=2)
    tree = make_tree(extra=(child, child))
    placed = place_branches(tree, TASK)
    assert [leaf.id for leaf in placed[-2:]] == ["t/n0/b0/b0", "t/n0/b0/b1"]
    golden_prefix = tree.golden_token_ids[:NODE_CHARS[0]]
    assert placed[-1].context_ids == tree.prompt_token_ids + golden_prefix + parent.token_ids[:5]
    assert TASK.prefix + tree_leaves(tree, TASK)[-1].completion == GOLDEN[:NODE_CHARS[0]] + parent.text[:5] + "x\n"


def test_branch_naming_a_later_parent_is_data_error():
    bad = Branch(node_index=0, token_ids=(), text="", finish_reason="stop", depth=2, parent=99)
    with pytest.raises(DataError, match="parent 99"):
        place_branches(make_tree(extra=(bad,)), TASK)


def test_branch_of_missing_node_is_data_error():
    bad = Branch(node_index=7, token_ids=(), text="", finish_reason="stop")
    with pytest.raises(DataError, match="names node 7"):
        tree_leaves(make_tree(extra=(bad,)), TASK)
