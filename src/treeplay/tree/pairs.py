"""Preference pairs from grown trees: the paper's mode (every branch rejected) or verified branches.

For a risk node v at golden token k_v, every pair shares the prompt x and the golden prefix y_<k_v; only the
continuations differ. In the DPO margin the log-probabilities of the shared prefix cancel, so the learning
signal falls on the tokens from the node on (paper, steps 4 and 6). A pair therefore records the shared prefix
(``prompt`` + ``prefix`` as text, ``shared_prefix_tokens`` as a length) and the two continuations after it
(``chosen`` / ``rejected`` as text, ``chosen_token_ids`` / ``rejected_token_ids`` as tokens), so that
``prompt + prefix + chosen`` is the whole chosen sequence and likewise for rejected.

Tree layout (``treeplay grow``): ``prompt_token_ids`` + ``golden_token_ids`` is what the model read,
``golden_token_ids`` being the tokens of ``Task.golden``; a node's branches continue its first k_v =
``token_position`` golden tokens, which decode to ``node_prefix_chars[node]`` characters (see ``leaves``).

- ``paper``: chosen = the golden path from the node on, rejected = y_<k_v + branch, for every branch; no
  oracle is run (paper, step 4). Branches equal to the golden continuation are counted as ``identical`` but
  kept, as the paper keeps them (such a pair has zero gradient). The paper's trees are one level deep: branches
  of branches are skipped (``deep_skipped``).
- ``verified``: each branch is judged by its Verdict (``treeplay score`` on ``leaves.leaves``). Secure and
  functional branches become extra chosen paths at their fork; verified vulnerable or broken branches are
  rejected, against the golden path and against each extra chosen path of the same fork; branches equal to the
  golden continuation are dropped; branches without a verdict are skipped and counted as ``unscored``. In a
  deeper tree a branch of a branch forks from its parent's prefix: there the parent's own continuation plays
  the golden path's part, chosen or rejected by the parent's verdict. A task whose golden program does not parse
  (SafeCoder's Python 2 records) has nothing to verify against: every branch of it shares the golden code's
  syntax error, and its golden path would be chosen over code no more broken than itself. Its branches are
  skipped and counted as ``golden_unparsable``. With ``inherited="ignore"`` (``pairs.inherited_findings``) a
  branch is judged on what it wrote: a finding its golden program has too (same tool, rule and source line) and
  a test the golden program fails as well do not count against it. Without that, the golden code around a local
  branch, or a weakness the golden code itself keeps, makes every branch of the task "vulnerable", and its pairs
  teach nothing about the branch. Such branches are counted as ``inherited`` (whatever label they get instead);
  the golden verdicts come from ``treeplay score --trees --golden``.

Local branches (``grow.stop=statement``) rewrite one statement and rejoin the golden code after it: chosen = the
golden statement + the golden rest, rejected = the branch's statement + the same golden rest, both after the
shared prefix; ``chosen_region_tokens`` / ``rejected_region_tokens`` count each side's tokens up to that rejoin
point (``train.loss_tokens=region`` scores only those). A branch equal to the golden statement is ``identical``.

Pair ``reason``: ``<chosen>><rejected>`` with chosen ``golden`` or ``secure_branch`` and rejected ``branch``
(paper mode), ``vulnerable`` or ``broken``.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from treeplay.errors import DataError
from treeplay.records import PreferencePair, Task, Tree, Verdict, atomic_writer, write_jsonl
from treeplay.tree.golden import golden_continuation, is_identical
from treeplay.tree.leaves import (
    Fork,
    Leaf,
    golden_id,
    golden_statement,
    node_prefix,
    place_branches,
    program,
    suffix,
    task_of,
)

MODES = ("paper", "verified")
COUNT_KEYS = ("trees", "branches", "pairs", "rejected", "secure", "vulnerable", "broken", "identical", "unscored",
              "deep_skipped", "golden_unparsable", "inherited")
INHERITED = ("count", "ignore")


@dataclass(frozen=True)
class PairsResult:
    """The pairs, and what happened to every branch.

    ``counts``: ``trees``, ``branches`` (seen), ``pairs``, ``rejected`` (paths used as rejected),
    ``secure`` / ``vulnerable`` / ``broken`` (verdicts, verified mode), ``identical`` (equal to the golden
    continuation), ``unscored`` (no verdict), ``deep_skipped`` (branches of branches, paper mode),
    ``golden_unparsable`` (verified mode: branches of a task whose golden program does not parse, skipped),
    ``inherited`` (verified mode, ``inherited="ignore"``: branches labelled otherwise than their whole verdict
    says, because what made them vulnerable or broken is in the golden program too).
    ``by_reason``: pairs per reason.
    """

    pairs: tuple[PreferencePair, ...]
    counts: Mapping[str, int]
    by_reason: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Path:
    """One continuation after the shared prefix of a fork: the golden path or a branch. ``region``: its tokens up
    to where it rejoins the golden code (local branches; None: it never does)."""

    id: str
    kind: str  # golden | secure_branch | branch | vulnerable | broken
    text: str
    token_ids: tuple[int, ...]
    region: int | None = None


def _branch_path(tree: Tree, task: Task, leaf: Leaf) -> _Path:
    """A branch as a continuation: for a local branch, its statement then the golden code it rejoins."""
    branch = leaf.branch
    ids, region = tuple(branch.token_ids), None
    if branch.resume_token is not None:
        if not 0 <= branch.resume_token <= len(tree.golden_token_ids):
            raise DataError(f"tree of task {tree.task_id!r}: a branch resumes at golden token {branch.resume_token}, "
                            f"outside the golden tokens", fix="re-grow the tree (treeplay grow)")
        region = len(ids)
        ids += tuple(tree.golden_token_ids[branch.resume_token:])
    return _Path(leaf.id, "branch", branch.text + suffix(task, branch), ids, region)


def extract_pairs(trees: Sequence[Tree], tasks: Mapping[str, Task], *, mode: str = "paper",
                  verdicts: Mapping[str, Verdict] | None = None, inherited: str = "count") -> PairsResult:
    """Pairs of all trees; ``verdicts`` (by candidate id) are required in verified mode, and with ``inherited``
    "ignore" they include each task's golden program (``leaves.golden_id``)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if inherited not in INHERITED:
        raise ValueError(f"inherited must be one of {INHERITED}, got {inherited!r}")
    if mode == "verified" and verdicts is None:
        raise ValueError("verified mode needs verdicts (from treeplay score on the trees' leaves)")
    counts: Counter[str] = Counter({k: 0 for k in COUNT_KEYS})
    pairs: list[PreferencePair] = []
    for tree in trees:
        task = task_of(tasks, tree)
        counts["trees"] += 1
        if mode == "verified" and not golden_parses(task):
            counts["branches"] += len(tree.branches)
            counts["golden_unparsable"] += len(tree.branches)
            continue
        golden = None
        if mode == "verified" and inherited == "ignore":
            golden = (verdicts or {}).get(golden_id(task.id))
            if golden is None:
                raise DataError(f"no verdict for the golden program of task {task.id!r}, which "
                                "pairs.inherited_findings=ignore compares its branches with",
                                fix="score the trees with their golden programs (treeplay score --trees TREES "
                                    "--golden), or set pairs.inherited_findings=count")
        pairs.extend(_tree_pairs(tree, task, mode, verdicts or {}, counts, golden))
    counts["pairs"] = len(pairs)
    by_reason = Counter(p.reason for p in pairs)
    return PairsResult(pairs=tuple(pairs), counts=dict(counts), by_reason=dict(sorted(by_reason.items())))


def golden_parses(task: Task) -> bool:
    """Whether the task's golden program parses (in this process; a language without a parser here counts as
    parsing)."""
    from treeplay.oracles.syntax import module_parses

    assert task.golden is not None
    return module_parses(task.language, task.golden)


def _tree_pairs(tree: Tree, task: Task, mode: str, verdicts: Mapping[str, Verdict], counts: Counter[str],
                golden: Verdict | None = None) -> list[PreferencePair]:
    """Pairs of one tree, fork by fork: every chosen path of a fork against every rejected one."""
    placed = place_branches(tree, task)
    labels: dict[int, str] = {}  # branch index -> paper: branch; verified: secure/vulnerable/broken/identical/...
    forks: dict[Fork, tuple[Leaf, list[_Path], list[_Path]]] = {}
    for leaf in placed:
        counts["branches"] += 1
        if mode == "paper" and leaf.branch.parent is not None:
            counts["deep_skipped"] += 1  # the paper's trees are one level deep
            continue
        if leaf.fork not in forks:
            forks[leaf.fork] = (leaf, *_trunk(tree, task, leaf, placed, labels))
        trunk_text = _trunk_text(task, leaf, placed)
        identical = is_identical(leaf.branch.text, trunk_text, language=task.language,
                                 finish_reason=leaf.branch.finish_reason)
        counts["identical"] += identical
        _, chosen, rejected = forks[leaf.fork]
        path = _branch_path(tree, task, leaf)
        if mode == "paper":
            labels[leaf.index] = "branch"
            rejected.append(path)
        elif identical:
            labels[leaf.index] = "identical"
        else:
            verdict = verdicts.get(leaf.id)
            if golden is not None and verdict is not None:
                own = own_verdict(verdict, program(leaf, task), golden, task.golden or "")
                counts["inherited"] += classify(own) != classify(verdict)
                verdict = own
            labels[leaf.index] = _judge(verdict, counts)
            if labels[leaf.index] in ("vulnerable", "broken"):
                rejected.append(dataclasses.replace(path, kind=labels[leaf.index]))
            elif labels[leaf.index] == "secure":
                chosen.append(dataclasses.replace(path, kind="secure_branch"))
    pairs = []
    for first, chosen, rejected in forks.values():
        counts["rejected"] += len(rejected)
        pairs.extend(_pair(tree, task, first, c, r, mode) for c in chosen for r in rejected)
    return pairs


def _trunk(tree: Tree, task: Task, leaf: Leaf, placed: Sequence[Leaf],
           labels: Mapping[int, str]) -> tuple[list[_Path], list[_Path]]:
    """(chosen, rejected) paths a fork starts with.

    At a risk node: the golden path from the node on (chosen; paper, step 4). At a fork inside a branch (deeper
    trees): the parent's own continuation after the fork, chosen or rejected as the parent's verdict says, and
    left out when the parent has none.
    """
    assert task.golden is not None
    if leaf.branch.parent is None:
        chars, k = node_prefix(tree, task, leaf.node_index)
        region = None if leaf.branch.resume_token is None else max(0, leaf.branch.resume_token - k)
        return [_Path("golden", "golden", task.golden[chars:], tuple(tree.golden_token_ids[k:]), region)], []
    parent = placed[leaf.branch.parent]
    path = _Path(parent.id, labels.get(parent.index, "unscored"), parent.branch.text[leaf.branch.offset_chars:],
                 tuple(parent.branch.token_ids[leaf.branch.offset:]))
    if path.kind == "secure":
        return [dataclasses.replace(path, kind="secure_branch")], []
    return ([], [path]) if path.kind in ("vulnerable", "broken") else ([], [])


def _trunk_text(task: Task, leaf: Leaf, placed: Sequence[Leaf]) -> str:
    """What a branch would repeat: the golden statement it rewrote (a local branch), the golden code to the end of
    its function, or its parent's continuation."""
    statement = golden_statement(leaf, task)
    if statement is not None:
        return statement
    if leaf.branch.parent is None:
        return golden_continuation(task, len(leaf.code))
    return placed[leaf.branch.parent].branch.text[leaf.branch.offset_chars:]


def _judge(verdict: Verdict | None, counts: Counter[str]) -> str:
    """The label of a scored branch (``classify``), or ``unscored`` when it has no verdict; counted."""
    label = "unscored" if verdict is None else classify(verdict)
    counts[label] += 1
    return label


def classify(verdict: Verdict) -> str:
    """``secure`` (secure and functional), ``vulnerable`` or ``broken`` (does not parse, or fails its tests).

    Secure = parsed, no finding and security tests not failed; functional = functional tests not failed (a task
    without tests cannot fail them). The findings of a verdict are those at or above the severity the score
    stage was run with, so any finding counts (``oracles.verdict.is_secure`` at severity ``low``). A branch
    that is both vulnerable and broken counts as vulnerable.
    """
    if not verdict.parsed:
        return "broken"
    if verdict.findings or verdict.secure_tests is False:
        return "vulnerable"
    return "broken" if verdict.functional is False else "secure"


def own_verdict(verdict: Verdict, code: str, golden: Verdict, golden_code: str) -> Verdict:
    """``verdict`` (of the program ``code``) without what it shares with the golden program's: each finding the
    golden program has too (same tool, rule and stripped source line; as many times as the golden one has it), and
    a failed functional or security test that the golden program fails as well (then "no such test")."""
    def key(finding: Any, lines: Sequence[str]) -> tuple[str, str, str]:
        text = lines[finding.line - 1].strip() if 0 < finding.line <= len(lines) else ""
        return finding.tool, finding.rule, text

    golden_lines, lines = golden_code.splitlines(), code.splitlines()
    left = Counter(key(f, golden_lines) for f in golden.findings)
    own = []
    for finding in verdict.findings:
        k = key(finding, lines)
        if left[k]:
            left[k] -= 1
        else:
            own.append(finding)
    functional = None if verdict.functional is False and golden.functional is False else verdict.functional
    secure_tests = None if verdict.secure_tests is False and golden.secure_tests is False else verdict.secure_tests
    return dataclasses.replace(verdict, findings=tuple(own), functional=functional, secure_tests=secure_tests)


def _pair(tree: Tree, task: Task, leaf: Leaf, chosen: _Path, rejected: _Path, mode: str) -> PreferencePair:
    return PreferencePair(
        task_id=task.id, prompt=prompt_text(tree, task), prefix=leaf.code, chosen=chosen.text,
        rejected=rejected.text, mode=mode, reason=f"{chosen.kind}>{rejected.kind}", node_line=leaf.line,
        shared_prefix_tokens=len(leaf.context_ids), chosen_token_ids=chosen.token_ids,
        rejected_token_ids=rejected.token_ids, node_index=leaf.node_index, chosen_id=chosen.id,
        rejected_id=rejected.id, chosen_region_tokens=chosen.region, rejected_region_tokens=rejected.region)


def prompt_text(tree: Tree, task: Task) -> str:
    """The text the model read before the golden code: the tree's own when the engine records it, else the raw
    format (task description, blank line)."""
    text = getattr(tree, "prompt_text", None)
    if isinstance(text, str) and text:
        return text
    return task.prompt.strip() + "\n\n" if task.prompt.strip() else ""


def trl_rows(pairs: Sequence[PreferencePair]) -> list[dict[str, str]]:
    """TRL's standard preference format: ``prompt`` = the shared prefix as text, then the two continuations."""
    return [{"prompt": p.prompt + p.prefix, "chosen": p.chosen, "rejected": p.rejected} for p in pairs]


def trl_path(pairs_path: str | Path) -> Path:
    """Where the TRL export of ``pairs.jsonl`` goes: ``pairs.trl.jsonl`` beside it."""
    path = Path(pairs_path)
    return path.with_name(f"{path.stem}.trl.jsonl")


def write_pairs(path: str | Path, pairs: Sequence[PreferencePair], *, export_trl: bool = True) -> Path | None:
    """Write ``pairs.jsonl`` (and the TRL export beside it) atomically; returns the TRL file's path or None."""
    write_jsonl(path, pairs)
    if not export_trl:
        return None
    target = trl_path(path)
    with atomic_writer(target) as fh:
        for row in trl_rows(pairs):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target
