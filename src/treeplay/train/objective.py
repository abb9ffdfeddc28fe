"""What one group of pairs contributes to a training step: its summed loss from ONE packed forward pass.

- ``dpo`` / ``spin`` / ``tsp``: ``losses.preference_loss`` over the group's pairs (DPO Eq. 7 by default, IPO or
  hinge), against the reference log-probs computed once per iteration (``reference``);
- ``sft``: the negative log-likelihood of the golden tokens (the chosen side; the rejected side is empty).

The trainer sums these over a micro-step and scales by the step's weight (pairs, or golden tokens for sft), so the
step's loss is a mean over every pair (or token) of the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from treeplay.train.data import PairGroup
from treeplay.train.logps import DEFAULT_CHUNK
from treeplay.train.losses import preference_loss
from treeplay.train.packing import PackedTree, packed_logps


@dataclass(frozen=True)
class GroupLoss:
    """``loss``: the group's summed loss (0-d, differentiable); ``stats``: its sums for the step's metrics, as
    (loss, reward margin, pairs with a positive margin, chosen reward, rejected reward, ``group_weight``)."""

    loss: torch.Tensor
    stats: tuple[float, float, float, float, float, float]


def group_weight(group: PairGroup, method: str) -> int:
    """A group's share of a step's mean: its pairs, or its golden tokens for sft."""
    if method == "sft":
        return sum(len(p.chosen) for p in group.pairs)
    return len(group.pairs)


def group_loss(model: Any, packed: PackedTree, group: PairGroup, method: str, ref: torch.Tensor | None, *,
               beta: float = 0.1, loss: str = "sigmoid", sft_weight: float = 0.0,
               chunk: int | None = DEFAULT_CHUNK) -> GroupLoss:
    """The summed loss of ``group`` (packed as ``packed``, on the model's device) under ``method``.

    ``ref`` [2P]: the reference log-probs of the group's pairs, chosen and rejected interleaved (None for sft);
    ``chunk``: positions whose vocabulary logits exist at once (``logps``; None: all at once).
    """
    logps = packed_logps(model, packed, chunk)  # [2P]
    weight = float(group_weight(group, method))
    if method == "sft":
        nll = -logps[0::2].sum()
        return GroupLoss(loss=nll, stats=(float(nll.detach()), 0.0, 0.0, 0.0, 0.0, weight))
    if ref is None:
        raise ValueError(f"{method} needs reference log-probs")
    lengths = torch.tensor([[len(p.chosen), len(p.rejected)] for p in group.pairs], dtype=torch.float32,
                           device=logps.device)
    out = preference_loss(logps[0::2], logps[1::2], ref[0::2], ref[1::2], beta=beta, loss=loss,
                          chosen_tokens=lengths[:, 0], rejected_tokens=lengths[:, 1], sft_weight=sft_weight)
    margin = out.chosen_rewards - out.rejected_rewards
    stats = (float(out.losses.detach().sum()), float(margin.sum()), float((margin > 0).sum()),
             float(out.chosen_rewards.sum()), float(out.rejected_rewards.sum()), weight)
    return GroupLoss(loss=out.losses.sum(), stats=stats)
