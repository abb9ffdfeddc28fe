"""The pairs of ``bench_train``: real trees grown by the embedded default model on builtin tasks, cached.

``bench_trees`` picks the shortest builtin Python tasks whose fix diff gives at least ``NODES`` risk nodes, takes
the first ``NODES`` diff nodes of each (hunk starts first), grows ``WIDTH`` branches per node with the default model
(SmolLM2-135M-Instruct, hf backend, temperature 1.0, top_p 0.95, branches stop at the end of the function), and
keeps the trees in ``benchmarks/results/bench_train_trees.json`` (git-ignored) under a key made of those settings,
so a second run grows nothing. ``bench_pairs`` turns them into paper-mode pairs and one ``PairGroup`` per tree.

``write_shapes`` / ``read_shapes`` keep the groups' token ids alone (``train_shapes.json`` beside this file, a few
tens of kB): a GPU machine without the default model's weights or TRL reruns the training benchmark on exactly
the same token sequences. In paper mode every chosen sequence is the golden path from the node on, so a group is
stored as its trunk (prompt + golden ids) and, per pair, the context length and the rejected branch's ids.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeplay.records import PreferencePair, Task, Tree
from treeplay.train.data import PairGroup
from treeplay.train.packing import SequencePair

HERE = Path(__file__).resolve().parent
TREE_CACHE = HERE / "results" / "bench_train_trees.json"
SHAPES = HERE / "train_shapes.json"
NODES, WIDTH = 4, 4


@dataclass(frozen=True)
class BenchTrees:
    """Grown trees, the tasks they were grown for, and the settings that key the cache."""

    trees: list[Tree]
    tasks: dict[str, Task]
    settings: dict[str, Any]
    grown: int  # trees grown by this call (0: all from the cache)


def pick_tasks(n_tasks: int) -> tuple[list[Task], dict[str, list[Any]]]:
    """The ``n_tasks`` shortest builtin Python tasks with >= NODES diff nodes, and their first NODES nodes."""
    from treeplay.data.builtin import load_builtin
    from treeplay.nodes.diff import diff_nodes

    python = [t for t in load_builtin() if t.language == "python" and t.golden and t.vulnerable]
    nodes: dict[str, list[Any]] = {}
    for node in diff_nodes(python, max_nodes=NODES).nodes:
        nodes.setdefault(node.task_id, []).append(node)
    usable = [t for t in python if len(nodes.get(t.id, ())) >= NODES]
    usable.sort(key=lambda t: (len(t.prompt) + len(t.golden or ""), t.id))
    if len(usable) < n_tasks:
        raise SystemExit(f"only {len(usable)} builtin Python tasks have {NODES} diff nodes; asked for {n_tasks}")
    chosen = usable[:n_tasks]
    return chosen, {t.id: nodes[t.id][:NODES] for t in chosen}


def bench_trees(n_tasks: int, max_new_tokens: int, seed: int = 0, cache: Path = TREE_CACHE) -> BenchTrees:
    """Trees of the first ``n_tasks`` picked tasks; missing ones are grown (minutes on one CPU thread) and cached."""
    from treeplay.records import from_dict, to_dict

    tasks, nodes = pick_tasks(n_tasks)
    settings = {"model": "default", "nodes": NODES, "width": WIDTH, "max_new_tokens": max_new_tokens,
                "temperature": 1.0, "top_p": 0.95, "stop": "function", "seed": seed, "node_method": "diff"}
    key = json.dumps(settings, sort_keys=True)
    stored: dict[str, Any] = json.loads(cache.read_text(encoding="utf-8")) if cache.is_file() else {}
    entry = stored.setdefault(key, {})
    missing = [t for t in tasks if t.id not in entry]
    if missing:
        for tree in _grow(missing, nodes, settings):
            entry[tree.task_id] = to_dict(tree)
        _write_json(cache, stored)
    trees = [from_dict(Tree, entry[t.id]) for t in tasks]
    return BenchTrees(trees=trees, tasks={t.id: t for t in tasks}, settings=settings, grown=len(missing))


def _grow(tasks: Sequence[Task], nodes: Mapping[str, list[Any]], settings: Mapping[str, Any]) -> list[Tree]:
    """Grow one tree per task with the embedded default model on the CPU (``rollout.grow_trees``)."""
    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.hf_backend import HFBackend
    from treeplay.engine.loading import load_model
    from treeplay.engine.rollout import GrowParams, grow_trees
    from treeplay.records import load_jsonl

    loaded = load_model("default", device="cpu", dtype="float32")
    params = GrowParams(sampling=SamplingParams(width=settings["width"], temperature=settings["temperature"],
                                                top_p=settings["top_p"], max_new_tokens=settings["max_new_tokens"]),
                        stop=settings["stop"], seed=settings["seed"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "trees.jsonl"
        grow_trees(tasks, [n for t in tasks for n in nodes[t.id]], HFBackend(loaded.model, loaded.tokenizer),
                   loaded.tokenizer, params, out, model_name="default", progress=False)
        return load_jsonl(out, Tree)


def bench_pairs(bench: BenchTrees) -> tuple[list[PreferencePair], list[PairGroup]]:
    """Paper-mode pairs (every branch rejected against the golden path) and one group per tree."""
    from treeplay.train.data import tree_groups
    from treeplay.tree.pairs import extract_pairs

    pairs = list(extract_pairs(bench.trees, bench.tasks, mode="paper").pairs)
    return pairs, tree_groups(pairs, bench.trees, bench.tasks)


def write_shapes(groups: Sequence[PairGroup], settings: Mapping[str, Any], path: Path = SHAPES) -> None:
    """Store the groups' token ids compactly (see the module docstring); refuses pairs that are not paper-mode."""
    out = []
    for group in groups:
        trunk = max((p.context + p.chosen for p in group.pairs), key=len)
        rows = []
        for pair in group.pairs:
            if pair.context + pair.chosen != trunk:
                raise ValueError(f"group {group.key}: a chosen path is not the golden path (not a paper-mode pair)")
            rows.append([len(pair.context), list(pair.rejected)])
        out.append({"key": group.key, "trunk": list(trunk), "pairs": rows})
    text = json.dumps({"settings": dict(settings), "groups": out}, separators=(",", ":"))
    if not path.is_file() or path.read_text(encoding="utf-8") != text + "\n":
        _write_json(path, text)


def read_shapes(path: Path = SHAPES) -> list[PairGroup]:
    """The groups written by ``write_shapes``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    groups, index = [], 0
    for group in data["groups"]:
        trunk = tuple(group["trunk"])
        pairs = tuple(SequencePair(trunk[:n], trunk[n:], tuple(rejected)) for n, rejected in group["pairs"])
        groups.append(PairGroup(key=group["key"], pairs=pairs, indices=tuple(range(index, index + len(pairs)))))
        index += len(pairs)
    return groups


def _write_json(path: Path, data: Any) -> None:
    """Write-then-rename, so an interrupted run never leaves a truncated cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text((data if isinstance(data, str) else json.dumps(data)) + "\n", encoding="utf-8")
    os.replace(tmp, path)
