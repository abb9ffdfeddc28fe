"""Nucleus sampling: exact (candidate shortcut = full sort), nucleus-only, reproducible, per-row RNG."""

from __future__ import annotations

import torch

from treeplay.engine.hf_backend import sample_next


def _gens(n: int, seed: int = 0) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(seed + i) for i in range(n)]


def _reference(logits: torch.Tensor, temperature: float, top_p: float, gens) -> torch.Tensor:
    """Full sort of the vocabulary, the textbook nucleus, the same one uniform draw per row."""
    probs = torch.softmax(logits / temperature, -1)
    out = []
    for r in range(probs.shape[0]):
        p, idx = probs[r].sort(descending=True)
        cum = p.cumsum(0)
        keep = int(((cum - p) < top_p).sum())
        u = float(torch.rand(1, generator=gens[r])) * float(cum[keep - 1])
        pick = min(int(torch.searchsorted(cum[:keep], torch.tensor([u]), right=True)), keep - 1)
        out.append(int(idx[pick]))
    return torch.tensor(out)


def test_candidate_shortcut_samples_exactly_like_a_full_sort():
    g = torch.Generator().manual_seed(0)
    peaked = torch.randn(6, 3000, generator=g) * 4  # nucleus inside the first 64 candidates
    flat = torch.randn(6, 3000, generator=g) * 0.1  # nucleus needs (almost) the whole vocabulary
    logits = torch.cat([peaked, flat])
    for step in range(5):
        got = sample_next(logits, 1.0, 0.95, _gens(12, step))
        assert got.tolist() == _reference(logits, 1.0, 0.95, _gens(12, step)).tolist()


def test_top_p_never_samples_outside_the_nucleus():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    logits = probs.log()
    seen = {int(sample_next(logits, 1.0, 0.8, [torch.Generator().manual_seed(s)])) for s in range(200)}
    assert seen == {0, 1}  # 0.5 + 0.3 reaches 0.8: tokens 2 and 3 are outside


def test_top_p_one_and_greedy():
    logits = torch.tensor([[0.0, 3.0, 1.0], [2.0, 0.0, 0.0]])
    assert sample_next(logits, 0.0, 0.95, _gens(2)).tolist() == [1, 0]
    draws = {tuple(sample_next(logits, 1.0, 1.0, _gens(2, s)).tolist()) for s in range(100)}
    assert len(draws) > 3  # samples the whole vocabulary, no sort


def test_each_row_uses_only_its_own_generator():
    """A row's sample depends on its own RNG, not on which other rows share the batch."""
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 800, generator=g)
    together = sample_next(logits, 1.0, 0.95, _gens(4, 10))
    alone = [int(sample_next(logits[r:r + 1], 1.0, 0.95, [torch.Generator().manual_seed(10 + r)]))
             for r in range(4)]
    assert together.tolist() == alone
