"""Reference log-probs: computed ONCE per iteration, before training, and stored with the pairs.

DPO's loss (Rafailov et al. 2023, Eq. 7) compares the policy with a frozen reference pi_ref; in TSP (and SPIN) the
reference is the previous iteration's model theta_{t-1}, i.e. the model exactly as loaded, before any update
(with LoRA: before the adapter is added). Its log-probs never change during an iteration, so they are computed once
in eval mode without gradients, one packed forward pass per group (``packing.packed_logps``, its vocabulary
logits ``chunk`` positions at a time, as in training), and written to
``pairs.ref.jsonl`` in the run folder: a first line ``{"fingerprint": {...}}`` (model, adapters, dtype, sha256 of
the training inputs) and one line per pair ``{"index", "key", "ref_chosen_logp", "ref_rejected_logp"}``. The
reference model is never run during training, and a resumed run reads the file instead of recomputing it; a
fingerprint that does not match (other model, other pairs) makes it compute them again.

Under ``accelerate launch`` every rank computes the groups ``groups[rank::world]``, the results are gathered, and
rank 0 writes the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from treeplay.records import atomic_writer
from treeplay.train.data import PairGroup
from treeplay.train.logps import DEFAULT_CHUNK
from treeplay.train.packing import pack_pairs, packed_logps

REF_FILE = "pairs.ref.jsonl"


@dataclass(frozen=True)
class ReferenceLogps:
    """Reference log-probs by pair index: ``values[index] = (ref_chosen_logp, ref_rejected_logp)``;
    ``computed`` says whether this run computed them (False: read from the file)."""

    values: Mapping[int, tuple[float, float]]
    computed: bool

    def of(self, group: PairGroup, device: Any) -> torch.Tensor:
        """[2P] float32 for ``group``'s pairs, chosen and rejected interleaved (as ``packed_logps`` returns them)."""
        flat = [v for index in group.indices for v in self.values[index]]
        return torch.tensor(flat, dtype=torch.float32, device=device)


def inputs_sha256(groups: Sequence[PairGroup]) -> str:
    """sha256 of every group's key, pair indices and token ids: what the reference log-probs depend on."""
    digest = hashlib.sha256()
    for group in groups:
        digest.update(json.dumps([group.key, list(group.indices)]).encode())
        for pair in group.pairs:
            digest.update(json.dumps([pair.context, pair.chosen, pair.rejected]).encode())
    return digest.hexdigest()


def compute_reference_logps(model: Any, groups: Sequence[PairGroup], device: Any,
                            autocast: Callable[[], Any] = contextlib.nullcontext,
                            chunk: int | None = DEFAULT_CHUNK, bar: bool = False) -> dict[int, tuple[float, float]]:
    """One packed forward pass per group, no gradients, eval mode: ``{pair index: (chosen, rejected)}``; ``bar``:
    a progress bar on stderr (one step per group), since the pass over a large pair set takes minutes."""
    from treeplay.progress import StageProgress

    was_training = model.training
    model.eval()
    values: dict[int, tuple[float, float]] = {}
    try:
        with torch.no_grad(), autocast(), StageProgress("reference", len(groups), unit="group", bar=bar,
                                                        desc="reference log-probs", leave=False) as progress:
            for group in groups:
                logps = packed_logps(model, pack_pairs(group.pairs).to(device), chunk).float().tolist()
                for p, index in enumerate(group.indices):
                    values[index] = (logps[2 * p], logps[2 * p + 1])
                progress.advance()
    finally:
        model.train(was_training)
    return values


def load_or_compute_reference(path: str | Path, model: Any, groups: Sequence[PairGroup], fingerprint: Mapping[str, Any],
                              accelerator: Any, chunk: int | None = DEFAULT_CHUNK,
                              progress: bool = False) -> ReferenceLogps:
    """The reference log-probs of ``groups``: read from ``path`` when its fingerprint matches, else computed (each
    rank a share, gathered; ``progress``: a bar on rank 0) and written by rank 0."""
    path = Path(path)
    stored = read_reference(path, fingerprint)
    needed = {index for group in groups for index in group.indices}
    if stored is not None and needed <= stored.keys():
        return ReferenceLogps(values=stored, computed=False)
    from accelerate.utils import gather_object

    rank, world = accelerator.process_index, accelerator.num_processes
    mine = compute_reference_logps(model, groups[rank::world], accelerator.device, accelerator.autocast, chunk,
                                   bar=progress and accelerator.is_main_process)
    values: dict[int, tuple[float, float]] = {}
    for part in (gather_object([mine]) if world > 1 else [mine]):
        values.update(part)
    if accelerator.is_main_process:
        write_reference(path, groups, values, fingerprint)
    accelerator.wait_for_everyone()
    return ReferenceLogps(values=values, computed=True)


def read_reference(path: Path, fingerprint: Mapping[str, Any]) -> dict[int, tuple[float, float]] | None:
    """The stored values when ``path`` exists, is complete and was computed for ``fingerprint``; else None."""
    if not path.is_file():
        return None
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except json.JSONDecodeError:
        return None
    if not lines or lines[0].get("fingerprint") != dict(fingerprint):
        return None
    return {int(row["index"]): (float(row["ref_chosen_logp"]), float(row["ref_rejected_logp"])) for row in lines[1:]}


def write_reference(path: Path, groups: Sequence[PairGroup], values: Mapping[int, tuple[float, float]],
                    fingerprint: Mapping[str, Any]) -> None:
    """The fingerprint line, then one line per pair in pair-index order; temporary file + rename."""
    keys = {index: group.key for group in groups for index in group.indices}
    with atomic_writer(path) as fh:
        fh.write(json.dumps({"fingerprint": dict(fingerprint)}) + "\n")
        for index in sorted(values):
            chosen, rejected = values[index]
            fh.write(json.dumps({"index": index, "key": keys.get(index), "ref_chosen_logp": chosen,
                                 "ref_rejected_logp": rejected}) + "\n")
