"""What a self-play run's trees held, per iteration: branches, how many of their programs parse, the tokens grown,
and the pairs (with verified mode's branch labels) the run's own pairs settings make of them.

``treeplay report`` shows it per run ("What the trees held"); ``benchmarks/study2.py collect`` keeps it per arm.
It is recomputed from ``iter_<t>/trees.jsonl`` (and ``verdicts.jsonl`` in verified mode) with the settings in the
run's ``config.yaml``, so runs written before the pairs stage counted a label still get their counts. Only trees
whose grow stage finished (recorded in the manifest) count: a growth still running has a partial file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from treeplay.records import Task, Tree, Verdict, load_jsonl
from treeplay.runs import RunLayout, iteration_dirs, load_manifest


def run_settings(run: Path) -> tuple[str, str]:
    """The run's (pairs.mode, pairs.inherited_findings) from its config.yaml (defaults when absent)."""
    import yaml

    layout = RunLayout(run)
    config = yaml.safe_load(layout.config.read_text(encoding="utf-8")) if layout.config.is_file() else None
    pairs = (config or {}).get("pairs") if isinstance(config, dict) else None
    pairs = pairs if isinstance(pairs, dict) else {}
    return str(pairs.get("mode") or "paper"), str(pairs.get("inherited_findings") or "count")


def tree_summaries(run: Path) -> dict[int, dict[str, Any]]:
    """iteration -> {"trees": {trees, branches, parsed, tokens_generated}, "pairs": {counts, by_reason}} for each
    iteration of ``run`` whose trees are grown ("pairs" only where they can be made: verified mode needs the
    iteration's verdicts)."""
    from treeplay.oracles.syntax import module_parses
    from treeplay.tree.leaves import leaves
    from treeplay.tree.pairs import extract_pairs

    layout = RunLayout(run)
    if not layout.tasks.is_file():
        return {}
    # no manifest: a folder laid out by hand or by single stages, whose files are all there is (selfplay writes its
    # manifest before it grows anything)
    finished = set(load_manifest(run)["stages"]) if layout.manifest.exists() else None
    mode, inherited = run_settings(run)
    tasks: dict[str, Task] | None = None
    out: dict[int, dict[str, Any]] = {}
    for t, folder in iteration_dirs(run).items():
        if not layout.trees(t).is_file() or (finished is not None and f"{folder.name}/grow" not in finished):
            continue
        if tasks is None:
            tasks = {task.id: task for task in load_jsonl(layout.tasks, Task)}
        trees = load_jsonl(layout.trees(t), Tree)
        parsed = sum(module_parses(tasks[c.task_id].language, tasks[c.task_id].prefix + c.completion)
                     for c in leaves(trees, tasks))
        entry: dict[str, Any] = {"trees": {"trees": len(trees), "branches": sum(len(tr.branches) for tr in trees),
                                           "parsed": parsed,
                                           "tokens_generated": sum(len(b.token_ids) for tr in trees
                                                                   for b in tr.branches)}}
        verdicts = None
        if mode == "verified" and layout.verdicts(t).is_file():
            verdicts = {v.candidate_id: v for v in load_jsonl(layout.verdicts(t), Verdict)}
        if mode == "paper" or verdicts is not None:
            result = extract_pairs(trees, tasks, mode=mode, verdicts=verdicts, inherited=inherited)
            entry["pairs"] = {"counts": dict(result.counts), "by_reason": dict(result.by_reason)}
        out[t] = entry
    return out
