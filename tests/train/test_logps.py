"""Log-probs in chunks of positions: every method's loss and gradients equal the unchunked computation, the
reference log-probs too, and no tensor ever holds the vocabulary logits of more than one chunk of positions."""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from tests.train.helpers import groups_for
from treeplay.engine.tiny import tiny_model_and_tokenizer
from treeplay.train.logps import chunked_token_logps, full_token_logps
from treeplay.train.objective import group_loss
from treeplay.train.packing import pack_pairs, packed_logps
from treeplay.train.reference import compute_reference_logps

CHUNK = 3  # positions: every group spans many chunks, and some chunks cut between tokens of one position


def model_for(lora: bool) -> tuple[torch.nn.Module, object]:
    """The tiny model (seed 0) in training mode: LoRA on every linear layer (the head stays frozen: the backward
    needs no logits) or every weight trainable (the head's gradient: logits recomputed chunk by chunk)."""
    model, tokenizer = tiny_model_and_tokenizer(seed=0)
    if lora:
        from peft import LoraConfig, get_peft_model

        torch.manual_seed(0)
        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                 task_type="CAUSAL_LM", init_lora_weights=False))
    return model.train(), tokenizer


def loss_and_grads(model: torch.nn.Module, groups: list, method: str, refs: dict | None,
                   chunk: int | None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """A step's loss over every group (one packed pass each), the mean per pair (sft: per golden token) as the
    trainer takes it, and the gradient of each trainable parameter."""
    model.zero_grad(set_to_none=True)
    total, weight = torch.zeros(()), 0.0
    for group in groups:
        ref = None if refs is None else torch.tensor([v for i in group.indices for v in refs[i]])
        out = group_loss(model, pack_pairs(group.pairs), group, method, ref, chunk=chunk)
        total, weight = total + out.loss, weight + out.stats[5]
    loss = total / weight
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("lora", [True, False], ids=["lora", "full"])
@pytest.mark.parametrize("method", ["sft", "dpo", "spin", "tsp"])
def test_chunked_loss_and_gradients_equal_the_unchunked_computation(method, lora):
    model, tokenizer = model_for(lora)
    groups = groups_for(method, tokenizer)
    refs = None
    if method != "sft":
        reference, _ = tiny_model_and_tokenizer(seed=1)  # another model: the margins' reference terms are not 0
        refs = compute_reference_logps(reference, groups, "cpu", chunk=None)
    loss, grads = loss_and_grads(model, groups, method, refs, chunk=None)
    chunked_loss, chunked_grads = loss_and_grads(model, groups, method, refs, chunk=CHUNK)
    assert abs(float(loss - chunked_loss)) <= 1e-5
    assert max(float((grads[n] - chunked_grads[n]).abs().max()) for n in grads) <= 1e-5
    assert sum(float(g.abs().sum()) for g in grads.values()) > 0


def test_reference_logps_in_chunks_equal_the_unchunked_ones():
    model, tokenizer = tiny_model_and_tokenizer(seed=1)
    groups = groups_for("tsp", tokenizer)
    chunked = compute_reference_logps(model, groups, "cpu", chunk=CHUNK)
    whole = compute_reference_logps(model, groups, "cpu", chunk=None)
    assert chunked.keys() == whole.keys()
    # summed over a sequence's tokens (some -250): equal to float32's rounding of such sums
    torch.testing.assert_close(torch.tensor([whole[i] for i in whole]), torch.tensor([chunked[i] for i in whole]),
                               rtol=1e-6, atol=1e-5)


def test_reference_pass_shows_a_bar_per_group_and_gives_the_same_values(capsys):
    model, tokenizer = tiny_model_and_tokenizer(seed=1)
    groups = groups_for("tsp", tokenizer)
    quiet = compute_reference_logps(model, groups, "cpu")
    assert "reference log-probs" not in capsys.readouterr().err
    shown = compute_reference_logps(model, groups, "cpu", bar=True)
    err = capsys.readouterr().err
    assert "reference log-probs" in err and f"0/{len(groups)} " in err  # one step per group (left: cleared)
    assert shown == quiet


class VocabularyTensors(TorchDispatchMode):
    """Records the rows of every tensor an operation produces whose last dimension is the vocabulary (views of the
    head's own weight, such as its transpose, left out)."""

    def __init__(self, head: torch.Tensor) -> None:
        super().__init__()
        self.vocab, self.weight, self.rows = head.shape[0], head.untyped_storage().data_ptr(), []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor) and t.dim() >= 1 and t.shape[-1] == self.vocab \
                    and t.untyped_storage().data_ptr() != self.weight:
                self.rows.append(t.numel() // self.vocab)
        return out


@pytest.mark.parametrize("lora", [True, False], ids=["lora", "full"])
def test_no_tensor_holds_the_logits_of_more_than_one_chunk_forward_or_backward(lora):
    model, tokenizer = model_for(lora)
    packed = pack_pairs(groups_for("tsp", tokenizer)[0].pairs)
    positions = int(torch.unique(packed.parent[packed.score_pos]).numel())
    assert positions > 10 * CHUNK
    for chunk, most in ((CHUNK, CHUNK), (None, positions)):
        seen = VocabularyTensors(model.get_output_embeddings().weight)
        with seen:
            packed_logps(model, packed, chunk).sum().backward()
        assert max(seen.rows) == most  # unchunked: every scored position at once, as the check must be able to see


def test_chunked_token_logps_keep_duplicate_and_shared_positions_apart():
    """A position that predicts several scored tokens (a trie node with children in several sequences) gets the
    gradient of each; chunk boundaries anywhere give the same values and gradients as one chunk."""
    torch.manual_seed(0)
    hidden = torch.randn(7, 5, requires_grad=True)
    weight = torch.randn(11, 5, requires_grad=True)
    bias = torch.randn(11, requires_grad=True)
    row = torch.tensor([0, 0, 0, 2, 3, 3, 6, 6])
    targets = torch.tensor([1, 1, 4, 0, 10, 2, 5, 5])
    grad_out = torch.randn(8)
    expected = full_token_logps(torch.nn.functional.linear(hidden, weight, bias), row, targets)
    want = torch.autograd.grad(expected, (hidden, weight, bias), grad_out)
    for chunk in (1, 2, 3, 7, 100):
        got = chunked_token_logps(hidden, weight, bias, row, targets, chunk)
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)
        for g, w in zip(torch.autograd.grad(got, (hidden, weight, bias), grad_out), want, strict=True):
            torch.testing.assert_close(g, w, rtol=0, atol=1e-5)
    frozen = chunked_token_logps(hidden, weight.detach(), None, row, targets, 2)  # the LoRA path (head frozen)
    plain = full_token_logps(torch.nn.functional.linear(hidden, weight.detach()), row, targets)
    torch.testing.assert_close(torch.autograd.grad(frozen, hidden, grad_out)[0],
                               torch.autograd.grad(plain, hidden, grad_out)[0], rtol=0, atol=1e-5)


def test_the_head_is_a_plain_linear_layer_again_after_each_call():
    model, tokenizer = model_for(lora=False)
    packed = pack_pairs(groups_for("dpo", tokenizer)[0].pairs)
    with torch.no_grad():
        packed_logps(model, packed, CHUNK)
        logits = model(torch.tensor([[5, 6, 7]])).logits
    assert "forward" not in model.get_output_embeddings().__dict__
    assert logits.shape == (1, 3, model.get_output_embeddings().weight.shape[0])
