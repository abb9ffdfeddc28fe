"""Tree attention in blocks of queries: the same log-probs and gradients as one SDPA call over the whole packed
tree, and the model's own attention back once the block ends."""

from __future__ import annotations

import torch

from tests.train.test_packing import tree_like_pairs
from treeplay.engine.tiny import tiny_model_and_tokenizer
from treeplay.train.attention import tree_attention
from treeplay.train.packing import pack_pairs, packed_logps


def logps_and_grads(model, packed):
    model.zero_grad(set_to_none=True)
    logps = packed_logps(model, packed)
    (logps.sum() / packed.score_pos.numel()).backward()  # the mean token log-prob: a loss of a usual scale
    return logps.detach(), [p.grad.clone() for p in model.parameters()]


def test_query_blocks_give_the_log_probs_and_gradients_of_one_sdpa_call():
    model, _ = tiny_model_and_tokenizer(seed=0)
    packed = pack_pairs(tree_like_pairs())
    logps, grads = logps_and_grads(model.train(), packed)
    with tree_attention(model, block=16) as used:  # 156 tokens: 9 blocks of queries
        assert used
        blocked, blocked_grads = logps_and_grads(model, packed)
    torch.testing.assert_close(blocked, logps, rtol=1e-6, atol=1e-5)  # summed log-probs, some -240
    for got, want in zip(blocked_grads, grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_the_models_attention_is_its_own_again_after_the_block():
    model, _ = tiny_model_and_tokenizer(seed=0)
    with tree_attention(model):
        assert model.config._attn_implementation != "sdpa"
    assert model.config._attn_implementation == "sdpa"
    eager, _ = tiny_model_and_tokenizer(seed=0, attn_implementation="eager")
    with tree_attention(eager) as used:  # eager attention takes no blocks: left alone
        assert not used and eager.config._attn_implementation == "eager"
