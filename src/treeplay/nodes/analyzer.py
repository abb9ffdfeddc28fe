"""Risk nodes from analyzer findings on the vulnerable variant, carried over to the golden code.

Where the analyzers (bandit, semgrep, cppcheck, ...) flag the vulnerable program is where the code went wrong,
so the matching golden line is where the opponent should be tested (paper, step 2, without GPT-4o). All
vulnerable variants of all tasks go to the scan function in ONE batch (each analyzer starts once).

A finding's line numbers the vulnerable program; the ``diff`` alignment carries it to the golden code: a
flagged unchanged line maps to its copy, a flagged changed (or deleted) line to the start of the golden hunk
that replaced it. Findings that land inside the task's prefix are dropped and counted as ``unmatched``.
Nodes are kept most severe first when ``max_nodes`` caps them.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from treeplay.nodes.common import ADDED, NodeResult, NodeSet, split_lines
from treeplay.nodes.diff import align, map_to_golden
from treeplay.oracles.base import DEFAULT_SEVERITY, SEVERITIES, Oracle, Program
from treeplay.records import Finding, RiskNode, Task

METHOD = "analyzer"
ScanFn = Callable[[Sequence[Program]], Mapping[str, Sequence[Finding]]]


def analyzer_nodes(tasks: Sequence[Task], *, scan: ScanFn | None = None, analyzers: Sequence[str] | None = None,
                   severity: str = DEFAULT_SEVERITY, oracles: Mapping[str, Oracle] | None = None,
                   max_nodes: int | None = None) -> NodeResult:
    """Nodes where the analyzers flag each task's vulnerable variants.

    ``scan`` maps a batch of programs to findings per program key; by default
    ``treeplay.oracles.static.scan_programs`` with ``analyzers`` (None: its defaults), ``severity`` and
    ``oracles``. ``counts``: ``findings`` (all findings seen), ``clean_tasks`` (tasks whose variants were not
    flagged), ``before_prefix`` (dropped, in ``unmatched``), ``duplicate`` (findings on a line already a
    node) and ``capped``.
    """
    work = [t for t in tasks if t.golden is not None and t.vulnerable]
    programs = [Program(key=_key(t, i), language=t.language, code=code)
                for t in work for i, code in enumerate(t.vulnerable)]
    if scan is None:
        scan = _default_scan(analyzers, severity, oracles)
    found = scan(programs) if programs else {}
    nodes: list[RiskNode] = []
    counts: Counter[str] = Counter()
    for task in work:
        node_set = NodeSet(task, METHOD, max_nodes=max_nodes)
        flagged = _flagged_golden_lines(task, found)
        counts["findings"] += len(flagged)
        if not flagged:
            counts["clean_tasks"] += 1
        for line, finding in flagged:
            outcome = node_set.add(line, finding.cwe, _reason(finding))
            if outcome != ADDED:
                counts[outcome] += 1
        nodes.extend(node_set.nodes())
    return NodeResult(nodes=tuple(nodes), unmatched=counts["before_prefix"], counts=dict(sorted(counts.items())))


def _default_scan(analyzers: Sequence[str] | None, severity: str, oracles: Mapping[str, Oracle] | None) -> ScanFn:
    from treeplay.oracles.static import scan_programs  # analyzers are an edge: import only when scanning

    options: dict = {"severity": severity, "oracles": oracles}
    if analyzers is not None:
        options["analyzers"] = tuple(analyzers)
    return functools.partial(scan_programs, **options)


def _key(task: Task, variant: int) -> str:
    return f"{task.id}/v{variant}"


def _flagged_golden_lines(task: Task, found: Mapping[str, Sequence[Finding]]) -> list[tuple[int, Finding]]:
    """(golden line, finding) for every finding on any variant, most severe first, then by line."""
    assert task.golden is not None
    n_golden = len(split_lines(task.golden))
    flagged = []
    for variant, code in enumerate(task.vulnerable):
        findings = found.get(_key(task, variant), ())
        if not findings:
            continue
        opcodes = align(code, task.golden)
        flagged.extend((map_to_golden(f.line, opcodes, n_golden), f) for f in findings)
    return sorted(flagged, key=lambda lf: (-_rank(lf[1].severity), lf[0]))


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def _reason(finding: Finding) -> str:
    return f"{finding.tool} {finding.rule} on the vulnerable code: {finding.message}"
