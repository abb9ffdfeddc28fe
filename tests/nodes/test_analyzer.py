"""Analyzer findings on the vulnerable code become nodes on the matching golden lines."""

from __future__ import annotations

import functools

from treeplay.nodes.analyzer import analyzer_nodes
from treeplay.oracles.base import FakeOracle
from treeplay.oracles.static import scan_programs
from treeplay.records import Finding

from .fixtures import PROGRAM_PREFIX, program_task, python_task


def fake_scan(patterns, **options):
    """``scan_programs`` routed to a FakeOracle, without the user cache; also returns the oracle to inspect."""
    oracle = FakeOracle(patterns, name="fake")
    scan = functools.partial(scan_programs, analyzers=("fake",), oracles={"fake": oracle}, cache=None, **options)
    return scan, oracle


def test_analyzer_finding_on_changed_line_maps_to_golden_hunk_start():
    scan, _ = fake_scan({"CWE-79": r'"<p>" \+ text'})  # flags the unescaped html line (vulnerable line 4)
    result = analyzer_nodes([python_task()], scan=scan)
    (node,) = result.nodes
    # vulnerable line 4 was replaced by golden lines 3-5: the node is where the secure code starts to differ
    assert (node.line, node.cwe, node.method) == (3, "CWE-79", "analyzer")
    assert node.reason.startswith("fake fake-CWE-79 on the vulnerable code")


def test_analyzer_finding_on_unchanged_line_maps_to_itself():
    scan, _ = fake_scan({"CWE-200": r"return html"})
    (node,) = analyzer_nodes([python_task()], scan=scan).nodes
    assert node.line == 6 and node.cwe == "CWE-200"


def test_analyzer_scans_every_variant_of_every_task_in_one_batch():
    scan, oracle = fake_scan({"CWE-532": r"print\("})
    second = python_task(task_id="t2", vulnerable=(python_task().vulnerable[0], "def x():\n    print(1)\n"))
    result = analyzer_nodes([python_task(), second, program_task()], scan=scan)
    assert oracle.calls == 1
    # t2's second variant shares no line with the golden code: its finding maps to the start of the one hunk
    assert [(n.task_id, n.line) for n in result.nodes] == [("t-render", 2), ("t2", 1), ("t2", 2)]
    assert result.counts["clean_tasks"] == 1  # program_task has no print


def test_analyzer_finding_inside_prefix_is_unmatched():
    def scan(programs):
        return {p.key: [Finding("t", "r", "CWE-22", 2, "high", "BASE"), Finding("t", "r", "CWE-22", 5, "high", "join")]
                for p in programs}

    task = program_task()
    result = analyzer_nodes([task], scan=scan)
    assert [n.line for n in result.nodes] == [5] and result.unmatched == 1
    assert result.nodes[0].char_offset >= len(PROGRAM_PREFIX)


def test_analyzer_keeps_most_severe_findings_under_a_cap():
    def scan(programs):
        return {p.key: [Finding("t", "a", None, 2, "low", "x"), Finding("t", "b", "CWE-79", 4, "high", "y")]
                for p in programs}

    result = analyzer_nodes([python_task()], scan=scan, max_nodes=1)
    assert [(n.line, n.cwe) for n in result.nodes] == [(3, "CWE-79")] and result.counts["capped"] == 1


def test_analyzer_severity_threshold_is_passed_to_the_scan():
    scan, _ = fake_scan({"CWE-79": r'"<p>" \+ text'}, severity="high")
    assert len(analyzer_nodes([python_task()], scan=scan).nodes) == 1
    low = FakeOracle({"CWE-79": r'"<p>" \+ text'}, name="fake", severity="low")
    result = analyzer_nodes([python_task()], analyzers=("fake",), severity="medium", oracles={"fake": low},
                            scan=functools.partial(scan_programs, analyzers=("fake",), severity="medium",
                                                   oracles={"fake": low}, cache=None))
    assert result.nodes == ()
