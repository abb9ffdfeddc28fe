"""A tree's branches placed in their tree, and as ``Candidate`` programs so ``treeplay score`` can judge them.

A branch continues a *fork*: the golden prefix y_<k_v of its risk node (paper, step 3), or, in deeper trees,
its parent branch cut at the parent's first flagged line. ``place_branches`` computes for every branch the
fork it continues, the tokens and the code before that fork, and its candidate id:

- depth 1: ``<task_id>/n<node_index>/b<b>``, ``b`` counting the node's branches in tree order (0..K-1);
- deeper: ``<parent's id>/b<b>``, ``b`` counting the parent's children (e.g. ``t/n0/b2/b1``).

Text layout (as ``treeplay grow`` writes it): a depth-1 branch's text continues
``golden[:Tree.node_prefix_chars[node]]`` (k_v tokens may end a few characters into the node's line, never
before its start; without ``node_prefix_chars``, ``RiskNode.char_offset``); a deeper branch's text continues
its parent's code + ``parent.text[:offset_chars]``, and its tokens the parent's first ``offset`` tokens.

A Candidate's ``completion`` continues ``Task.prefix``: it is the code before the fork minus the task's prefix,
then the branch text, then, for a local branch (``grow.stop=statement``), the golden code after the statement it
rewrote (``Branch.resume_chars``): every local branch is a whole program.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from treeplay.errors import DataError
from treeplay.records import Branch, Candidate, RiskNode, Task, Tree

Fork = tuple  # ("node", node_index) or ("branch", parent_index, offset): the point a branch continues


@dataclass(frozen=True)
class Leaf:
    """One branch of a tree, placed: ``code`` = the program text before its fork (starting with the task's
    prefix), ``context_ids`` = prompt + code tokens before its fork, ``line`` = the program line it forks at."""

    index: int  # in tree.branches
    id: str
    fork: Fork
    node_index: int
    line: int
    code: str
    context_ids: tuple[int, ...]
    branch: Branch


def candidate_id(task_id: str, node_index: int, branch: int) -> str:
    """``<task_id>/n<node_index>/b<branch>``: the id of a depth-1 leaf, in candidates and verdicts."""
    return f"{task_id}/n{node_index}/b{branch}"


def place_branches(tree: Tree, task: Task) -> list[Leaf]:
    """Every branch of ``tree`` with its fork, context and id (same order as ``tree.branches``)."""
    assert task.golden is not None
    siblings: Counter[Fork] = Counter()
    placed: list[Leaf] = []
    for index, branch in enumerate(tree.branches):
        if branch.parent is None:
            node = node_of(tree, branch)
            chars, k = node_prefix(tree, task, branch.node_index)
            fork: Fork = ("node", branch.node_index)
            leaf_id = candidate_id(tree.task_id, branch.node_index, siblings[fork])
            code = task.golden[:chars]
            context = tuple(tree.prompt_token_ids) + tuple(tree.golden_token_ids[:k])
            line = node.line
        else:
            if not 0 <= branch.parent < index:
                raise DataError(f"tree of task {tree.task_id!r}: branch {index} names parent {branch.parent}, which "
                                "does not come before it", fix="re-grow the tree (treeplay grow)")
            parent = placed[branch.parent]
            fork = ("branch", branch.parent, branch.offset)
            leaf_id = f"{parent.id}/b{siblings[fork]}"
            code = parent.code + parent.branch.text[:branch.offset_chars]
            context = parent.context_ids + tuple(parent.branch.token_ids[:branch.offset])
            line = branch.line if branch.line is not None else code.count("\n") + 1
        siblings[fork] += 1
        placed.append(Leaf(index=index, id=leaf_id, fork=fork, node_index=branch.node_index, line=line, code=code,
                           context_ids=context, branch=branch))
    return placed


def node_prefix(tree: Tree, task: Task, node_index: int) -> tuple[int, int]:
    """(characters, tokens) of the golden prefix y_<k_v that node ``node_index``'s branches continue."""
    node = tree.nodes[node_index]
    if node.token_position is None:
        raise DataError(f"tree of task {tree.task_id!r}: node at line {node.line} has no token_position",
                        fix="trees come from treeplay grow, which sets it; re-grow the tree")
    chars_by_node = getattr(tree, "node_prefix_chars", ()) or ()
    chars = chars_by_node[node_index] if node_index < len(chars_by_node) else node.char_offset
    if not len(task.prefix) <= chars <= len(task.golden or ""):
        raise DataError(f"tree of task {tree.task_id!r}: node at line {node.line} forks at character {chars}, "
                        f"outside the golden code after the task's prefix", fix="re-run treeplay nodes and grow")
    if not 0 <= node.token_position <= len(tree.golden_token_ids):
        raise DataError(f"tree of task {tree.task_id!r}: node token_position {node.token_position} is outside "
                        f"the golden tokens (0..{len(tree.golden_token_ids)})", fix="re-grow the tree (treeplay grow)")
    return chars, node.token_position


def node_of(tree: Tree, branch: Branch) -> RiskNode:
    """The risk node a branch grew from; a DataError when the tree does not have it."""
    if not 0 <= branch.node_index < len(tree.nodes):
        raise DataError(f"tree of task {tree.task_id!r}: a branch names node {branch.node_index}, but the tree has "
                        f"{len(tree.nodes)} nodes", fix="re-grow the tree (treeplay grow)")
    return tree.nodes[branch.node_index]


def task_of(tasks: Mapping[str, Task], tree: Tree) -> Task:
    """The task a tree was grown for, with its golden code; a DataError when the task file lacks it."""
    task = tasks.get(tree.task_id)
    if task is None or task.golden is None:
        raise DataError(f"tree for task {tree.task_id!r}, which is not in the task file (or has no golden code)",
                        fix="pass the tasks.jsonl the trees were grown from")
    return task


def suffix(task: Task, branch: Branch) -> str:
    """The golden code a local branch is spliced back into (``Branch.resume_chars``); empty for other branches."""
    if branch.resume_chars is None:
        return ""
    golden = task.golden or ""
    if not 0 <= branch.resume_chars <= len(golden):
        raise DataError(f"task {task.id!r}: a branch resumes the golden code at character {branch.resume_chars}, "
                        f"outside it ({len(golden)} characters)", fix="re-grow the tree (treeplay grow)")
    return golden[branch.resume_chars:]


def program(leaf: Leaf, task: Task) -> str:
    """The whole program of a branch: the code before its fork, the branch, and (a local branch) the golden rest."""
    return leaf.code + leaf.branch.text + suffix(task, leaf.branch)


def golden_statement(leaf: Leaf, task: Task) -> str | None:
    """What a local branch replaced: the golden text from its fork to where the golden code resumes (else None)."""
    if leaf.branch.resume_chars is None or leaf.branch.parent is not None:
        return None
    return (task.golden or "")[len(leaf.code):leaf.branch.resume_chars]


def tree_leaves(tree: Tree, task: Task) -> list[Candidate]:
    """One Candidate per branch: the whole program ``task.prefix + completion`` (``program``)."""
    return [Candidate(task_id=task.id, completion=program(leaf, task)[len(task.prefix):], candidate_id=leaf.id)
            for leaf in place_branches(tree, task)]


def leaves(trees: Sequence[Tree], tasks: Mapping[str, Task], *, golden: bool = False) -> list[Candidate]:
    """The leaves of all trees, ready for ``treeplay.oracles.verdict.score_candidates``; with ``golden``, each
    tree's golden program too (``golden_id``), once per task, after its tree's leaves."""
    out: list[Candidate] = []
    seen: set[str] = set()
    for tree in trees:
        task = task_of(tasks, tree)
        out += tree_leaves(tree, task)
        if golden and task.id not in seen:
            seen.add(task.id)
            out.append(Candidate(task_id=task.id, completion=(task.golden or "")[len(task.prefix):],
                                 candidate_id=golden_id(task.id)))
    return out


def golden_id(task_id: str) -> str:
    """``<task_id>/golden``: the candidate id of a task's golden program among its trees' leaves."""
    return f"{task_id}/golden"
