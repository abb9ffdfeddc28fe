"""The run folder: where every stage of a run reads and writes, and its manifest (the one place naming them).

A run folder (``<out_dir>/<name>/``, written by ``treeplay selfplay``) holds::

    config.yaml          the resolved config every stage of the run reads (a re-run checks it is unchanged)
    manifest.json        the stages done, in order, with their outputs and wall time
    tasks.jsonl          training tasks; nodes.jsonl (risk nodes, tree methods only)
    eval_tasks.jsonl     the evaluation tasks when they come from task sources (builtin:test, safecoder:PATH, ...)
    eval_tasks/<bench>.jsonl   the same, one file per benchmark, when ``eval.benchmarks`` lists several
    iter_<t>/            trees.jsonl, verdicts.jsonl (verified mode), pairs.jsonl, model/ (trainer output)
    eval/iter_<t>/<benchmark>/   an evaluation folder (iteration 0 = the base model)

An evaluation folder (``treeplay eval --out``) holds ``generations.jsonl``, ``verdicts.jsonl``, ``metrics.json``
and ``manifest.json`` (the settings that decided them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treeplay.records import write_text_atomic

# The files of an evaluation folder.
GENERATIONS = "generations.jsonl"
VERDICTS = "verdicts.jsonl"
METRICS = "metrics.json"
MANIFEST = "manifest.json"
# The trainer's output folder (iter_<t>/model): its state, read to resume, and its log of steps.
TRAINER_STATE = "trainer_state.json"
TRAINING_LOG = "metrics.jsonl"


@dataclass(frozen=True)
class RunLayout:
    """The paths of one run folder."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def tasks(self) -> Path:
        return self.root / "tasks.jsonl"

    @property
    def nodes(self) -> Path:
        return self.root / "nodes.jsonl"

    @property
    def eval_root(self) -> Path:
        return self.root / "eval"

    def eval_tasks(self, bench: str | None = None) -> Path:
        """The materialized evaluation tasks: ``eval_tasks.jsonl``, or ``eval_tasks/<bench>.jsonl`` when the run
        evaluates several benchmarks."""
        return self.root / "eval_tasks.jsonl" if bench is None else self.root / "eval_tasks" / f"{bench}.jsonl"

    def iteration(self, t: int) -> Path:
        return self.root / f"iter_{t}"

    def trees(self, t: int) -> Path:
        return self.iteration(t) / "trees.jsonl"

    def verdicts(self, t: int) -> Path:
        return self.iteration(t) / VERDICTS

    def pairs(self, t: int) -> Path:
        return self.iteration(t) / "pairs.jsonl"

    def model(self, t: int) -> Path:
        """The main player trained at iteration t (trainer output: adapter or weights, trainer_state.json)."""
        return self.iteration(t) / "model"

    def eval_dir(self, t: int, bench: str | None = None) -> Path:
        """The evaluation folder of iteration t (0 = the base model), of one benchmark when ``bench`` is given."""
        folder = self.eval_root / f"iter_{t}"
        return folder if bench is None else folder / bench


def iteration_dirs(parent: Path) -> dict[int, Path]:
    """The ``iter_<t>`` folders directly in ``parent``, by t in increasing order (none when it is no folder)."""
    found = {}
    for child in parent.glob("iter_*") if parent.is_dir() else ():
        match = re.fullmatch(r"iter_(\d+)", child.name)
        if match and child.is_dir():
            found[int(match.group(1))] = child
    return dict(sorted(found.items()))


def load_manifest(run: Path) -> dict[str, Any]:
    """The stages a run has finished (``{"stages": {name: {...}}}``); none when there is no manifest yet."""
    from treeplay.errors import DataError

    path = RunLayout(run).manifest
    if not path.exists():
        return {"stages": {}}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("stages"), dict):
        raise DataError("not a manifest written by treeplay selfplay", file=path,
                        fix="delete it (the stages then run again, each resuming its own outputs) or pick another "
                                "run folder")
    return manifest


def record_stage(run: Path, manifest: dict[str, Any], name: str, *, argv: list[str], outputs: list[str],
                 wall_s: float) -> None:
    """Add a finished stage to ``manifest`` and write it to the run folder (whole file, by rename)."""
    manifest["stages"][name] = {"argv": argv, "outputs": outputs, "wall_s": round(wall_s, 2)}
    write_text_atomic(RunLayout(run).manifest, json.dumps(manifest, indent=2) + "\n")
