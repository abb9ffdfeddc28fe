"""A run folder laid out like ``treeplay demo``'s, built in milliseconds without a model or an oracle.

The training tasks are builtin Python tasks, their risk nodes come from the fix diffs (``nodes.method=diff``,
as the demo), every node gets branches of known kinds, and the verdicts are written by hand the way the oracles
would judge those programs (bandit's rule ids and messages, failed security tests, parse errors). The pairs
come from the real pairs stage (``extract_pairs`` in verified mode). Evaluation at iterations 0 and 1 uses the
builtin test tasks, with programs whose verdict changes between the two (one better, one worse, one repaired,
one unchanged). ``make_run(..., copies=N, seed=S)`` scales the same up (more tasks, random branch kinds,
whole rewrites) for the page-weight figure of ``benchmarks/explorer_weight.py``.

Branch kinds: ``vulnerable`` (the task's vulnerable variant from the node on), ``identical`` (the golden
continuation), ``broken`` (goes astray and is cut by the token limit: does not parse), ``clean`` (the golden code with a
comment added), ``rewrite`` (another task's code from the node on: a long, wholly different branch; broken).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import random
import re
from pathlib import Path

import yaml

from treeplay.data.builtin import load_builtin
from treeplay.eval.metrics import eval_metrics
from treeplay.nodes.diff import diff_nodes
from treeplay.records import Branch, Finding, RiskNode, Task, Tree, Verdict, write_jsonl
from treeplay.tree.golden import function_end, golden_continuation
from treeplay.tree.leaves import candidate_id
from treeplay.tree.pairs import extract_pairs, write_pairs

TRAIN = ("py_sqli_user_search", "py_cmd_grep_logs", "py_deser_result_cache", "py_path_save_attachment")
TEST = ("py_sqli_product_sort", "py_cmd_tar_backup", "py_deser_yaml_config", "py_path_serve_upload")
KINDS = ("vulnerable", "identical", "broken", "clean")  # the demo-like run: one branch of each kind per node
# what bandit / our semgrep rules report on each CWE's vulnerable code (tool, rule, severity, message)
FINDINGS = {  # CWE -> (tool, rule, severity, message, the code the rule flags)
    "CWE-89": ("bandit", "B608", "medium", "Possible SQL injection vector through string-based query construction.",
               r"f[\"'].*(SELECT|WHERE|ORDER)"),
    "CWE-78": ("bandit", "B602", "high", "subprocess call with shell=True identified, security issue.",
               r"shell=True"),
    "CWE-502": ("bandit", "B301", "medium", "Pickle and modules that wrap it can be unsafe when used to deserialize "
                                             "untrusted data, possible security issue.", r"pickle\.loads?\("),
    "CWE-22": ("semgrep", "treeplay.python.path-join-unchecked", "high",
               "A user-supplied name is joined into a path that is opened without a containment check.",
               r"os\.path\.join\("),
}
BENCH = "builtin-test"  # what `eval.benchmark=builtin:test` names its results folder


def make_run(root: Path, name: str = "demo", *, copies: int = 1, seed: int | None = None,
             max_branches: int | None = None, token_chars: int = 4) -> Path:
    """Write ``root/name`` (see the module docstring) and return it. ``seed`` None: the fixed demo-like kinds.
    Token ids are stand-ins, one per ``token_chars`` characters (4: about what a BPE tokenizer gives on code;
    more: smaller files, written faster, for tests that never read them)."""
    run = root / name
    run.mkdir(parents=True)
    builtin = {t.id: t for t in load_builtin()}
    python = sorted(t for t, task in builtin.items() if task.language == "python")
    rng = random.Random(seed)
    train = [_copy(builtin[task_id], k) for k in range(copies) for task_id in (TRAIN if seed is None else python)]
    config = {"name": name, "iterations": 1, "model": {"name": "default"}, "nodes": {"method": "diff"},
              "train": {"method": "tsp"}, "pairs": {"mode": "verified"}, "eval": {"benchmark": "builtin:test"}}
    (run / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    write_jsonl(run / "tasks.jsonl", train)
    nodes = diff_nodes(train, max_nodes=3).nodes
    write_jsonl(run / "nodes.jsonl", nodes)
    trees, verdicts, total = [], [], 0
    for task in train:
        mine = [n for n in nodes if n.task_id == task.id]
        if not mine or (max_branches is not None and total >= max_branches):
            continue
        tree, judged = grow_tree(task, mine, rng if seed is not None else None, list(builtin.values()), token_chars)
        trees.append(tree)
        verdicts += judged
        total += len(tree.branches)
    it = run / "iter_1"
    write_jsonl(it / "trees.jsonl", trees)
    write_jsonl(it / "verdicts.jsonl", verdicts)
    pairs = extract_pairs(trees, {t.id: t for t in train}, mode="verified",
                          verdicts={v.candidate_id: v for v in verdicts})
    write_pairs(it / "pairs.jsonl", pairs.pairs, export_trl=False)
    write_eval(run, [builtin[task_id] for task_id in TEST])
    return run


def _copy(task: Task, k: int) -> Task:
    """The task itself (k = 0), or a distinct copy: its own id and a golden program that differs at the end."""
    if k == 0:
        return task
    assert task.golden is not None
    suffix = f"\n# copy {k}\n"
    return dataclasses.replace(task, id=f"{task.id}-{k}", golden=task.golden + suffix,
                               vulnerable=tuple(v + suffix for v in task.vulnerable))


def grow_tree(task: Task, nodes: list[RiskNode], rng: random.Random | None, others: list[Task],
              token_chars: int = 4) -> tuple[Tree, list[Verdict]]:
    """A one-level tree with four branches per node (kinds as documented) and each branch's verdict."""
    assert task.golden is not None
    placed = tuple(dataclasses.replace(n, token_position=n.char_offset // token_chars) for n in nodes)
    branches, verdicts = [], []
    for k, node in enumerate(placed):
        for b in range(4):
            kind = KINDS[b] if rng is None else rng.choices((*KINDS, "rewrite"), weights=(3, 2, 2, 2, 1))[0]
            text, finish = branch_text(task, node, kind, rng, others)
            branches.append(Branch(node_index=k, token_ids=tuple(range(len(text) // token_chars)), text=text,
                                   finish_reason=finish, index=b, line=node.line))
            verdicts.append(judge(task, node, kind, candidate_id(task.id, k, b), text))
    tree = Tree(task_id=task.id, iteration=1, prompt_token_ids=tuple(range(len(task.prompt) // token_chars)),
                golden_token_ids=tuple(range(len(task.golden) // token_chars + 1)), nodes=placed,
                branches=tuple(branches), model="default", seed=0, prompt_text=task.prompt + "\n\n",
                prompt_format="raw", node_prefix_chars=tuple(n.char_offset for n in placed),
                sampling={"temperature": 1.0, "top_p": 0.95, "width": 4, "max_new_tokens": 64})
    return tree, verdicts


def branch_text(task: Task, node: RiskNode, kind: str, rng: random.Random | None,
                others: list[Task]) -> tuple[str, str]:
    """(text, finish reason) of a branch of ``kind`` continuing the golden prefix at ``node``."""
    assert task.golden is not None
    golden = golden_continuation(task, node.char_offset)
    if kind == "vulnerable":
        return vulnerable_rest(task, node) or golden.replace("(", "( ", 1), "stop"
    if kind == "identical":
        return golden, "stop"
    if kind == "broken":
        cut = max(8, int(len(golden) * (0.6 if rng is None else rng.uniform(0.2, 0.9))))
        return golden[:cut].rstrip() + " and (\n", "length"  # a weak model's detour, cut by max_new_tokens
    if kind == "clean":
        indent = golden[:len(golden) - len(golden.lstrip(" "))]
        return f"{indent}# the value is checked before it is used\n{golden}", "stop"
    other = (rng or random.Random(0)).choice(others)
    body = (other.golden or "")[len(other.prefix):]
    return body[:1200], "length"


def vulnerable_rest(task: Task, node: RiskNode) -> str | None:
    """The program from ``node`` on with the fix hunk at the node as the vulnerable variant has it, to the end
    of its function (None when no fix hunk covers the node's line)."""
    assert task.golden is not None and task.vulnerable
    golden = task.golden.splitlines(keepends=True)
    vulnerable = task.vulnerable[0].splitlines(keepends=True)
    k = node.line - 1
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, golden, vulnerable).get_opcodes():
        if tag != "equal" and i1 <= k < max(i2, i1 + 1):
            program = "".join(golden[:k] + vulnerable[j1:j2] + golden[i2:])
            return program[node.char_offset:function_end(program, node.char_offset, task.language)]
    return None


def judge(task: Task, node: RiskNode, kind: str, cid: str, text: str) -> Verdict:
    """The verdict the oracles would give a branch of ``kind``: a finding (bandit / semgrep by CWE) and a failed
    security test for vulnerable code, a parse error for a cut or foreign branch, all passing otherwise."""
    assert task.golden is not None
    if kind in ("broken", "rewrite"):
        line = (task.golden[:node.char_offset] + text).count("\n") + 1
        return Verdict(candidate_id=cid, task_id=task.id, parsed=False, functional=False, secure_tests=False,
                       error=f"SyntaxError: '(' was never closed (solution.py, line {line})")
    if kind != "vulnerable":
        return Verdict(candidate_id=cid, task_id=task.id, parsed=True, functional=True, secure_tests=True)
    program = (task.golden[:node.char_offset] + text).split("\n")
    golden = set(task.golden.split("\n"))
    changed = [i + 1 for i, line in enumerate(program) if line not in golden] or [node.line]
    cwe = task.cwes[0]
    found = FINDINGS.get(cwe)
    findings: tuple[Finding, ...] = ()
    if found is not None:  # the rule's line among the changed ones, else the first changed line
        line = next((i for i in changed if re.search(found[4], program[i - 1])), changed[0])
        findings = (Finding(tool=found[0], rule=found[1], cwe=cwe, line=line, severity=found[2], message=found[3]),)
    return Verdict(candidate_id=cid, task_id=task.id, parsed=True, findings=findings, functional=True,
                   secure_tests=False)


def write_eval(run: Path, tasks: list[Task]) -> None:
    """Evaluations at iterations 0 and 1 on ``tasks`` (eval_tasks.jsonl, as the demo materializes builtin:test):
    the first task goes vulnerable -> clean, the second clean -> vulnerable, the third broken -> clean, the
    rest stay clean."""
    write_jsonl(run / "eval_tasks.jsonl", tasks)
    plan = {0: ("vulnerable", "clean", "broken"), 1: ("clean", "vulnerable", "clean")}
    for t, kinds in plan.items():
        folder = run / "eval" / f"iter_{t}" / BENCH
        generations, verdicts = [], []
        for i, task in enumerate(tasks):
            kind = kinds[i] if i < len(kinds) else "clean"
            program = {"vulnerable": task.vulnerable[0], "clean": task.golden,
                       "broken": (task.golden or "")[:int(len(task.golden or "") * 0.7)]}[kind] or ""
            cid = f"{task.id}/s0"
            generations.append({"task_id": task.id, "completion": program[len(task.prefix):], "candidate_id": cid})
            node = RiskNode(task_id=task.id, line=1, char_offset=len(task.prefix), method="diff")
            verdicts.append(judge(task, node, kind, cid, program[len(task.prefix):]))
        folder.mkdir(parents=True)
        write_jsonl(folder / "verdicts.jsonl", verdicts)
        (folder / "generations.jsonl").write_text("".join(json.dumps(g) + "\n" for g in generations),
                                                  encoding="utf-8")
        (folder / "manifest.json").write_text(json.dumps({"benchmark": BENCH, "severity": "medium"}))
        metrics = {"benchmark": BENCH, "model": "default", "n_samples": 1,
                   **eval_metrics(verdicts, {task.id: task for task in tasks}, resamples=50)}
        (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
