"""Training memory: recomputed activations give bit-identical losses and gradients while the forward pass keeps
less, the heap is trimmed only beyond its budget, and the memory settings change no trained parameter."""

from __future__ import annotations

import json

import pytest
import torch

from tests.train.helpers import groups_for, save_tiny
from treeplay.engine.loading import load_model
from treeplay.engine.tiny import tiny_model_and_tokenizer
from treeplay.train import memory
from treeplay.train.packing import SequencePair, pack_pairs, packed_logps
from treeplay.train.trainer import TrainParams, train


def lora_model(**config):
    from peft import LoraConfig, get_peft_model

    model, tokenizer = tiny_model_and_tokenizer(seed=0, **config)
    torch.manual_seed(0)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM", init_lora_weights=False)
    return get_peft_model(model, lora).train(), tokenizer


def loss_and_grads(model, packed):
    model.zero_grad(set_to_none=True)
    loss = packed_logps(model, packed).sum()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters() if p.requires_grad]


@pytest.mark.parametrize("mode", ["selective", "full"])
def test_recomputed_activations_give_identical_loss_and_gradients(mode):
    model, tokenizer = lora_model()
    packed = pack_pairs(groups_for("tsp", tokenizer)[0].pairs)
    loss, grads = loss_and_grads(model, packed)
    with memory.activation_checkpointing(model, mode) as used:
        assert used
        recomputed, recomputed_grads = loss_and_grads(model, packed)
    assert torch.equal(recomputed, loss)
    assert all(torch.equal(a, b) for a, b in zip(recomputed_grads, grads, strict=True))
    assert not any(getattr(layer, "gradient_checkpointing", False) for layer in memory.decoder_layers(model))


def live_bytes_after_forward(model, packed) -> int:
    """glibc's live allocations held once the forward pass is done (what the backward pass will need)."""
    libc = memory._glibc()
    before = memory._heap_state(libc)[0]
    loss = packed_logps(model, packed).sum()
    held = memory._heap_state(libc)[0] - before
    loss.backward()
    return held


@pytest.mark.skipif(memory._glibc() is None, reason="reads glibc's allocation counters")
def test_selective_checkpointing_keeps_at_most_two_thirds_of_the_activations():
    model, _ = lora_model(hidden_size=128, intermediate_size=384, num_hidden_layers=4)
    ids = torch.randint(3, 500, (1200,), generator=torch.Generator().manual_seed(0)).tolist()
    pairs = [SequencePair(tuple(ids[:400]), tuple(ids[400:800]), tuple(ids[800:]))]
    packed = pack_pairs(pairs)  # 1,200 tokens: activations of megabytes, far above Python's own allocations
    kept = live_bytes_after_forward(model, packed)
    with memory.activation_checkpointing(model, "selective"):
        selective = live_bytes_after_forward(model, packed)
    with memory.activation_checkpointing(model, "full"):
        full = live_bytes_after_forward(model, packed)
    assert full < selective < kept * 2 / 3


class FakeGlibc:
    """glibc's counters as the test sets them; records trims."""

    def __init__(self) -> None:
        self.live, self.resident, self.trims = 100, 150, 0  # 50 bytes held by others from the start

    def malloc_trim(self, pad: int) -> None:
        self.trims += 1
        self.resident = self.live + 50


def test_heap_is_trimmed_only_when_resident_memory_passes_the_live_peak_plus_the_budget(monkeypatch):
    model, _ = lora_model()
    fake = FakeGlibc()
    monkeypatch.setattr(memory, "_glibc", lambda: fake)
    monkeypatch.setattr(memory, "_heap_state", lambda libc: (libc.live, libc.resident))
    layer = memory.decoder_layers(model)[0]
    with memory.bounded_heap(model, budget=40):
        fake.live, fake.resident = 1000, 1050 + 40  # at the budget: nothing to give back
        for hook in layer._forward_pre_hooks.values():
            hook(layer, ())
        assert fake.trims == 0
        fake.live, fake.resident = 400, 1050 + 40  # the backward pass freed activations: below the live peak
        for hook in layer._forward_pre_hooks.values():
            hook(layer, ())
        assert fake.trims == 0
        fake.resident = 1050 + 41
        for hook in layer._forward_pre_hooks.values():
            hook(layer, ())
        assert fake.trims == 1 and fake.resident == 450
    assert not layer._forward_pre_hooks and not layer._forward_hooks  # hooks removed with the block


def test_memory_settings_change_no_trained_parameter(tmp_path):
    base = str(save_tiny(tmp_path / "tiny"))
    fast = dict(lr=3e-3, grad_accum=1, warmup_ratio=0.0, schedule="constant", save_steps=100, epochs=2)
    trained, rows = [], []
    for name, settings in (("plain", dict(logits_chunk=None, checkpointing="none", heap_budget_mb=None)),
                           ("memory", dict(logits_chunk=2, checkpointing="selective", heap_budget_mb=1))):
        loaded = load_model(base, device="cpu")
        result = train(loaded, groups_for("tsp", loaded.tokenizer), tmp_path / name,
                       TrainParams(method="tsp", **fast, **settings), progress=False)
        trained.append(dict(result.model.named_parameters()))
        rows.append([json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()])
    # the first step starts from the same weights: the same loss and gradient up to float32 rounding
    assert rows[1][0]["loss"] == pytest.approx(rows[0][0]["loss"], rel=1e-6)
    assert rows[1][0]["grad_norm"] == pytest.approx(rows[0][0]["grad_norm"], rel=1e-5)
    # Adam divides by each gradient's own size: float rounding of near-zero gradients may move a weight by a
    # small fraction of one step (lr 3e-3), nothing more; later steps start from weights that close
    for plain, low in zip(rows[0][1:], rows[1][1:], strict=True):
        assert low["loss"] == pytest.approx(plain["loss"], rel=1e-4)
        assert low["grad_norm"] == pytest.approx(plain["grad_norm"], rel=1e-4)
    for name, p in trained[0].items():
        torch.testing.assert_close(trained[1][name], p, rtol=0, atol=3e-5, msg=lambda m, n=name: f"{n}: {m}")


def test_config_checks_name_the_checkpointing_modes():
    from treeplay import config_checks

    assert config_checks.CHECKPOINTING == memory.CHECKPOINTING
