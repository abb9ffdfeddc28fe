"""The training steps ``bench_train`` times: one optimizer step per tree, four ways, same loss and optimizer.

- ``packed_epoch`` (treeplay TSP): the tree's pairs as one packed trie sequence with a tree attention mask, one
  forward + backward, as treeplay's trainer runs it: vocabulary logits 256 positions at a time, attention in blocks
  of queries, selective activation checkpointing (``plain=True``: all logits at once, one attention call, every
  activation kept: treeplay before its memory work); reference log-probs precomputed once per iteration
  (``precompute_refs``);
- ``pairwise_epoch``: every pair on its own, its two sequences unpacked, one backward per pair (gradient
  accumulation over the tree), the same precomputed reference;
- ``padded_epoch``: TRL's batch layout in plain PyTorch: the tree's chosen and rejected sequences right-padded into
  one batch, a reference forward at every step, logits only at completion positions (what TRL's fused LM head
  computes on a GPU; on a CPU it projects every position);
- ``trl_trainer``: TRL's ``DPOTrainer`` itself, from text rows (its own tokenization) or on token-id pairs.

All: sigmoid DPO, beta 0.1, summed completion log-probs, mean over the tree's pairs, AdamW as TRL's default
(``adamw_torch_fused``) at a constant lr, gradient clipping at 1.0.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from typing import Any

import torch

from treeplay.train import memory
from treeplay.train.attention import tree_attention
from treeplay.train.logps import DEFAULT_CHUNK
from treeplay.train.losses import preference_loss
from treeplay.train.packing import SequencePair, packed_logps, pairs_logps_unpacked

BETA, LR, CLIP = 0.1, 1e-5, 1.0


def fresh_optimizer(model: Any) -> torch.optim.Optimizer:
    """AdamW as TRL's default (``adamw_torch_fused``), no weight decay; the lr stays constant."""
    return torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.0, fused=True)


def dpo_mean(logps: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Mean sigmoid DPO loss of [2P] interleaved (chosen, rejected) policy and reference log-probs."""
    return preference_loss(logps[0::2], logps[1::2], ref[0::2], ref[1::2], beta=BETA).losses.mean()


def _step(model: Any, opt: torch.optim.Optimizer) -> None:
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    opt.step()


def precompute_refs(ref: Any, packs: Sequence[Any]) -> list[torch.Tensor]:
    """Reference log-probs [2P] of every tree, one packed forward each (treeplay: once per iteration)."""
    with torch.no_grad():
        return [packed_logps(ref, packed) for packed in packs]


def trainer_settings(model: Any, plain: bool = False) -> contextlib.ExitStack:
    """What treeplay's trainer turns on around its steps (tree attention in blocks of queries, selective activation
    checkpointing); nothing with ``plain``. The vocabulary chunks are ``packed_logps``'s own argument."""
    stack = contextlib.ExitStack()
    if not plain:
        stack.enter_context(tree_attention(model))
        stack.enter_context(memory.activation_checkpointing(model, "selective"))
    return stack


def packed_epoch(model: Any, packs: Sequence[Any], refs: Sequence[torch.Tensor] | None, *, plain: bool = False,
                 sft: bool = False) -> list[float]:
    """One step per tree: one packed forward + backward (``plain``: see the module docstring). The loss: sigmoid
    DPO against ``refs``, or with ``sft`` the mean negative log-likelihood of the chosen tokens. Returns the step
    losses."""
    opt, losses = fresh_optimizer(model), []
    with trainer_settings(model, plain):
        for packed, ref in zip(packs, refs or [None] * len(packs), strict=True):
            opt.zero_grad(set_to_none=True)
            logps = packed_logps(model, packed, None if plain else DEFAULT_CHUNK)
            if sft:
                scored = int((packed.score_seq % 2 == 0).sum())
                loss = -logps[0::2].sum() / scored
            else:
                loss = dpo_mean(logps, ref)
            loss.backward()
            _step(model, opt)
            losses.append(float(loss.detach()))
    return losses


def pairwise_epoch(model: Any, groups: Sequence[Any], refs: Sequence[torch.Tensor]) -> list[float]:
    """One step per tree: every pair on its own (its two sequences unpacked), one backward per pair."""
    opt, losses = fresh_optimizer(model), []
    for group, ref in zip(groups, refs, strict=True):
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for p, pair in enumerate(group.pairs):
            loss = dpo_mean(pairs_logps_unpacked(model, [pair]), ref[2 * p:2 * p + 2]) / len(group.pairs)
            loss.backward()
            total += float(loss.detach())
        _step(model, opt)
        losses.append(total)
    return losses


@dataclasses.dataclass(frozen=True)
class PaddedBatch:
    """A tree's 2P sequences (P chosen, then P rejected) right-padded: ``ids``, ``mask`` [2P, L]; ``keep`` [K]
    the positions whose logits predict a completion token of some row; ``scored`` [2P, K] which of them count."""

    ids: torch.Tensor
    mask: torch.Tensor
    keep: torch.Tensor
    scored: torch.Tensor

    @property
    def n_tokens(self) -> int:
        return int(self.ids.numel())


def padded_batch(pairs: Sequence[SequencePair], pad: int, device: Any = "cpu") -> PaddedBatch:
    """The padded batch of one tree, as TRL's collator lays it out (chosen rows first)."""
    seqs = [p.context + p.chosen for p in pairs] + [p.context + p.rejected for p in pairs]
    starts = [len(p.context) for p in pairs] * 2
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    completion = torch.zeros((len(seqs), width), dtype=torch.bool)
    for row, (seq, start) in enumerate(zip(seqs, starts, strict=True)):
        ids[row, :len(seq)] = torch.tensor(seq)
        completion[row, start:len(seq)] = True
    mask = (torch.arange(width)[None] < torch.tensor([len(s) for s in seqs])[:, None]).long()
    keep = torch.arange(min(starts) - 1, width - 1)
    return PaddedBatch(ids=ids.to(device), mask=mask.to(device), keep=keep.to(device),
                       scored=completion[:, keep + 1].to(device))


def padded_logps(model: Any, batch: PaddedBatch) -> torch.Tensor:
    """[2P] interleaved (chosen, rejected) summed completion log-probs from one padded forward pass."""
    out = model(input_ids=batch.ids, attention_mask=batch.mask, logits_to_keep=batch.keep, use_cache=False)
    logits = out.logits.float()  # [2P, K, V]
    targets = batch.ids[:, batch.keep + 1]
    token = logits.gather(-1, targets[..., None])[..., 0] - torch.logsumexp(logits, dim=-1)
    per_seq = (token * batch.scored).sum(dim=-1)  # [2P]: P chosen, then P rejected
    return per_seq.view(2, -1).t().reshape(-1)


def padded_epoch(model: Any, ref: Any, batches: Sequence[PaddedBatch]) -> list[float]:
    """One step per tree: one padded policy forward + backward and a reference forward, as TRL's default."""
    opt, losses = fresh_optimizer(model), []
    for batch in batches:
        opt.zero_grad(set_to_none=True)
        logps = padded_logps(model, batch)
        with torch.no_grad():
            ref_logps = padded_logps(ref, batch)
        loss = dpo_mean(logps, ref_logps)
        loss.backward()
        _step(model, opt)
        losses.append(float(loss.detach()))
    return losses


def trl_trainer(policy: Any, ref: Any, tokenizer: Any, batch: int, out_dir: str, *, rows: Sequence[dict] | None = None,
                ids: Sequence[SequencePair] | None = None, bf16: bool = False) -> Any:
    """A DPOTrainer from text ``rows`` (its own tokenization) or on token-id pairs ``ids`` (its tokenized data set
    replaced by ours): sequential batches of ``batch`` pairs, one epoch, no logging, saving or checkpointing.

    ``trainer.first_losses`` collects the loss of every ``compute_loss`` call (the first is the first step's)."""
    import datasets
    import trl
    from transformers import PrinterCallback

    datasets.disable_progress_bars()
    names = {f.name for f in dataclasses.fields(trl.DPOConfig)}
    ckpt = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    args = trl.DPOConfig(output_dir=out_dir, beta=BETA, learning_rate=LR, lr_scheduler_type="constant",
                         max_grad_norm=CLIP, num_train_epochs=1, per_device_train_batch_size=batch, max_length=None,
                         loss_type=["sigmoid"], bf16=bf16, fp16=False, report_to=[], save_strategy="no",
                         logging_strategy="no", disable_tqdm=True, use_cpu=policy.device.type == "cpu",
                         train_sampling_strategy="sequential", dataloader_num_workers=0, **{ckpt: False})
    text = rows or [{"prompt": "a", "chosen": "b", "rejected": "c"}]
    trainer = trl.DPOTrainer(model=policy, ref_model=ref, args=args, processing_class=tokenizer,
                             train_dataset=datasets.Dataset.from_list(list(text)))
    trainer.remove_callback(PrinterCallback)  # it prints the end-of-training metrics to stdout
    if ids is not None:
        trainer.train_dataset = datasets.Dataset.from_dict({
            "prompt_ids": [list(p.context) for p in ids], "chosen_ids": [list(p.chosen) for p in ids],
            "rejected_ids": [list(p.rejected) for p in ids]})
    compute_loss, trainer.first_losses = trainer.compute_loss, []

    def recording(*args: Any, **kwargs: Any) -> Any:
        loss = compute_loss(*args, **kwargs)
        if not trainer.first_losses:
            trainer.first_losses.append(float(loss.detach()))
        return loss

    trainer.compute_loss = recording
    return trainer


def trl_pairs(trainer: Any) -> list[SequencePair]:
    """TRL's tokenized data set as treeplay pairs (context = its prompt_ids; completions end with EOS)."""
    return [SequencePair(tuple(r["prompt_ids"]), tuple(r["chosen_ids"]), tuple(r["rejected_ids"]))
            for r in trainer.train_dataset]


def padded_tokens(pairs: Sequence[SequencePair], batch: int) -> dict[str, int]:
    """Tokens of a padded epoch in batches of ``batch`` pairs: padded (what the model computes) and real."""
    padded = real = 0
    for start in range(0, len(pairs), batch):
        lengths = [len(p.context) + len(c) for p in pairs[start:start + batch] for c in (p.chosen, p.rejected)]
        padded += len(lengths) * max(lengths)
        real += sum(lengths)
    return {"padded": padded, "real": real}


def tokenization_match(theirs: Sequence[SequencePair], ours: Sequence[SequencePair], eos: int) -> dict[str, int]:
    """How many of TRL's tokenized pairs equal treeplay's tree token ids (+ the EOS TRL appends), and where not."""
    counts = {"pairs": len(ours), "identical": 0, "prompt_differs": 0, "chosen_differs": 0, "rejected_differs": 0}
    for t, o in zip(theirs, ours, strict=True):
        same = (t.context == o.context, t.chosen == (*o.chosen, eos), t.rejected == (*o.rejected, eos))
        counts["identical"] += all(same)
        for key, ok in zip(("prompt_differs", "chosen_differs", "rejected_differs"), same, strict=True):
            counts[key] += not ok
    return counts
