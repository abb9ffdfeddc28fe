"""Tree packing: one packed pass gives the same log-probs, losses and gradients as running every pair alone."""

from __future__ import annotations

import random

import pytest
import torch

from treeplay.engine.tiny import tiny_model_and_tokenizer
from treeplay.train.losses import preference_loss
from treeplay.train.packing import SequencePair, pack_pairs, packed_logps, pairs_logps_unpacked


def tree_like_pairs(seed: int = 0, vocab: int = 500) -> list[SequencePair]:
    """Pairs shaped like one tree: a prompt and golden path, 3 risk nodes x 3 branches, a deeper branch (forking
    inside a branch), a secure branch used as chosen, and a branch that starts like the golden continuation."""
    rng = random.Random(seed)

    def toks(n: int) -> tuple[int, ...]:
        return tuple(rng.randrange(3, vocab) for _ in range(n))

    prompt, golden = toks(9), toks(40)
    pairs = []
    for k in (4, 15, 27):
        context = prompt + golden[:k]
        branches = [toks(rng.randint(3, 14)) for _ in range(3)]
        branches.append(golden[k:k + 5] + toks(6))  # shares its first tokens with the golden continuation
        pairs += [SequencePair(context, golden[k:], b) for b in branches]
    parent = pairs[0].rejected
    deep_context = pairs[0].context + parent[:2]
    pairs.append(SequencePair(deep_context, toks(5), parent[2:]))  # a secure sub-branch over its parent's rest
    pairs.append(SequencePair(pairs[4].context, pairs[5].rejected, pairs[4].rejected))  # secure branch as chosen
    return pairs


@pytest.fixture(scope="module")
def policy_and_ref():
    policy, _ = tiny_model_and_tokenizer(seed=0)
    ref, _ = tiny_model_and_tokenizer(seed=1)
    return policy, ref


def test_pack_shares_every_common_prefix_once():
    pairs = tree_like_pairs()
    packed = pack_pairs(pairs)
    distinct = {seq[:i] for p in pairs for seq in (p.context + p.chosen, p.context + p.rejected)
                for i in range(1, len(seq) + 1)}
    assert packed.n_tokens == len(distinct)  # one packed token per distinct prefix, nothing computed twice
    assert packed.n_input_tokens == sum(2 * len(p.context) + len(p.chosen) + len(p.rejected) for p in pairs)
    assert packed.n_tokens < packed.n_input_tokens / 4


def test_tree_mask_lets_a_branch_see_only_its_prefix_and_itself():
    pairs = [SequencePair((5, 6, 7), (8, 9), (10, 11))]
    packed = pack_pairs(pairs)
    assert packed.input_ids.tolist() == [5, 6, 7, 8, 9, 10, 11]
    assert packed.position_ids.tolist() == [0, 1, 2, 3, 4, 3, 4]  # the branch continues from the node
    allowed = packed.attention_mask()[0, 0] == 0
    assert allowed[5].tolist() == [True, True, True, False, False, True, False]  # 10 sees 5 6 7 and itself
    assert allowed[6].tolist() == [True, True, True, False, False, True, True]
    assert allowed[4].tolist() == [True, True, True, True, True, False, False]


def test_packed_logps_match_unpacked(policy_and_ref):
    policy, _ = policy_and_ref
    pairs = tree_like_pairs()
    with torch.no_grad():
        packed = packed_logps(policy, pack_pairs(pairs))
        unpacked = pairs_logps_unpacked(policy, pairs)
    torch.testing.assert_close(packed, unpacked, rtol=1e-6, atol=1e-5)  # sums of ~30 tokens of ~-6 each


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("loss", ["sigmoid", "ipo", "hinge"])
def test_packed_loss_matches_unpacked(policy_and_ref, attn, loss):
    """TSP loss and gradients from the packed tree equal per-pair DPO computed pair by pair (fp32, 1e-5)."""
    policy, ref = policy_and_ref
    policy.set_attn_implementation(attn)
    pairs = tree_like_pairs(seed=3)
    with torch.no_grad():
        ref_logps = pairs_logps_unpacked(ref, pairs)
    chosen_tokens = torch.tensor([len(p.chosen) for p in pairs], dtype=torch.float32)
    rejected_tokens = torch.tensor([len(p.rejected) for p in pairs], dtype=torch.float32)

    def loss_and_grads(logps: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        out = preference_loss(logps[0::2], logps[1::2], ref_logps[0::2], ref_logps[1::2], beta=0.5, loss=loss,
                              chosen_tokens=chosen_tokens, rejected_tokens=rejected_tokens).losses.mean()
        grads = torch.autograd.grad(out, [p for p in policy.parameters()])
        return out.detach(), grads

    try:
        packed_loss, packed_grads = loss_and_grads(packed_logps(policy, pack_pairs(pairs)))
        per_pair = []
        for pair in pairs:  # pair by pair, as plain DPO would run them
            per_pair.append(pairs_logps_unpacked(policy, [pair]))
        plain_loss, plain_grads = loss_and_grads(torch.cat(per_pair))
    finally:
        policy.set_attn_implementation("sdpa")
    torch.testing.assert_close(packed_loss, plain_loss, rtol=0, atol=1e-5)
    assert float(plain_loss) > 0
    for a, b in zip(packed_grads, plain_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert sum(float(g.abs().sum()) for g in plain_grads) > 0


def test_empty_context_is_refused():
    with pytest.raises(ValueError, match="empty context"):
        pack_pairs([SequencePair((), (1,), (2,))])
