"""KV-cache forking computes exactly what a fresh run from each prefix computes (tiny model, float32)."""

from __future__ import annotations

import pytest
import torch

from treeplay.engine.backends import BranchRequest, Fork, SamplingParams
from treeplay.engine.hf_backend import HFBackend, decode_step, fork_cache, prefill, select_rows
from treeplay.engine.stops import NoStop

STEPS = 8


def _context(n: int = 60, seed: int = 1) -> list[int]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, 500, (n,), generator=g).tolist()


def _recompute_logits(model, ids: list[int]) -> torch.Tensor:
    """Next-token logits after ``ids``, computed from scratch with no cache at all: [V]."""
    with torch.inference_mode():
        return model(input_ids=torch.tensor([ids])).logits[0, -1].float()


def test_fork_matches_recompute(tiny_model):
    """Greedy branches from the forked, left-padded, batched cache equal fresh runs from each full prefix."""
    ids = _context()
    lengths, width = [17, 40, 60], 2
    kv, first = prefill(tiny_model, torch.tensor([ids]), [n - 1 for n in lengths])
    with torch.inference_mode():
        cache, mask = fork_cache(kv, lengths, width, room=3)  # small room: the buffers must grow mid-way
    rows = [list(ids[:n]) for n in lengths for _ in range(width)]
    positions = torch.tensor([n for n in lengths for _ in range(width)])
    logits = first.repeat_interleave(width, dim=0)
    for _ in range(STEPS):
        for r, row in enumerate(rows):
            torch.testing.assert_close(logits[r], _recompute_logits(tiny_model, row), atol=1e-5, rtol=0)
        tokens = logits.argmax(-1)
        for r, row in enumerate(rows):
            row.append(int(tokens[r]))
        mask = torch.cat([mask, mask.new_ones((len(rows), 1))], dim=1)
        logits = decode_step(tiny_model, cache, mask, tokens[:, None], positions)
        positions = positions + 1


def test_dropping_finished_rows_keeps_the_others_exact(tiny_model):
    """Rows leave the batch (and padding nobody needs is cropped) without changing the remaining rows."""
    ids = _context(seed=2)
    lengths, width = [10, 50], 2
    kv, first = prefill(tiny_model, torch.tensor([ids]), [n - 1 for n in lengths])
    with torch.inference_mode():
        cache, mask = fork_cache(kv, lengths, width)
    rows = [list(ids[:n]) for n in lengths for _ in range(width)]
    positions = torch.tensor([n for n in lengths for _ in range(width)])
    logits = first.repeat_interleave(width, dim=0)
    for step in range(STEPS):
        tokens = logits.argmax(-1)
        for r, row in enumerate(rows):
            row.append(int(tokens[r]))
        if step == 2:  # the long fork's rows finish: the 40 padding columns of the short fork go away
            keep = torch.tensor([0, 1])
            with torch.inference_mode():
                cache, mask = select_rows(cache, mask, keep)
            rows, positions, tokens = rows[:2], positions[keep], tokens[keep]
            assert mask.shape[1] == lengths[0] + step + 0  # only the short fork's own columns remain
        mask = torch.cat([mask, mask.new_ones((len(rows), 1))], dim=1)
        logits = decode_step(tiny_model, cache, mask, tokens[:, None], positions)
        positions = positions + 1
        for r, row in enumerate(rows):
            torch.testing.assert_close(logits[r], _recompute_logits(tiny_model, row), atol=1e-5, rtol=0)


@pytest.mark.parametrize("max_batch", [2, 64])
def test_greedy_branches_equal_generate_from_each_prefix(tiny_model, tiny_tokenizer, max_batch):
    """End to end through HFBackend: each node's greedy branches equal ``model.generate`` from its prefix."""
    ids = _context(seed=3)
    lengths = [5, 33, 60]
    forks = tuple(Fork(ids_len=n, text_len=0, seed=i, make_stop=NoStop) for i, n in enumerate(lengths))
    sampling = SamplingParams(width=2, temperature=0.0, max_new_tokens=STEPS, ignore_eos=True)
    out = HFBackend(tiny_model, tiny_tokenizer, max_batch=max_batch).branch(
        BranchRequest(ids=tuple(ids), text="", forks=forks, sampling=sampling))
    for n, branches in zip(lengths, out, strict=True):
        with torch.inference_mode():
            ref = tiny_model.generate(torch.tensor([ids[:n]]), attention_mask=torch.ones((1, n), dtype=torch.long),
                                      do_sample=False, max_new_tokens=STEPS, min_new_tokens=STEPS,
                                      pad_token_id=0)[0, n:].tolist()
        assert [list(b.token_ids) for b in branches] == [ref, ref]
        assert all(b.finish_reason == "length" and b.generated == STEPS for b in branches)


def test_branch_many_samples_what_branch_samples_for_each_context(tiny_model, tiny_tokenizer):
    """Forks of several contexts decoded as one batch give each context the samples it gets alone."""
    from treeplay.engine.backends import BranchRequest, Fork, SamplingParams
    from treeplay.engine.stops import NoStop

    sampling = SamplingParams(width=2, temperature=1.0, top_p=0.95, max_new_tokens=8)
    contexts = [tuple(range(5, 5 + n)) for n in (7, 19, 12)]
    requests = [BranchRequest(ids=c, text="", forks=(Fork(ids_len=len(c), text_len=0, seed=i, make_stop=NoStop),),
                              sampling=sampling) for i, c in enumerate(contexts)]
    backend = HFBackend(tiny_model, tiny_tokenizer)
    together = backend.branch_many(requests)
    alone = [backend.branch(r) for r in requests]
    assert [[[s.token_ids for s in f] for f in r] for r in together] == \
        [[[s.token_ids for s in f] for f in r] for r in alone]
    assert len({s.token_ids for r in together for f in r for s in f}) == 6
