"""Guarantees every node method relies on: line numbering, the prefix boundary, one node per line."""

from __future__ import annotations

import pytest

from treeplay.errors import DataError
from treeplay.nodes.common import NodeResult, NodeSet, line_starts, node_stats, nodes_per_task, split_lines
from treeplay.records import RiskNode

from .fixtures import PROGRAM_GOLDEN, PROGRAM_PREFIX, program_task, python_task


def test_line_starts_agree_with_split_lines():
    text = "a\n\nbb\r\nc\n"
    lines, starts = split_lines(text), line_starts(text)
    assert lines == ["a", "", "bb\r", "c"]
    assert [text[s:s + len(line)] for s, line in zip(starts, lines, strict=True)] == lines


def test_node_offset_is_start_of_its_line():
    node_set = NodeSet(python_task(), "diff")
    assert node_set.add(3, "CWE-79", "r") == "added"
    (node,) = node_set.nodes()
    assert node.char_offset == python_task().golden.index("    if len(text)")
    assert node.token_position is None


def test_nodes_never_lie_inside_the_prefix():
    node_set = NodeSet(program_task(), "diff")
    # line 4 (the def) starts before the prefix ends: the opponent never writes it
    assert node_set.first == 5
    assert node_set.add(4, None, "r") == "before_prefix"
    assert node_set.add(5, None, "r") == "added"
    assert node_set.nodes()[0].char_offset >= len(PROGRAM_PREFIX)
    assert PROGRAM_GOLDEN[:node_set.nodes()[0].char_offset].startswith(PROGRAM_PREFIX)


def test_one_node_per_line_sorted_and_capped_in_priority_order():
    node_set = NodeSet(python_task(), "diff", max_nodes=2)
    assert [node_set.add(line, None, "r") for line in (5, 3, 5, 2)] == ["added", "added", "duplicate", "capped"]
    assert [n.line for n in node_set.nodes()] == [3, 5]
    assert node_set.add(99, None, "r") == "out_of_range"


def test_blank_line_moves_to_next_code_line():
    node_set = NodeSet(program_task(), "diff")
    assert node_set.code_line_from(3) == 4 and node_set.code_line_from(5) == 5


def test_golden_that_does_not_extend_prefix_is_data_error():
    with pytest.raises(DataError, match="does not start with the task's prefix"):
        NodeSet(python_task(prefix="class X:\n"), "diff")


def test_stats_have_exactly_the_documented_keys():
    tasks = [python_task(task_id="a"), python_task(task_id="b")]
    nodes = (RiskNode("a", 2, 0, "diff", "CWE-79"), RiskNode("a", 3, 0, "diff", None))
    stats = node_stats(tasks, NodeResult(nodes=nodes, unmatched=4))
    assert list(stats) == ["tasks", "tasks_with_nodes", "nodes", "unmatched", "by_cwe"]
    assert stats == {"tasks": 2, "tasks_with_nodes": 1, "nodes": 2, "unmatched": 4,
                     "by_cwe": {"CWE-79": 1, "unknown": 1}}
    assert nodes_per_task(tasks, NodeResult(nodes=nodes)) == {0: 1, 2: 1}
