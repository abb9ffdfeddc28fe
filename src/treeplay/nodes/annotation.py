"""The paper's own risk nodes: GPT-4o annotations (``Task.annotations``) matched back to golden-code lines.

The TSP release quotes each node as a code line, not a line number, so every quote has to be found again in
``Task.golden``. Matching goes from strict to loose and stops at the first stage that finds the quote:

1. ``exact``: the stripped quote equals a stripped golden line;
2. ``whitespace``: equal after collapsing runs of whitespace;
3. ``compact``: the quote with all whitespace (and Python ``\\``-newline continuations) removed occurs in the
   golden code with the same removed. This finds quotes that GPT-4o joined from a statement spread over several
   lines, and quotes of part of a line (a line with a trailing comment, ``var`` or ``{``). The node is the line
   where the occurrence starts. Quotes shorter than ``MIN_COMPACT`` characters are not searched this way, as
   they could occur anywhere;
4. ``fuzzy``: the best ``difflib`` ratio between the quote and a window of 1-3 golden lines, accepted only at
   ``FUZZY_MIN`` = 0.9 or more and at least ``FUZZY_MARGIN`` ahead of the best window elsewhere.

Why 0.9: on the 1,455 annotations of the release only 11 quotes reach stage 4. Those scoring 0.90-0.98 are
quotes of the right statement with a changed literal or name (GPT-4o quoted the vulnerable version, e.g.
``recvfrom(..., 1400, ...)`` for the fixed ``1500``), while the best one below (0.86) quotes a statement the
fix removed and resembles a different line. The margin refuses a quote that fits two places equally well.

A quote that no stage places is dropped and counted as ``unmatched``, as is one that lands inside the task's
prefix; it never becomes a node on a guessed line. When a quote fits several lines, the first one not already
taken by an earlier annotation of the same task is used (annotations list nodes in code order).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence

from treeplay.nodes.common import ADDED, BEFORE_PREFIX, DUPLICATE, NodeResult, NodeSet
from treeplay.records import Annotation, RiskNode, Task

METHOD = "annotation"
MIN_COMPACT = 6
FUZZY_MIN = 0.9
FUZZY_MARGIN = 0.02
FUZZY_WINDOW = 3
_SPACE = re.compile(r"\\\r?\n|\s+")  # whitespace, and a backslash that continues a line


def annotation_nodes(tasks: Sequence[Task]) -> NodeResult:
    """Nodes from each task's imported annotations; every annotation is matched or counted as unmatched.

    ``counts`` tells how each annotation ended: ``exact``, ``whitespace``, ``compact``, ``fuzzy`` (became a
    node), ``duplicate`` (a second annotation of a line that already is a node), ``before_prefix`` and
    ``not_found`` (both dropped and counted in ``unmatched``).
    """
    nodes: list[RiskNode] = []
    counts: Counter[str] = Counter()
    for task in tasks:
        if task.golden is None or not task.annotations:
            continue
        node_set = NodeSet(task, METHOD)
        index = _GoldenIndex(node_set.lines)
        for annotation in task.annotations:
            counts[_place(annotation, index, node_set)] += 1
        nodes.extend(node_set.nodes())
    unmatched = counts["not_found"] + counts[BEFORE_PREFIX]
    return NodeResult(nodes=tuple(nodes), unmatched=unmatched, counts=dict(sorted(counts.items())))


def _place(annotation: Annotation, index: _GoldenIndex, node_set: NodeSet) -> str:
    """Match one annotation and add its node; returns the outcome counted in ``annotation_nodes``."""
    found = match_line(annotation.code_line, index)
    if found is None:
        return "not_found"
    lines, how = found
    open_lines = [line for line in lines if node_set.is_open(line)]
    if not open_lines:
        return BEFORE_PREFIX
    reason = annotation.description or "GPT-4o risk node"
    if how.startswith("fuzzy"):
        reason += f" (matched {how})"  # say so: the quote is not literally in the golden code
    for line in open_lines:
        if node_set.add(line, annotation.cwe, reason) == ADDED:
            return how.split(" ")[0]
    return DUPLICATE


class _GoldenIndex:
    """The golden lines in the forms the matching stages compare (built once per task)."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.stripped = [line.strip() for line in lines]
        self.collapsed = [" ".join(line.split()) for line in lines]
        # The whole text without whitespace, and for each of its characters the 1-based line it came from.
        parts, owner = [], []
        for number, line in enumerate(lines, start=1):
            body = line.rstrip()
            text = _compact(body[:-1] if body.endswith("\\") else body)  # drop a line-continuation backslash
            parts.append(text)
            owner.extend([number] * len(text))
        self.compact = "".join(parts)
        self.owner = owner


def _compact(text: str) -> str:
    return _SPACE.sub("", text)


def match_line(quote: str, index: _GoldenIndex) -> tuple[list[int], str] | None:
    """Golden lines (1-based, best first) that ``quote`` names, and the stage that found them; None if none."""
    stripped = quote.strip()
    if not stripped:
        return None
    hits = [n for n, line in enumerate(index.stripped, start=1) if line == stripped]
    if hits:
        return hits, "exact"
    collapsed = " ".join(stripped.split())
    hits = [n for n, line in enumerate(index.collapsed, start=1) if line == collapsed]
    if hits:
        return hits, "whitespace"
    compact = _compact(stripped)
    if len(compact) >= MIN_COMPACT:
        starts = [m.start() for m in re.finditer(re.escape(compact), index.compact)]
        if starts:
            return list(dict.fromkeys(index.owner[s] for s in starts)), "compact"
    return _fuzzy(collapsed, index)


def _fuzzy(collapsed: str, index: _GoldenIndex) -> tuple[list[int], str] | None:
    """The window of 1-3 lines most like the quote, if clearly the best and similar enough."""
    scored: list[tuple[float, int, int]] = []  # (ratio, first line, window length)
    for start, line in enumerate(index.collapsed, start=1):
        if not line:
            continue
        for size in range(1, FUZZY_WINDOW + 1):
            window = " ".join(x for x in index.collapsed[start - 1:start - 1 + size] if x)
            matcher = difflib.SequenceMatcher(None, collapsed, window, autojunk=False)
            if matcher.real_quick_ratio() < FUZZY_MIN - FUZZY_MARGIN or matcher.quick_ratio() < FUZZY_MIN - 0.1:
                continue  # cannot come near the threshold: skip the expensive ratio
            scored.append((matcher.ratio(), start, size))
    if not scored:
        return None
    best, start, size = max(scored, key=lambda s: (s[0], -s[1]))
    # The best window elsewhere: one that shares no line with the winner.
    rival = max((s[0] for s in scored if s[1] + s[2] <= start or s[1] >= start + size), default=0.0)
    if best < FUZZY_MIN or best - rival < FUZZY_MARGIN:
        return None
    return [start], f"fuzzy {best:.2f}"
