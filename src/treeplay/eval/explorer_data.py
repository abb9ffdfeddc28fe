"""What the report's tree explorer and before/after view show, read from run folders as one JSON-ready payload.

Tree explorer, one *view* per (run, iteration) that grew trees (``iter_<t>/trees.jsonl``, with the run's
``tasks.jsonl`` for the golden programs): every task's risk nodes (line, method, CWE, reason) and every branch
placed in its tree (``tree.leaves.place_branches``, so ids are the candidate ids ``<task_id>/n<node>/b<branch>``
that ``verdicts.jsonl`` and ``pairs.jsonl`` use), with

- its label: ``identical`` (repeats the golden continuation, ``tree.golden.is_identical``, as the pairs stage
  judges it), else the verdict's class (``tree.pairs.classify``: ``clean`` = secure and functional,
  ``vulnerable``, ``broken``), else ``unscored`` (no verdict: paper mode, or not scored yet);
- its verdict: findings (tool, rule, CWE, line, severity, message), test outcomes, parse or test error;
- its diff against the golden program: the whole program (code before the fork + branch) against the golden
  lines from the node's line to the end of the node's function, or to the end of the program when that gives
  fewer changed lines (a branch whose rest was spliced back from the golden code, a local statement rewrite).
  Hunks are ``[g1, g2, text]``: golden lines ``g1..g2-1`` (0-based) replaced by ``text`` (None: nothing).
- the pairs it took part in (``[node, chosen id, rejected id, reason]`` per task).

Before/after: for each benchmark that the first comparison row (the base model, iteration 0) and a later row
both evaluated, the prompts whose first program (``<task_id>/s0``) changed class (clean / vulnerable / broken,
as the metrics count it at the eval's severity), with both programs (task prefix + completion) and verdicts.

Long texts that repeat (golden programs across iterations, eval prefixes) are stored once in ``texts``; branch
ids drop their task id. This keeps a 10,000-branch run to a few MB (``benchmarks/explorer_weight.py``).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from treeplay.errors import DataError
from treeplay.eval.metrics import verdict_flags
from treeplay.eval.report_model import Row, Run
from treeplay.oracles.base import DEFAULT_SEVERITY, SEVERITIES, severity_at_least
from treeplay.records import Candidate, Task, Tree, Verdict, from_dict, iter_json_lines, load_jsonl
from treeplay.runs import GENERATIONS, MANIFEST, METRICS, VERDICTS, RunLayout, iteration_dirs
from treeplay.tree.golden import function_end, is_identical
from treeplay.tree.leaves import Leaf, golden_statement, node_prefix, place_branches, program, task_of
from treeplay.tree.pairs import classify

LABELS = ("clean", "vulnerable", "broken", "identical", "unscored")
MESSAGE_CHARS = 400  # an analyzer message or a test error longer than this is cut: the page must stay light
ERROR_CHARS = 1500
Texts = dict[str, int]  # a long text -> its index in the payload's ``texts`` (each stored once)


def intern(texts: Texts, text: str) -> int:
    """The index of ``text`` in the string table, adding it the first time."""
    return texts.setdefault(text, len(texts))


def lines_of(text: str) -> list[str]:
    """The lines of a program as numbered by findings and risk nodes (a final newline adds no line)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


# ------------------------------------------------------------------------------------------------- trees


def tree_views(run: Run, label: str, texts: Texts) -> list[dict[str, Any]]:
    """One explorer view per iteration of ``run`` that has a trees.jsonl (none for a plain eval folder)."""
    views: list[dict[str, Any]] = []
    tasks: dict[str, Task] | None = None
    layout = RunLayout(run.path)
    for t in iteration_dirs(run.path):
        trees_path = layout.trees(t)
        if not trees_path.is_file():
            continue
        if tasks is None:
            tasks = _run_tasks(layout.tasks)
        verdicts_path, pairs_path = layout.verdicts(t), layout.pairs(t)
        verdicts = ({v.candidate_id: v for v in load_jsonl(verdicts_path, Verdict)}
                    if verdicts_path.is_file() else None)
        pairs = read_pairs(pairs_path) if pairs_path.is_file() else {}
        views.append({
            "title": f"{label}: iteration {t}", "run": run.name, "iteration": t, "scored": verdicts is not None,
            "mode": run.pairs_mode or ("verified" if verdicts is not None else "paper"),
            "tasks": [task_view(tree, task_of(tasks, tree), verdicts, pairs.get(tree.task_id, ()), texts)
                      for tree in read_trees(trees_path)]})
    return views


def _run_tasks(path: Path) -> dict[str, Task]:
    if not path.is_file():
        raise DataError("the run has trees but no tasks.jsonl, so its golden programs are unknown", file=path,
                        fix="restore tasks.jsonl from the run, or pass --no-explorer")
    return {task.id: task for task in load_jsonl(path, Task)}


def read_trees(path: Path) -> list[Tree]:
    """The trees of a trees.jsonl, checked like ``load_jsonl`` except their branches' token ids, which the
    explorer never shows: decoding every token id costs most of the time in a large run, so they are dropped."""
    trees = []
    for number, data in iter_json_lines(path):
        if isinstance(data, dict) and isinstance(data.get("branches"), list):
            data = {**data, "branches": [{**b, "token_ids": []} if isinstance(b, dict) else b
                                         for b in data["branches"]]}
        trees.append(from_dict(Tree, data, file=path, line=number))
    return trees


PAIR_FIELDS = (("task_id", str), ("node_index", int), ("chosen_id", str), ("rejected_id", str), ("reason", str))
OPTIONAL = ("node_index", "chosen_id", "rejected_id")  # None in PreferencePair's schema (pairs of no tree)


def read_pairs(path: Path) -> dict[str, list[list[Any]]]:
    """task id -> ``[node_index, chosen_id, rejected_id, reason]`` of each pair in a pairs.jsonl. Only these
    fields are read (and checked: a bad one is a DataError naming the line); the texts and token ids, most of
    the file, are the trees' own."""
    out: dict[str, list[list[Any]]] = {}
    for number, data in iter_json_lines(path):
        row = []
        for key, kind in PAIR_FIELDS:
            value = data.get(key) if isinstance(data, dict) else None
            if not (isinstance(value, kind) and not isinstance(value, bool) or value is None and key in OPTIONAL):
                raise DataError(f"PreferencePair.{key}: expected {kind.__name__}, got {value!r:.40}", file=path,
                                line=number, fix="re-run treeplay pairs, or pass --no-explorer")
            row.append(value)
        out.setdefault(row[0], []).append(row[1:])
    return out


def task_view(tree: Tree, task: Task, verdicts: Mapping[str, Verdict] | None, pairs: Sequence[list[Any]],
              texts: Texts) -> dict[str, Any]:
    """One task of a view: golden program (by text index), risk nodes, placed branches, pairs."""
    assert task.golden is not None
    golden = lines_of(task.golden)
    placed = place_branches(tree, task)
    short = _shortener(task.id)
    forks = {k: node_prefix(tree, task, k)[0] for k in range(len(tree.nodes))}  # where node k's branches start
    ends = {k: function_end(task.golden, chars, task.language) for k, chars in forks.items()}
    return {"id": task.id, "lang": task.language, "cwes": list(task.cwes), "g": intern(texts, task.golden),
            "nodes": [[n.line, n.method, n.cwe, n.reason] for n in tree.nodes],
            "b": [branch_view(tree, task, leaf, placed, golden, verdicts, ends[leaf.node_index]) for leaf in placed],
            "pairs": [[node, short(chosen), short(rejected), reason] for node, chosen, rejected, reason in pairs]}


def _shortener(task_id: str) -> Any:
    head = task_id + "/"
    return lambda cid: cid[len(head):] if isinstance(cid, str) and cid.startswith(head) else cid


def branch_view(tree: Tree, task: Task, leaf: Leaf, placed: Sequence[Leaf], golden: Sequence[str],
                verdicts: Mapping[str, Verdict] | None, end: int) -> dict[str, Any]:
    """One branch: short id, node, depth, fork line, label, finish reason, diff, and its verdict's details.
    ``end``: the character where the function of the branch's node ends in the golden program."""
    assert task.golden is not None
    start = tree.nodes[leaf.node_index].line - 1  # every branch's program equals the golden code above it
    last, hunks = branch_diff(golden, lines_of(program(leaf, task)), start, task.golden.count("\n", 0, end))
    trunk = golden_statement(leaf, task)  # what the pairs stage compares it with (tree.pairs._trunk_text)
    if trunk is None and leaf.branch.parent is None:
        trunk = task.golden[len(leaf.code):end]
    elif trunk is None:
        trunk = placed[leaf.branch.parent].branch.text[leaf.branch.offset_chars:]
    verdict = (verdicts or {}).get(leaf.id)
    if is_identical(leaf.branch.text, trunk, language=task.language, finish_reason=leaf.branch.finish_reason):
        label = "identical"
    else:
        label = "unscored" if verdict is None else {"secure": "clean"}.get(classify(verdict), classify(verdict))
    out: dict[str, Any] = {"id": leaf.id[len(task.id) + 1:], "n": leaf.node_index, "d": leaf.branch.depth,
                           "l": leaf.line, "v": label, "fin": leaf.branch.finish_reason, "s": start, "e": last,
                           "h": hunks}
    if verdict is not None:
        out.update(verdict_view(verdict))
    return out


def branch_diff(golden: Sequence[str], program: Sequence[str], start: int,
                func_end: int) -> tuple[int, list[list[Any]]]:
    """(end, hunks): ``program[start:]`` against ``golden[start:end]``, ``end`` being the node's function end or
    the program's end, whichever leaves fewer changed lines (ties: the function end)."""
    best: tuple[int, int, list[list[Any]]] | None = None
    for end in dict.fromkeys((max(func_end, start), len(golden))):
        ops = [op for op in difflib.SequenceMatcher(None, golden[start:end], program[start:], autojunk=False)
               .get_opcodes() if op[0] != "equal"]
        hunks = [[start + i1, start + i2, "\n".join(program[start + j1:start + j2]) if j2 > j1 else None]
                 for _, i1, i2, j1, j2 in ops]
        changed = sum((i2 - i1) + (j2 - j1) for _, i1, i2, j1, j2 in ops)
        if best is None or changed < best[0]:
            best = (changed, end, hunks)
    assert best is not None
    return best[1], best[2]


def verdict_view(verdict: Verdict, severity: str | None = None) -> dict[str, Any]:
    """A verdict's details, keys present only when they say something: ``f`` findings (those at ``severity`` or
    above when given), ``parsed`` (False only), ``ft`` / ``st`` functional and security tests passed, ``to``
    timed out, ``err`` the parse or test error."""
    findings = [f for f in verdict.findings if severity is None or severity_at_least(f.severity, severity)]
    out: dict[str, Any] = {}
    if findings:
        out["f"] = [[f.tool, f.rule, f.cwe, f.line, f.severity, f.message[:MESSAGE_CHARS]] for f in findings]
    if not verdict.parsed:
        out["parsed"] = False
    if verdict.functional is not None:
        out["ft"] = verdict.functional
    if verdict.secure_tests is not None:
        out["st"] = verdict.secure_tests
    if verdict.timed_out:
        out["to"] = True
    if verdict.error:
        out["err"] = verdict.error[:ERROR_CHARS]
    return out


# ------------------------------------------------------------------------------------------ before / after


def program_changes(rows: Sequence[Row], texts: Texts) -> list[dict[str, Any]]:
    """Per later comparison row and benchmark: the prompts whose first program changed class since ``rows[0]``.

    ``rows`` are the report's comparison rows: the base model (iteration 0) then each run at its final
    iteration, so one self-play run compares iteration 0 with its last iteration, and a comparison report
    compares every run with the first row."""
    changes: list[dict[str, Any]] = []
    if len(rows) < 2:
        return changes
    first = rows[0]
    for row in rows[1:]:
        for bench in first.results:
            if bench not in row.results:
                continue
            before, after = programs(first, bench), programs(row, bench)
            if before is None or after is None:
                continue
            common = [task_id for task_id in before if task_id in after]
            items = [_change(task_id, before[task_id], after[task_id], first, row, bench, texts)
                     for task_id in common if before[task_id][1] != after[task_id][1]]
            order = {"better": 0, "worse": 1, "changed": 2}
            items.sort(key=lambda item: (order[item["dir"]], item["id"]))
            changes.append({"title": f"{bench}: {first.label} \u2192 {row.label}", "bench": bench,
                            "from": first.label, "to": row.label, "compared": len(common), "items": items})
    return changes


def programs(row: Row, bench: str) -> dict[str, tuple[Any, ...]] | None:
    """task id -> (candidate, label, verdict, severity, task or None) of each task's first program (its ``s0``
    sample, else the first line) in ``row``'s evaluation of ``bench``; None when there are no programs."""
    folder = eval_folder(row.run, row.iteration, bench)
    if folder is None:
        return None
    severity = _eval_severity(folder)
    verdicts = {v.candidate_id: v for v in load_jsonl(folder / VERDICTS, Verdict)}
    tasks = eval_tasks(row.run, bench)
    out: dict[str, tuple[Any, ...]] = {}
    for candidate in load_jsonl(folder / GENERATIONS, Candidate):
        verdict = verdicts.get(candidate.candidate_id)
        first = candidate.task_id not in out or candidate.candidate_id.endswith("/s0")
        if verdict is not None and first:
            out[candidate.task_id] = (candidate, program_label(verdict, severity), verdict, severity,
                                      tasks.get(candidate.task_id))
    return out


def program_label(verdict: Verdict, severity: str) -> str:
    """clean / vulnerable / broken of an evaluated program, as ``eval.metrics`` counts it at ``severity``."""
    flags = verdict_flags(verdict, severity)
    if not flags.parsed:
        return "broken"
    if flags.vulnerable:
        return "vulnerable"
    return "broken" if flags.functional is False else "clean"


def _change(task_id: str, before: tuple[Any, ...], after: tuple[Any, ...], first: Row, row: Row, bench: str,
            texts: Texts) -> dict[str, Any]:
    task = after[4] or before[4]
    info = ((row.results.get(bench) or {}).get("per_task") or {}).get(task_id) \
        or ((first.results.get(bench) or {}).get("per_task") or {}).get(task_id) or {}
    direction = "better" if after[1] == "clean" else "worse" if before[1] == "clean" else "changed"
    return {"id": task_id, "lang": task.language if task else info.get("language"),
            "cwes": list(task.cwes) if task else list(info.get("cwes") or []), "dir": direction,
            "b": _side(before, texts), "a": _side(after, texts)}


def _side(program: tuple[Any, ...], texts: Texts) -> dict[str, Any]:
    candidate, label, verdict, severity, task = program
    return {"v": label, "p": intern(texts, task.prefix) if task is not None else None, "c": candidate.completion,
            **verdict_view(verdict, severity)}


def eval_folder(run: Run, iteration: int, bench: str) -> Path | None:
    """The folder holding ``bench``'s generations.jsonl and verdicts.jsonl for ``run`` at ``iteration``, found
    where the report found its metrics.json (``report._benchmarks_in``): a sub-folder named after the benchmark,
    or a folder whose own metrics.json names it."""
    layout = RunLayout(run.path)
    tops = [layout.eval_dir(iteration)] if run.selfplay else [run.path, layout.eval_root]
    for top in tops:
        for folder, named in ((top / bench, True), (top, False)):
            if not ((folder / GENERATIONS).is_file() and (folder / VERDICTS).is_file()):
                continue
            if named or _own_benchmark(folder) == bench:
                return folder
    return None


def _own_benchmark(folder: Path) -> str:
    """The name the report gives the metrics.json directly in ``folder``: its ``benchmark`` stem, else the
    folder's name."""
    try:
        name = json.loads((folder / METRICS).read_text(encoding="utf-8")).get("benchmark")
    except (OSError, ValueError, AttributeError):
        name = None
    return Path(name).stem if isinstance(name, str) and name else folder.name


def _eval_severity(folder: Path) -> str:
    """The severity the evaluation counted findings at (its manifest.json; ``medium``, eval's default)."""
    try:
        severity = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("severity")
    except (OSError, ValueError, AttributeError):
        severity = None
    return severity if severity in SEVERITIES else DEFAULT_SEVERITY


def eval_tasks(run: Run, bench: str) -> dict[str, Task]:
    """The evaluation tasks a self-play run wrote (eval_tasks/<bench>.jsonl or eval_tasks.jsonl), by id; empty
    when the run has none (a named benchmark, a plain eval folder): programs are then shown without prefix."""
    for path in (RunLayout(run.path).eval_tasks(bench), RunLayout(run.path).eval_tasks()):
        if path.is_file():
            return {task.id: task for task in load_jsonl(path, Task)}
    return {}
