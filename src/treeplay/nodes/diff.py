"""Risk nodes from the vulnerability fix: the golden lines that differ from the vulnerable code.

A fix commit shows exactly where the vulnerable and the secure program part ways, so the start of a changed
line is a natural k_v (paper, step 3): the golden prefix up to it is the code both versions share (up to
earlier hunks), and the opponent, continuing from there, can write either version.

Where the changes come from:

- SafeCoder records carry ``meta["line_changes"]``: ``added`` entries number lines of the fixed (golden) code
  and ``deleted`` entries lines of the vulnerable code. Checked on the release (train + val, trailing whitespace
  ignored): all 1,198 ``added`` texts equal that line of ``func_src_after`` (23 also equal that line of
  ``func_src_before``), all 884 ``deleted`` texts that line of ``func_src_before`` (10 also of the fixed code).
  When an entry's text does not equal the line it names, the record's ``line_changes`` are not trusted and the
  diff below is used for it. On 363 of the 412 train records that have them they give the same node lines
  as the line diff below (26 fewer lines, 13 more, 10 other); ``counts`` tells the two sources apart.
- Otherwise (SecCodePLT vulnerable vs patched, builtin tasks, any task with a vulnerable variant): a
  ``difflib`` line diff of ``task.vulnerable[0]`` against ``task.golden``, trailing whitespace ignored.

A change that only deletes vulnerable lines leaves no golden line to mark; its node is the golden line where
the deletion happened (the line that follows the deleted ones), where the opponent, continuing from the
shared prefix, could write the deleted code again. A blank changed line moves to the next line with code.

``first_only`` keeps only the first line of each changed hunk (a run of consecutive changed golden lines):
one branching point per change. With a cap (``max_nodes``) hunk starts are kept before the other lines.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from treeplay.nodes.common import ADDED, NodeResult, NodeSet, split_lines, task_cwe
from treeplay.records import RiskNode, Task

METHOD = "diff"
Opcode = tuple[str, int, int, int, int]


def diff_nodes(tasks: Sequence[Task], *, first_only: bool = False, max_nodes: int | None = None) -> NodeResult:
    """Nodes at the golden lines the fix changed, for every task with golden and vulnerable code.

    ``counts``: ``line_changes`` / ``difflib`` (tasks per source of changes), ``no_change`` (tasks whose
    vulnerable code equals the golden code), ``before_prefix`` (changes inside the prefix, dropped and counted
    in ``unmatched``), ``capped`` (nodes beyond ``max_nodes``).
    """
    nodes: list[RiskNode] = []
    counts: Counter[str] = Counter()
    for task in tasks:
        if task.golden is None or not task.vulnerable:
            continue
        node_set = NodeSet(task, METHOD, max_nodes=max_nodes)
        changes, source = changed_lines(task)
        counts[source] += 1
        if not changes:
            counts["no_change"] += 1
        for line, reason in _prioritise(changes, first_only):
            outcome = node_set.add(node_set.code_line_from(line), task_cwe(task), reason)
            if outcome != ADDED:
                counts[outcome] += 1
        nodes.extend(node_set.nodes())
    counts.pop("duplicate", None)  # several changed lines moved onto one code line: not a loss
    return NodeResult(nodes=tuple(nodes), unmatched=counts["before_prefix"], counts=dict(sorted(counts.items())))


def changed_lines(task: Task) -> tuple[list[tuple[int, str]], str]:
    """(golden line, reason) for every change of the fix, in line order, and where they came from.

    ``task.golden`` and ``task.vulnerable[0]`` must be set.
    """
    assert task.golden is not None and task.vulnerable
    vulnerable, golden = task.vulnerable[0], task.golden
    opcodes = align(vulnerable, golden)
    from_meta = _from_line_changes(task.meta.get("line_changes"), vulnerable, golden, opcodes)
    if from_meta is not None:
        return from_meta, "line_changes"
    changes: list[tuple[int, str]] = []
    n_golden = len(split_lines(golden))
    for tag, i1, i2, j1, j2 in opcodes:
        if tag in ("replace", "insert"):
            what = "added by the fix" if tag == "insert" else f"replaces vulnerable {_span(i1, i2)}"
            changes.extend((line, what) for line in range(j1 + 1, j2 + 1))
        elif tag == "delete":
            changes.append((min(j1 + 1, n_golden), f"the fix deleted vulnerable {_span(i1, i2)} here"))
    return sorted(changes), "difflib"


def align(vulnerable: str, golden: str) -> list[Opcode]:
    """``difflib`` opcodes turning the vulnerable lines into the golden ones (0-based, end-exclusive)."""
    a = [line.rstrip() for line in split_lines(vulnerable)]
    b = [line.rstrip() for line in split_lines(golden)]
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def map_to_golden(vulnerable_line: int, opcodes: Sequence[Opcode], n_golden: int) -> int:
    """The golden line that corresponds to a 1-based vulnerable line.

    An unchanged line maps to its copy; a changed or deleted line maps to the start of the golden hunk that
    replaced it (for a pure deletion: the golden line after the deletion point), clamped to the golden code.
    """
    index = vulnerable_line - 1
    for tag, i1, i2, j1, _j2 in opcodes:
        if i1 <= index < i2:
            line = j1 + (index - i1) + 1 if tag == "equal" else j1 + 1
            return max(1, min(line, n_golden))
    return max(1, n_golden)  # past the end (a tool reporting line n+1): the last golden line


def _from_line_changes(line_changes: Any, vulnerable: str, golden: str,
                       opcodes: Sequence[Opcode]) -> list[tuple[int, str]] | None:
    """Changes from SafeCoder's ``line_changes``, or None when absent, empty or inconsistent with the code."""
    if not isinstance(line_changes, Mapping):
        return None
    added, deleted = line_changes.get("added") or [], line_changes.get("deleted") or []
    if not added and not deleted:
        return None
    v_lines, g_lines = split_lines(vulnerable), split_lines(golden)
    if not (_entries_match(added, g_lines) and _entries_match(deleted, v_lines)):
        return None
    changes = [(entry["line_no"], "added by the fix") for entry in added]
    for entry in deleted:
        line = map_to_golden(entry["line_no"], opcodes, len(g_lines))
        changes.append((line, f"the fix replaced or deleted vulnerable line {entry['line_no']} here"))
    return sorted(set(changes))


def _entries_match(entries: Any, lines: Sequence[str]) -> bool:
    """Every entry is ``{"line_no": n, "line": text}`` and ``text`` is line n of ``lines``."""
    for entry in entries:
        if not isinstance(entry, Mapping):
            return False
        number, text = entry.get("line_no"), entry.get("line")
        if not isinstance(number, int) or not isinstance(text, str) or not 1 <= number <= len(lines):
            return False
        if lines[number - 1].rstrip() != text.rstrip("\n").rstrip():
            return False
    return True


def _prioritise(changes: Sequence[tuple[int, str]], first_only: bool) -> list[tuple[int, str]]:
    """Hunk starts first (then, unless ``first_only``, the other changed lines), each group in line order."""
    starts, rest = [], []
    previous = None
    for line, reason in sorted(changes):
        if previous is not None and line <= previous + 1:
            rest.append((line, reason))
        else:
            starts.append((line, reason))
        previous = line
    return starts if first_only else starts + rest


def _span(i1: int, i2: int) -> str:
    return f"line {i1 + 1}" if i2 - i1 == 1 else f"lines {i1 + 1}-{i2}"
