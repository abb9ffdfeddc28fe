"""``grow``: tasks and their risk nodes -> one tree per task, trees.jsonl (``treeplay grow``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeplay.config import GrowConfig, ModelConfig, ScoreConfig
from treeplay.progress import OnProgress


@dataclass(frozen=True)
class GrowResult:
    """What ``grow`` did: the rollout's counts (``treeplay.engine.rollout``), and the tasks it skipped because
    they have no golden path."""

    output: Path
    stats: Any
    missing: int

    def message(self) -> str:
        s = self.stats
        return (f"grew {s.trees} trees ({s.branches} branches, {s.tokens} tokens, {s.tokens_per_s:.1f} tokens/s) "
                f"-> {self.output}" + (f"; {s.redrawn} drawn again (their program did not parse)" if s.redrawn else "")
                + (f"; {s.golden_unparsable} tasks whose golden program does not parse grown without branches"
                   if s.golden_unparsable else "")
                + (f"; {s.skipped} already there" if s.skipped else "")
                + (f"; {self.missing} tasks without a golden path skipped" if self.missing else ""))


def grow(tasks: Path, nodes: Path, output: Path, *, settings: GrowConfig | None = None,
         model: ModelConfig | None = None, score: ScoreConfig | None = None, iteration: int = 0,
         shard: tuple[int, int] = (0, 1), progress: bool = False,
         on_progress: OnProgress | None = None) -> GrowResult:
    """Grow one tree per task of ``tasks`` at its ``nodes`` with the opponent ``model`` and append it to
    ``output`` (a re-run skips the trees already there). ``settings`` is the grow section; ``score`` names the
    analyzers that find where a branch branches again (``settings.depth`` > 1); ``shard`` = (i, n) grows tasks
    i, i+n, ...; ``iteration`` is recorded in every tree. ``progress``: a bar on stderr; ``on_progress``: called with
    ("grow", trees grown, trees to grow) as each tree is written (``treeplay.progress``)."""
    from functools import partial

    from treeplay.engine.build import build_backend
    from treeplay.engine.rollout import grow_trees
    from treeplay.records import RiskNode, Task, load_jsonl

    settings = GrowConfig() if settings is None else settings
    model = ModelConfig() if model is None else model
    score = ScoreConfig() if score is None else score
    params = grow_params(settings, model.prompt_format)
    index, total = shard
    todo = load_jsonl(tasks, Task)[index::total]
    risk_nodes = load_jsonl(nodes, RiskNode)
    backend, tokenizer = build_backend(settings.backend, model.name, adapter=model.adapter, dtype=model.dtype,
                                       device=model.device, endpoint=settings.endpoint, max_batch=settings.max_batch)
    oracle = None
    if settings.depth > 1:
        from treeplay.oracles.static import scan_programs

        oracle = partial(scan_programs, analyzers=score.analyzers, severity=score.severity)
    name = model.name if model.adapter is None else f"{model.name}+{model.adapter}"
    stats = grow_trees(todo, risk_nodes, backend, tokenizer, params, output, iteration=iteration,
                       model_name=name, oracle=oracle, progress=progress, on_progress=on_progress)
    return GrowResult(output, stats, sum(1 for t in todo if t.golden is None))


def grow_params(settings: GrowConfig, prompt_format: str) -> Any:
    """GrowParams from the grow config section; bad values are ConfigErrors naming the key."""
    from treeplay.config_checks import check_sampling
    from treeplay.engine.backends import SamplingParams
    from treeplay.engine.rollout import GrowParams

    check_sampling("grow", section=settings, n=("width", settings.width), prompt_format=prompt_format,
                   extra=[("grow.depth", settings.depth >= 1, "at least 1"),
                          ("grow.depth", settings.depth == 1 or settings.stop != "statement",
                           "1 with grow.stop=statement (a local branch is a whole program; it is not grown again)"),
                          ("grow.redraws", settings.redraws >= 0, "0 (keep every draw) or more"),
                          ("grow.redraws", settings.redraws == 0 or settings.depth == 1, "0 with grow.depth > 1")])
    sampling = SamplingParams(width=settings.width, temperature=settings.temperature, top_p=settings.top_p,
                              max_new_tokens=settings.max_new_tokens)
    return GrowParams(sampling=sampling, depth=settings.depth, stop=settings.stop, seed=settings.seed,
                      prompt_format=prompt_format, max_batch=settings.max_batch, redraws=settings.redraws)
