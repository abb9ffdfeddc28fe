"""Which groups of pairs every rank runs at every optimizer step (a pure function of the seed and the step, so a
resumed run continues exactly where it stopped; ``checkpoint`` saves no data position)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DataPlan:
    """Which groups every rank runs at every optimizer step: epoch e is a permutation seeded by (seed, e),
    padded by repeating its start to a multiple of ``world``; rank r takes ``order[r::world]``."""

    n_groups: int
    world: int
    batch_size: int
    grad_accum: int
    seed: int
    epochs: int
    max_steps: int | None

    @property
    def micro_per_epoch(self) -> int:
        return math.ceil(math.ceil(self.n_groups / self.world) / self.batch_size)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.micro_per_epoch / self.grad_accum)

    @property
    def total_steps(self) -> int:
        return self.max_steps if self.max_steps is not None else self.epochs * self.steps_per_epoch

    def order(self, epoch: int) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        perm = torch.randperm(self.n_groups, generator=generator).tolist()
        pad = -self.n_groups % self.world
        return perm + (perm * (pad // self.n_groups + 1))[:pad]

    def window(self, step: int) -> list[list[list[int]]]:
        """Optimizer step ``step`` (0-based): its micro-steps, each a list over ranks of group indices."""
        epoch, index = divmod(step, self.steps_per_epoch)
        ranks = [self.order(epoch)[r::self.world] for r in range(self.world)]
        first = index * self.grad_accum
        micro = range(first, min(first + self.grad_accum, self.micro_per_epoch))
        return [[ranks[r][m * self.batch_size:(m + 1) * self.batch_size] for r in range(self.world)] for m in micro]
