"""``find_nodes``: tasks -> the CWE risk nodes of their golden code, nodes.jsonl (``treeplay nodes``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from treeplay.config import ModelConfig, NodesConfig, ScoreConfig
from treeplay.errors import UsageError
from treeplay.nodes import METHODS
from treeplay.nodes.common import NodeResult
from treeplay.records import Task


@dataclass(frozen=True)
class FoundNodes:
    """The nodes found in ``tasks`` by ``method`` (written to ``output`` when one was given)."""

    method: str
    tasks: tuple[Task, ...]
    result: NodeResult
    output: Path | None = None
    written: int = 0

    def message(self) -> str:
        """The line ``treeplay nodes -o`` prints."""
        from treeplay.nodes.common import node_stats

        stats = node_stats(list(self.tasks), self.result)
        return (f"wrote {self.written} {self.method} nodes for {stats['tasks_with_nodes']} of {stats['tasks']} "
                f"tasks to {self.output} ({self.result.unmatched} unmatched)")


def find_nodes(tasks: Path, output: Path | None = None, *, settings: NodesConfig | None = None,
               model: ModelConfig | None = None, score: ScoreConfig | None = None, fmt: str = "native",
               hunk_starts: bool = False) -> FoundNodes:
    """Find the risk nodes of every task of ``tasks`` (read in format ``fmt``) with ``settings.method`` and write
    them to ``output`` (when given). ``model`` is the model the entropy method reads the golden code with;
    ``score`` names the analyzers (and severity) of the analyzer method; ``hunk_starts``: diff keeps only the first
    line of each changed hunk."""
    from treeplay.data.importers import import_tasks
    from treeplay.records import write_jsonl

    settings = NodesConfig() if settings is None else settings
    if settings.method not in METHODS:
        raise UsageError(f"unknown node method {settings.method!r}", fix=f"use one of: {', '.join(METHODS)}")
    loaded = import_tasks(fmt, tasks)  # tasks without golden code count, with no nodes
    result = nodes_of(loaded, settings, model=model or ModelConfig(), score=score or ScoreConfig(),
                      hunk_starts=hunk_starts)
    written = write_jsonl(output, result.nodes) if output is not None else 0
    return FoundNodes(settings.method, tuple(loaded), result, output, written)


def nodes_of(tasks: list[Task], settings: NodesConfig, *, model: ModelConfig, score: ScoreConfig,
             hunk_starts: bool = False) -> NodeResult:
    """Dispatch to the method's module with the settings it takes."""
    method = settings.method
    if method == "annotation":
        from treeplay.nodes.annotation import annotation_nodes

        if not any(t.annotations for t in tasks):
            raise UsageError("no task carries annotations",
                             fix="import the TSP release with --format tsp-annotated (sec-new-desc_annotated.json)")
        return annotation_nodes(tasks)
    if method == "diff":
        from treeplay.nodes.diff import diff_nodes

        return diff_nodes(tasks, first_only=hunk_starts, max_nodes=settings.max_nodes)
    if method == "analyzer":
        from treeplay.nodes.analyzer import analyzer_nodes

        return analyzer_nodes(tasks, analyzers=score.analyzers, severity=score.severity,
                              max_nodes=settings.max_nodes)
    if method == "entropy":
        return _entropy(tasks, settings, model)
    return _llm(tasks, settings)


def _entropy(tasks: list[Task], settings: NodesConfig, model: ModelConfig) -> NodeResult:
    from treeplay.engine.loading import load_model
    from treeplay.engine.prompts import build_prompt
    from treeplay.nodes.entropy import entropy_nodes

    loaded = load_model(model.name, adapter=model.adapter, dtype=model.dtype, device=model.device)

    def encode(task: Task) -> tuple:
        # exactly the ids the opponent reads when it grows the tree (grow uses the same build_prompt)
        parts = build_prompt(task, loaded.tokenizer, model.prompt_format)
        return parts.prompt_ids, parts.golden_ids, parts.golden_starts

    return entropy_nodes(tasks, loaded.model, loaded.tokenizer, top_k=settings.top_k, encode=encode)


def _llm(tasks: list[Task], settings: NodesConfig) -> NodeResult:
    from treeplay.nodes.llm import llm_nodes

    if not settings.endpoint or not settings.llm_model:
        raise UsageError("the llm method needs nodes.endpoint and nodes.llm_model",
                         fix="e.g. nodes.endpoint=http://127.0.0.1:8000 nodes.llm_model=Qwen/Qwen2.5-Coder-7B-Instruct")
    return llm_nodes(tasks, endpoint=settings.endpoint, model=settings.llm_model,
                     api_key=os.environ.get("TREEPLAY_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY"),
                     max_nodes=settings.max_nodes)
