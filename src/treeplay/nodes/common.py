"""What every risk-node method shares: golden lines, the prefix boundary, one node per line, statistics.

Lines are split on ``\\n`` only (a ``\\r`` before it belongs to the line), so line numbers agree with the
analyzers' and with ``difflib`` over ``str.split("\\n")``. A node may only sit on a line that starts at or after
the end of ``Task.prefix``: the opponent continues the golden path from the prefix on, so the golden prefix
y_<k_v of a node (paper, step 3) must extend the task's prefix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from treeplay.errors import DataError
from treeplay.records import RiskNode, Task

# Outcomes of NodeSet.add, counted by the methods and shown by `treeplay nodes --stats`.
ADDED = "added"
DUPLICATE = "duplicate"  # the line is a node already
BEFORE_PREFIX = "before_prefix"  # the line starts inside Task.prefix: the opponent never writes it
OUT_OF_RANGE = "out_of_range"  # no such line in the golden code
CAPPED = "capped"  # max_nodes reached


@dataclass(frozen=True)
class NodeResult:
    """The nodes of a batch of tasks, and what could not become a node.

    ``unmatched`` counts candidate nodes the method could not place on a golden line after the prefix (an
    annotation quoting code that is not there, a line number out of range, a change inside the prefix); they are
    dropped. ``counts`` holds method-specific tallies (match kinds, duplicates, capped nodes).
    """

    nodes: tuple[RiskNode, ...]
    unmatched: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` split on ``\\n``; a final newline does not start another line."""
    lines = text.split("\n")
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
    return lines


def line_starts(text: str) -> list[int]:
    """Character offset where each line of ``text`` starts (index 0 = line 1)."""
    starts = [0]
    pos = text.find("\n")
    while pos != -1 and pos + 1 < len(text):
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def first_open_line(task: Task, starts: Sequence[int]) -> int:
    """The first 1-based line of ``task.golden`` that starts at or after the end of ``task.prefix``."""
    limit = len(task.prefix)
    for number, start in enumerate(starts, start=1):
        if start >= limit:
            return number
    return len(starts) + 1  # the prefix covers the whole golden code: no line is open


def golden_of(task: Task) -> str:
    """``task.golden``, checked to extend ``task.prefix`` (the premise of every node)."""
    if task.golden is None:
        raise DataError(f"task {task.id!r} has no golden code, so it has no risk nodes",
                        fix="risk nodes need tasks with a secure reference (golden path)")
    if not task.golden.startswith(task.prefix):
        raise DataError(f"task {task.id!r}: golden code does not start with the task's prefix",
                        fix="re-import the task; its golden program must begin with its prefix")
    return task.golden


class NodeSet:
    """One task's nodes, collected in priority order: one per line, only after the prefix, at most ``max_nodes``.

    Methods add candidates best first; the first candidate for a line wins and later ones count as duplicates,
    so capping keeps the most important nodes. ``nodes()`` returns them sorted by line.
    """

    def __init__(self, task: Task, method: str, *, max_nodes: int | None = None) -> None:
        self.task = task
        self.method = method
        self.max_nodes = max_nodes
        self.text = golden_of(task)
        self.lines = split_lines(self.text)
        self.starts = line_starts(self.text)
        self.first = first_open_line(task, self.starts)
        self._nodes: dict[int, RiskNode] = {}

    def is_open(self, line: int) -> bool:
        """Whether a node may sit on ``line`` (in range and after the prefix)."""
        return self.first <= line <= len(self.lines)

    def add(self, line: int, cwe: str | None, reason: str) -> str:
        """Try to make ``line`` a node; returns one of added / duplicate / before_prefix / out_of_range / capped."""
        if not 1 <= line <= len(self.lines):
            return OUT_OF_RANGE
        if line < self.first:
            return BEFORE_PREFIX
        if line in self._nodes:
            return DUPLICATE
        if self.max_nodes is not None and len(self._nodes) >= self.max_nodes:
            return CAPPED
        self._nodes[line] = RiskNode(task_id=self.task.id, line=line, char_offset=self.starts[line - 1],
                                     method=self.method, cwe=cwe, reason=reason)
        return ADDED

    def code_line_from(self, line: int) -> int:
        """``line`` itself, or the next line with code when it is blank (the previous one at the very end).

        A branch started at a blank line spends its first tokens on whitespace; the change it stands for starts
        on the next line with code.
        """
        for number in range(max(line, 1), len(self.lines) + 1):
            if self.lines[number - 1].strip():
                return number
        for number in range(min(line, len(self.lines)), 0, -1):
            if self.lines[number - 1].strip():
                return number
        return line

    def nodes(self) -> list[RiskNode]:
        return [self._nodes[line] for line in sorted(self._nodes)]


def task_cwe(task: Task) -> str | None:
    """The CWE a node inherits from its task: its only CWE, else None (a multi-CWE task says nothing per line)."""
    return task.cwes[0] if len(task.cwes) == 1 else None


def merge_counts(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(sorted(total.items()))


def node_stats(tasks: Sequence[Task], result: NodeResult) -> dict[str, Any]:
    """``{"tasks", "tasks_with_nodes", "nodes", "unmatched", "by_cwe"}``; CWEs by count (None -> "unknown")."""
    with_nodes = {n.task_id for n in result.nodes}
    by_cwe = Counter(n.cwe or "unknown" for n in result.nodes)
    return {
        "tasks": len(tasks),
        "tasks_with_nodes": sum(1 for t in tasks if t.id in with_nodes),
        "nodes": len(result.nodes),
        "unmatched": result.unmatched,
        "by_cwe": dict(sorted(by_cwe.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def nodes_per_task(tasks: Sequence[Task], result: NodeResult) -> dict[int, int]:
    """Histogram: number of nodes -> number of tasks with that many."""
    per = Counter(n.task_id for n in result.nodes)
    return dict(sorted(Counter(per.get(t.id, 0) for t in tasks).items()))
