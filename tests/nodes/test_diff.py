"""Diff nodes sit on the golden lines the vulnerability fix changed."""

from __future__ import annotations

import pytest

from treeplay.data.importers import import_tasks
from treeplay.nodes.diff import align, changed_lines, diff_nodes, map_to_golden

from .fixtures import GOLDEN, VULNERABLE, program_task, python_task


def test_diff_nodes_mark_changed_golden_lines():
    result = diff_nodes([python_task()])
    # 2: the deleted debug print was before it; 3-4: added size check; 5: escaped output
    assert [n.line for n in result.nodes] == [2, 3, 4, 5]
    assert {n.method for n in result.nodes} == {"diff"} and {n.cwe for n in result.nodes} == {"CWE-79"}
    assert result.counts["difflib"] == 1 and result.unmatched == 0


def test_diff_node_on_deletion_points_at_golden_line():
    vulnerable = "def f(path):\n    check(path)\n    log(path)\n    return open(path)\n"
    golden = "def f(path):\n    check(path)\n    return open(path)\n"  # the fix only deletes line 3
    task = python_task(golden=golden, vulnerable=(vulnerable,))
    (node,) = diff_nodes([task]).nodes
    # the opponent, continuing after `check(path)`, could write the deleted line again: branch there
    assert node.line == 3 and golden[node.char_offset:].startswith("    return open(path)")
    assert "deleted vulnerable line 3" in node.reason


def test_diff_hunk_starts_only():
    result = diff_nodes([python_task()], first_only=True)
    assert [n.line for n in result.nodes] == [2]  # lines 2-5 form one run of changed lines


def test_diff_cap_keeps_hunk_starts_first():
    vulnerable = "def f(a):\n    x = 1\n    y = 2\n    k = 0\n    z = 3\n    w = 4\n"
    golden = "def f(a):\n    x = 10\n    y = 20\n    k = 0\n    z = 30\n    w = 40\n"
    result = diff_nodes([python_task(golden=golden, vulnerable=(vulnerable,))], max_nodes=2)
    assert [n.line for n in result.nodes] == [2, 5] and result.counts["capped"] == 2


def test_diff_uses_safecoder_line_changes_added_lines_number_the_golden_code():
    # line_changes name only the output change, not the removed print or the size check difflib also sees:
    # `added` numbers golden lines (5), `deleted` vulnerable lines (4, mapped to the start of its golden hunk, 3)
    meta = {"line_changes": {"added": [{"line_no": 5, "line": '    html = "<p>" + escape(text) + "</p>"\n'}],
                             "deleted": [{"line_no": 4, "line": '    html = "<p>" + text + "</p>"\n'}]}}
    result = diff_nodes([python_task(meta=meta)])
    assert [n.line for n in result.nodes] == [3, 5] and result.counts["line_changes"] == 1
    added_only = {"line_changes": {"added": meta["line_changes"]["added"], "deleted": []}}
    assert [n.line for n in diff_nodes([python_task(meta=added_only)]).nodes] == [5]


def test_diff_ignores_line_changes_that_do_not_match_the_code():
    meta = {"line_changes": {"added": [{"line_no": 5, "line": "something else\n"}], "deleted": []}}
    result = diff_nodes([python_task(meta=meta)])
    assert [n.line for n in result.nodes] == [2, 3, 4, 5] and result.counts["difflib"] == 1


def test_diff_nodes_lie_after_prefix_of_whole_programs():
    task = program_task()
    result = diff_nodes([task])
    assert [n.line for n in result.nodes] == [5, 6, 7]
    assert all(n.char_offset >= len(task.prefix) for n in result.nodes)


def test_map_to_golden_follows_the_alignment():
    opcodes = align(VULNERABLE, GOLDEN)
    n = len(GOLDEN.splitlines())
    assert map_to_golden(1, opcodes, n) == 1  # unchanged def line
    assert map_to_golden(2, opcodes, n) == 2  # deleted print -> the golden line after the deletion
    assert map_to_golden(4, opcodes, n) == 3  # changed html line -> start of its golden hunk (the new check)
    assert map_to_golden(5, opcodes, n) == 6  # unchanged return
    assert map_to_golden(99, opcodes, n) == 6  # past the end -> last line


def test_task_without_change_has_no_nodes():
    result = diff_nodes([python_task(vulnerable=(GOLDEN,))])
    assert result.nodes == () and result.counts["no_change"] == 1
    assert changed_lines(python_task(vulnerable=(GOLDEN,))) == ([], "difflib")


@pytest.mark.shared_data
@pytest.mark.parametrize("fmt, name", [("safecoder", "safecoder/sec-new-desc.train.jsonl"),
                                       ("seccodeplt", "seccodeplt/train.json"),
                                       ("seccodeplt", "seccodeplt/dev.json")])
def test_diff_gives_nodes_for_95_percent_of_records(shared_data, fmt, name):
    path = shared_data / name
    if not path.exists():
        pytest.skip(f"{name} not present")
    tasks = import_tasks(fmt, path)
    result = diff_nodes(tasks, max_nodes=8)
    with_nodes = {n.task_id for n in result.nodes}
    assert len(with_nodes) >= 0.95 * len(tasks)
    by_id = {t.id: t for t in tasks}
    assert all(n.char_offset >= len(by_id[n.task_id].prefix) for n in result.nodes)
