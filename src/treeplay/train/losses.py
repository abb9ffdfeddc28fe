"""Preference and supervised losses: pure tensor functions.

Notation (Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7): for a pair (x, y_w, y_l),
pi(y|x) is the summed token log-probability of a completion under the policy, pi_ref under the frozen reference
(in TSP the previous iteration's model theta_{t-1}), and

    h = [pi(y_w|x) - pi_ref(y_w|x)] - [pi(y_l|x) - pi_ref(y_l|x)]

the difference of log-ratios. In tree pairs x includes the golden prefix y_<k_v; its terms would cancel in h, so
only completions after the risk node are scored (TSP paper, step 6). Losses per pair:

- ``sigmoid`` (DPO, Eq. 7): -log sigma(beta * h); the paper's choice, beta = 0.1.
- ``ipo`` (Azar et al. 2023, "A General Theoretical Paradigm...", Eq. 17): (h' - 1/(2 beta))^2, where h' uses
  log-ratios averaged per completion token (the normalisation TRL uses, so beta keeps its meaning across lengths).
- ``hinge`` (SLiC, Zhao et al. 2023): max(0, 1 - beta * h).

Implicit rewards r = beta * (pi - pi_ref); ``margin`` = r_w - r_l and ``accuracy`` = share of pairs with
r_w > r_l are the training metrics. An optional SFT term adds ``sft_weight`` times the chosen completion's mean
token negative log-likelihood (0 in the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

LOSSES = ("sigmoid", "ipo", "hinge")


@dataclass(frozen=True)
class PreferenceLoss:
    """Per-pair losses [P] and implicit rewards [P] (chosen, rejected); reduce with ``.mean()``."""

    losses: torch.Tensor
    chosen_rewards: torch.Tensor
    rejected_rewards: torch.Tensor

    def stats(self) -> dict[str, float]:
        """Mean loss, reward margin and accuracy of this batch (floats, for logging)."""
        margin = (self.chosen_rewards - self.rejected_rewards).detach()
        return {"loss": float(self.losses.detach().mean()), "margin": float(margin.mean()),
                "accuracy": float((margin > 0).float().mean()),
                "chosen_reward": float(self.chosen_rewards.detach().mean()),
                "rejected_reward": float(self.rejected_rewards.detach().mean())}


def preference_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
                    ref_rejected: torch.Tensor, *, beta: float = 0.1, loss: str = "sigmoid",
                    chosen_tokens: torch.Tensor | None = None, rejected_tokens: torch.Tensor | None = None,
                    sft_weight: float = 0.0) -> PreferenceLoss:
    """DPO-family loss of P pairs from summed completion log-probs (all [P]).

    ``chosen_tokens`` / ``rejected_tokens`` [P]: completion lengths, needed by ``ipo`` and by the SFT term.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r} (one of {', '.join(LOSSES)})")
    chosen_ratio = policy_chosen - ref_chosen
    rejected_ratio = policy_rejected - ref_rejected
    if loss == "sigmoid":
        losses = -F.logsigmoid(beta * (chosen_ratio - rejected_ratio))
    elif loss == "hinge":
        losses = torch.relu(1 - beta * (chosen_ratio - rejected_ratio))
    else:
        if chosen_tokens is None or rejected_tokens is None:
            raise ValueError("ipo needs chosen_tokens and rejected_tokens (completion lengths)")
        h = chosen_ratio / chosen_tokens.clamp(min=1) - rejected_ratio / rejected_tokens.clamp(min=1)
        losses = (h - 1 / (2 * beta)) ** 2
    if sft_weight:
        if chosen_tokens is None:
            raise ValueError("the SFT term needs chosen_tokens (completion lengths)")
        losses = losses + sft_weight * (-policy_chosen / chosen_tokens.clamp(min=1))
    return PreferenceLoss(losses=losses, chosen_rewards=beta * chosen_ratio.detach(),
                          rejected_rewards=beta * rejected_ratio.detach())


def sft_loss(token_logps: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Supervised fine-tuning: mean negative log-likelihood over the target tokens of a batch.

    ``token_logps`` [B, T] log-probs of each target token, ``mask`` [B, T] 1 where the token is a target (the
    golden path), 0 for prompt and padding. Returns a 0-d tensor.
    """
    mask = mask.to(token_logps.dtype)
    return -(token_logps * mask).sum() / mask.sum().clamp(min=1)
