"""The public API: exported from ``treeplay``, light to import, and a package whose import graph has no cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import treeplay

PACKAGE = Path(treeplay.__file__).parent


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the treeplay modules it imports anywhere in its text: at module level, inside functions, under
    ``if TYPE_CHECKING``. ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_module_imports_the_cli_except_the_console_entry_point():
    importers = sorted(name for name, imports in import_graph().items() if "treeplay.cli" in imports)
    assert importers == ["treeplay.__main__"]


def test_the_package_import_graph_has_no_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_public_name_resolves_and_import_treeplay_loads_no_stage():
    for name in treeplay.__all__:
        assert getattr(treeplay, name) is not None, name
    assert callable(treeplay.run_selfplay) and callable(treeplay.train_model)
    code = ("import sys, treeplay\n"
            "heavy = ('torch', 'transformers', 'treeplay.pipeline', 'treeplay.selfplay')\n"
            "print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_api_example_in_docs_runs(tmp_path):
    """docs/api.md's example, run as written: one TSP iteration stage by stage on a tiny model."""
    import os
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len(blocks) == 1
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "TREEPLAY_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", blocks[0]], cwd=tmp_path, capture_output=True, text=True, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "secure@1 after one iteration" in run.stdout
    work = tmp_path / "api-example"
    for name in ("nodes.jsonl", "iter_1/trees.jsonl", "iter_1/verdicts.jsonl", "iter_1/pairs.jsonl",
                 "iter_1/model/trainer_state.json", "eval/iter_1/builtin-test/metrics.json"):
        assert (work / name).is_file(), name


def test_the_stage_functions_report_progress_to_a_callback(tmp_path):
    """grow, score, train_model and evaluate call ``on_progress(stage, done, total)`` from 0 to the total."""
    import dataclasses

    import torch

    from treeplay.config import load_config
    from treeplay.data.importers import load_task_sources
    from treeplay.engine.tiny import tiny_model_and_tokenizer
    from treeplay.records import write_jsonl

    torch.set_num_threads(1)
    layout = treeplay.RunLayout(tmp_path)
    model, tokenizer = tiny_model_and_tokenizer(seed=0)
    model.save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    config = load_config(None, [
        f"model.name={tmp_path / 'tiny'}", "nodes.max_nodes=1", "grow.width=2", "grow.max_new_tokens=4",
        "score.analyzers=[codeshield-regex]", "score.run_tests=false", "train.grad_accum=1",
        "eval.max_new_tokens=4", "eval.bootstrap=10"])
    write_jsonl(layout.tasks, load_task_sources("builtin:train:python")[:2])
    write_jsonl(layout.eval_tasks(), load_task_sources("builtin:test:python")[:1])
    calls: dict[str, list[tuple[str, int, int]]] = {}

    def recorder(name):
        return lambda stage, done, total: calls.setdefault(name, []).append((stage, done, total))

    treeplay.find_nodes(layout.tasks, layout.nodes, settings=config.nodes)
    treeplay.grow(layout.tasks, layout.nodes, layout.trees(1), settings=config.grow, model=config.model,
                  on_progress=recorder("grow"))
    treeplay.score(layout.tasks, layout.verdicts(1), settings=config.score, trees=layout.trees(1),
                   on_progress=recorder("score"))
    treeplay.make_pairs(layout.trees(1), layout.tasks, layout.pairs(1), settings=config.pairs)
    trained = treeplay.train_model(str(layout.tasks), layout.model(1), settings=config.train, model=config.model,
                                   pairs=layout.pairs(1), trees=layout.trees(1), on_progress=recorder("train"))
    treeplay.evaluate(str(layout.eval_tasks()), layout.eval_dir(1, "builtin-test"), settings=config.eval,
                      score=config.score, model=dataclasses.replace(config.model, adapter=str(trained.output)),
                      on_progress=recorder("evaluate"))

    def runs(seq):
        """The (stage, [done, ...], total) of each loop reported."""
        out = []
        for stage, done, total in seq:
            if not out or out[-1][0] != stage:
                out.append((stage, [], total))
            out[-1][1].append(done)
        return out

    steps = trained.state["global_step"]
    expected = {"grow": [("grow", 2)], "score": [("score", 4)], "train": [("train", steps)],
                "evaluate": [("generate", 1), ("score", 1)]}
    for name, loops in expected.items():
        got = runs(calls[name])
        assert [(stage, total) for stage, _, total in got] == loops, name
        for _, done, total in got:
            assert done[0] == 0 and done[-1] == total and done == sorted(done), (name, done)
