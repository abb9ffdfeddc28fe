"""``make_pairs``: trees (and, in verified mode, their leaves' verdicts) -> pairs.jsonl (``treeplay pairs``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from treeplay.config import PairsConfig
from treeplay.errors import UsageError
from treeplay.tree.pairs import PairsResult


@dataclass(frozen=True)
class MadePairs:
    """What ``make_pairs`` wrote: the pairs file, its TRL export (None when off) and the counts."""

    output: Path
    mode: str
    result: PairsResult
    trl: Path | None

    def as_json(self) -> str:
        return json.dumps({"mode": self.mode, **dict(self.result.counts), "by_reason": dict(self.result.by_reason)})

    def message(self) -> str:
        counts = dict(self.result.counts)
        where = f"{self.output}" + (f" (TRL export: {self.trl})" if self.trl else "")
        lines = [f"wrote {counts['pairs']} {self.mode} pairs from {counts['trees']} trees to {where}",
                 "branches: " + ", ".join(f"{k} {counts[k]}" for k in counts if k not in ("trees", "pairs"))]
        if self.result.by_reason:
            lines.append("pairs by reason: " + ", ".join(f"{k} {v}" for k, v in self.result.by_reason.items()))
        return "\n".join(lines)

    def warning(self) -> str | None:
        """Said on stderr when verified mode found no verdict for any branch (wrong verdicts file)."""
        c = self.result.counts
        if self.mode == "verified" and c["unscored"] and not c["secure"] + c["vulnerable"] + c["broken"]:
            return "warning: no branch had a verdict; were the verdicts scored on these trees' leaves?"
        return None


def make_pairs(trees: Path, tasks: Path, output: Path, *, settings: PairsConfig | None = None,
               verdicts: Path | None = None) -> MadePairs:
    """Extract preference pairs from ``trees`` (grown from ``tasks``) into ``output``: every branch rejected
    (``settings.mode`` paper), or labelled by ``verdicts`` (verified); a TRL export beside it when
    ``settings.export_trl``."""
    from treeplay.records import Task, Tree, Verdict, load_jsonl
    from treeplay.tree.pairs import extract_pairs, write_pairs

    settings = PairsConfig() if settings is None else settings
    mode = settings.mode
    if mode == "verified" and verdicts is None:
        raise UsageError("verified mode needs --verdicts verdicts.jsonl",
                         fix="score the trees' leaves first (treeplay score), or use --mode paper")
    if mode == "paper" and verdicts is not None:
        raise UsageError("--verdicts is only read in verified mode", fix="add --mode verified, or drop --verdicts")
    loaded = load_jsonl(trees, Tree)
    by_id = {t.id: t for t in load_jsonl(tasks, Task)}
    labels = None
    if verdicts is not None:
        labels = {v.candidate_id: v for v in load_jsonl(verdicts, Verdict)}  # a re-score: the last wins
    result = extract_pairs(loaded, by_id, mode=mode, verdicts=labels, inherited=settings.inherited_findings)
    trl = write_pairs(output, result.pairs, export_trl=settings.export_trl)
    return MadePairs(output, mode, result, trl)
