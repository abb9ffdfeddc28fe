"""The main player's update: one training loop for every method (sft, dpo, spin, tsp), on packed PairGroups.

Every method trains on ``PairGroup`` s (``train.data``); a group (one tree, or one task) is ONE packed forward pass
(``packing.pack_pairs`` + ``packing.packed_logps``). One micro-step is ``batch_size`` groups (one backward pass);
``grad_accum`` micro-steps make an optimizer step. The loss of a step is the mean over all its pairs (every
micro-step and every rank): each micro-step's summed loss is weighted by world * grad_accum / N, N = the pairs of
the step (accelerate divides by grad_accum, DDP averages over ranks), so uneven groups and a short last step are
weighted exactly.

- ``dpo`` / ``spin`` / ``tsp``: ``losses.preference_loss`` (DPO Eq. 7 by default, IPO or hinge) with reference
  log-probs of the model as loaded (theta_{t-1}), computed once before training (``reference``).
- ``sft``: mean negative log-likelihood per golden token, -sum(chosen log-probs) / sum(chosen tokens) over the step.

Memory: vocabulary logits a chunk of positions at a time (``logps``), attention in blocks of queries
(``attention``), activations recomputed and the heap bounded (``memory``). LoRA (PEFT,
``target_modules="all-linear"``) or full fine-tuning; AdamW; cosine, linear or constant schedule with warm-up
(transformers' schedulers); gradient clipping; bf16 autocast on CUDA. The loop runs under
``accelerate.Accelerator``, so ``accelerate launch`` runs it with DDP, FSDP or DeepSpeed: each rank takes
``order[rank::world]`` of the epoch's seeded permutation (padded by repeating so every rank does the same steps),
and only rank 0 writes files. Runs resume from their latest checkpoint (``checkpoint``) to the same final
parameters as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from treeplay.config import TrainConfig
from treeplay.errors import ConfigError, DataError, UsageError
from treeplay.progress import OnProgress, StageProgress
from treeplay.threads import GOVERNOR
from treeplay.train import METHODS, memory
from treeplay.train import checkpoint as ckpt
from treeplay.train.attention import tree_attention
from treeplay.train.data import PairGroup
from treeplay.train.losses import LOSSES
from treeplay.train.objective import group_loss, group_weight
from treeplay.train.packing import PackedTree, pack_pairs
from treeplay.train.plan import DataPlan
from treeplay.train.reference import REF_FILE, ReferenceLogps, inputs_sha256, load_or_compute_reference

SCHEDULES = {"cosine": "cosine", "linear": "linear", "constant": "constant_with_warmup"}
_NOT_IN_FINGERPRINT = ("save_steps", "keep_checkpoints", "logits_chunk", "checkpointing", "heap_budget_mb")
# Keys of the train section the loop does not read: they decide the groups (which the fingerprint's inputs_sha256
# covers) or how the stage is launched. Kept out of the fingerprint, which names the loop's keys only.
_SHAPE_GROUPS = ("max_pairs", "spin_samples", "launcher", "loss_tokens", "max_length")


@dataclass(frozen=True)
class TrainParams(TrainConfig):
    """Hyper-parameters of one training run: the train config section (``TrainConfig``, where every default is
    defined: the paper's), checked when made. The trainer reads the keys of the loop; the others (``_SHAPE_GROUPS``)
    shaped the groups it is given before it runs, or do not concern it."""

    def __post_init__(self) -> None:
        checks = [("method", self.method in METHODS, " | ".join(METHODS)), ("loss", self.loss in LOSSES,
                  " | ".join(LOSSES)), ("schedule", self.schedule in SCHEDULES, " | ".join(SCHEDULES)),
                  ("beta", self.beta > 0, "> 0"), ("lr", self.lr > 0, "> 0"), ("epochs", self.epochs >= 1, ">= 1"),
                  ("max_steps", self.max_steps is None or self.max_steps >= 1, "null or >= 1"),
                  ("batch_size", self.batch_size >= 1, ">= 1"), ("grad_accum", self.grad_accum >= 1, ">= 1"),
                  ("warmup_ratio", 0 <= self.warmup_ratio < 1, "in [0, 1)"), ("save_steps", self.save_steps >= 1,
                  ">= 1"), ("keep_checkpoints", self.keep_checkpoints >= 1, ">= 1"),
                  ("lora_r", self.lora_r >= 1, ">= 1"), ("lora_dropout", 0 <= self.lora_dropout < 1, "in [0, 1)"),
                  ("logits_chunk", self.logits_chunk is None or self.logits_chunk >= 1, "null or >= 1"),
                  ("checkpointing", self.checkpointing in memory.CHECKPOINTING, " | ".join(memory.CHECKPOINTING)),
                  ("heap_budget_mb", self.heap_budget_mb is None or self.heap_budget_mb >= 1, "null or >= 1")]
        for name, ok, expected in checks:
            if not ok:
                raise ConfigError(f"must be {expected}, got {getattr(self, name)!r}", key=f"train.{name}")


@dataclass
class TrainResult:
    """``state`` = trainer_state.json; ``model`` = the trained model (None when the run had finished before)."""

    out_dir: Path
    state: dict[str, Any]
    model: Any = None
    skipped: bool = False


def train(loaded: Any, groups: Sequence[PairGroup], out_dir: str | Path, params: TrainParams, *,
          callback: Callable[[Mapping[str, Any]], None] | None = None, progress: bool = True,
          notes: Mapping[str, Any] | None = None, on_progress: OnProgress | None = None) -> TrainResult:
    """Train ``loaded`` (an ``engine.loading.LoadedModel``: theta_{t-1}, the reference too) on ``groups`` and
    write the model folder ``out_dir`` (LoRA adapter or full weights, tokenizer, run state; module docstring).
    ``notes``: facts about the inputs kept in the run state (for example what ``train.max_length`` cut).

    A re-run resumes from the latest checkpoint; a finished run is a no-op. ``callback(row)`` runs on every rank
    after each optimizer step (its metrics row) and its checkpoint. ``progress``: a bar on stderr; ``on_progress``:
    called on the main process with ("train", optimizer steps done, steps of the run).
    """
    if not groups:
        raise DataError("no training pairs", fix="check the inputs: tsp needs pairs.jsonl with its trees; dpo needs "
                        "tasks with vulnerable variants; spin needs samples; sft needs tasks with golden code")
    out = Path(out_dir)
    accelerator = _accelerator(params, loaded.device)
    plan = DataPlan(len(groups), accelerator.num_processes, params.batch_size, params.grad_accum, params.seed,
                    params.epochs, params.max_steps)
    sha = inputs_sha256(groups)
    fingerprint = {"base": loaded.base or loaded.name, "adapters": list(loaded.adapters), "inputs_sha256": sha,
                   "world_size": plan.world, "params": {k: v for k, v in dataclasses.asdict(params).items()
                                                        if k not in _NOT_IN_FINGERPRINT + _SHAPE_GROUPS}}
    done, folder = _previous_run(out, fingerprint, accelerator)
    if done is not None:
        return done
    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
    policy = _plain(loaded.model).to(accelerator.device)  # this rank's device under accelerate launch
    _check_vocabulary(policy, groups)
    with tree_attention(policy):  # packed passes only: restored before the model is saved and returned
        loop, state = _prepare(accelerator, policy, groups, out, params, plan, fingerprint, folder, loaded.dtype,
                               progress)
        state.update(notes or {})
        _run(loop, state, callback, progress, on_progress)
    _save_model(accelerator, loop.model, loaded, out, params)
    state["finished"] = True
    if accelerator.is_main_process:
        ckpt.write_state(out, state)
    accelerator.wait_for_everyone()
    return TrainResult(out_dir=out, state=state, model=accelerator.unwrap_model(loop.model))


def _prepare(accelerator: Any, policy: Any, groups: Sequence[PairGroup], out: Path, params: TrainParams,
             plan: DataPlan, fingerprint: Mapping[str, Any], folder: Path | None,
             dtype: Any, progress: bool = False) -> tuple[_Loop, dict[str, Any]]:
    """Reference log-probs (``progress``: with a bar), the trainable model and its optimizer (resumed from
    ``folder``), the run state."""
    sha = fingerprint["inputs_sha256"]
    refs = None
    if params.method != "sft":
        ref_fingerprint = {"model": fingerprint["base"], "adapters": fingerprint["adapters"],
                           "dtype": str(dtype), "inputs_sha256": sha}
        refs = load_or_compute_reference(out / REF_FILE, policy, groups, ref_fingerprint, accelerator,
                                         chunk=params.logits_chunk, progress=progress)
    model = _trainable(policy, params)
    optimizer, scheduler = _optimizer(model, params, plan.total_steps)
    model, optimizer = accelerator.prepare(model, optimizer)
    start, wall = _resume(out, folder, accelerator, model, optimizer, scheduler)
    packs = [pack_pairs(g.pairs) for g in groups]
    state = {"method": params.method, "global_step": start, "total_steps": plan.total_steps,
             "epoch": round(start / plan.steps_per_epoch, 4), "pairs": sum(len(g.pairs) for g in groups),
             "groups": len(groups), "tokens_per_epoch": {"packed": sum(p.n_tokens for p in packs),
                                                         "unpacked": sum(p.n_input_tokens for p in packs)},
             "wall_s": wall, "finished": False, "world_size": plan.world, "base": fingerprint["base"],
             "adapters": fingerprint["adapters"], "lora": params.lora,
             "reference": None if refs is None else ("computed" if refs.computed else "read"),
             "fingerprint": fingerprint}
    return _Loop(accelerator, model, optimizer, scheduler, groups, packs, refs, params, plan, out), state


def _run(loop: _Loop, state: dict[str, Any], callback: Callable[[Mapping[str, Any]], None] | None,
         progress: bool, on_progress: OnProgress | None) -> None:
    """The optimizer steps, with activations recomputed and the heap bounded (``memory``)."""
    model, params = loop.acc.unwrap_model(loop.model), loop.params
    budget = None if params.heap_budget_mb is None else params.heap_budget_mb * 2**20
    memory.release_memory()  # what loading and the reference pass left free: not part of the steps' bound
    with memory.activation_checkpointing(model, params.checkpointing), memory.bounded_heap(model, budget):
        loop.run(state, callback, progress, on_progress)


def _accelerator(params: TrainParams, device: Any) -> Any:
    """bf16 autocast on CUDA only; grad_accum as accelerate's accumulation (loss scaling, DeepSpeed boundaries)."""
    from accelerate import Accelerator

    cuda = getattr(device, "type", str(device)) == "cuda"
    return Accelerator(cpu=not cuda, gradient_accumulation_steps=params.grad_accum, step_scheduler_with_optimizer=False,
                       mixed_precision="bf16" if params.bf16 and cuda and torch.cuda.is_bf16_supported() else "no")


def _previous_run(out: Path, fingerprint: Mapping[str, Any], accelerator: Any) -> tuple[TrainResult | None,
                                                                                       Path | None]:
    """(the result when ``out`` holds this run finished, the checkpoint to resume from); a run with other inputs
    or settings in ``out`` is an error, raised before anything is computed or written."""
    state = ckpt.read_state(out)
    if state is not None and state.get("finished"):
        if state.get("fingerprint") != fingerprint:
            raise UsageError(f"{out} holds a finished training run with other inputs or settings",
                             fix="choose another output folder, or delete this one to train again")
        if accelerator.is_main_process:
            print(f"{out}: training finished before ({state['global_step']} steps); nothing to do", file=sys.stderr)
        return TrainResult(out_dir=out, state=state, skipped=True), None
    folder = ckpt.latest_checkpoint(out)
    if folder is not None and ckpt.checkpoint_state(folder).get("fingerprint") != fingerprint:
        raise UsageError(f"{out} holds checkpoints of a training run with other inputs or settings ({folder.name})",
                         fix="choose another output folder, or delete this one to start over")
    return None, folder


def _check_vocabulary(model: Any, groups: Sequence[PairGroup]) -> None:
    """Token ids beyond the model's vocabulary mean the pairs came from another model's tokenizer."""
    vocab = model.get_input_embeddings().num_embeddings
    top = max(max((*p.context, *p.chosen, *p.rejected)) for g in groups for p in g.pairs)
    if top >= vocab:
        raise DataError(f"token id {top} of the pairs is outside the model's vocabulary ({vocab} tokens)",
                        fix="train the model whose tokenizer the trees were grown with (grow's --model)")


def _plain(model: Any) -> Any:
    """A model loaded with an unmerged adapter is merged first: theta_{t-1} is one frozen model."""
    return model.merge_and_unload() if hasattr(model, "merge_and_unload") else model


def _trainable(model: Any, params: TrainParams) -> Any:
    """LoRA on every linear layer but the output head (PEFT ``all-linear``), or every weight (full fine-tune)."""
    torch.manual_seed(params.seed)  # LoRA's A matrices, dropout
    if params.lora:
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(r=params.lora_r, lora_alpha=params.lora_alpha, lora_dropout=params.lora_dropout,
                            target_modules="all-linear", task_type="CAUSAL_LM")
        with warnings.catch_warnings():  # transformers' deprecation notices inside peft, not the user's business
            warnings.simplefilter("ignore", FutureWarning)
            model = get_peft_model(model, config)
    else:
        model.requires_grad_(True)
    model.train()
    return model


def _optimizer(model: Any, params: TrainParams, total_steps: int) -> tuple[Any, Any]:
    from transformers import get_scheduler

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params.lr, weight_decay=params.weight_decay)
    warmup = math.ceil(params.warmup_ratio * total_steps)
    return optimizer, get_scheduler(SCHEDULES[params.schedule], optimizer, num_warmup_steps=warmup,
                                    num_training_steps=total_steps)


def _resume(out: Path, folder: Path | None, accelerator: Any, model: Any, optimizer: Any,
            scheduler: Any) -> tuple[int, float]:
    """(first step, wall seconds so far): restored from checkpoint ``folder``, or (0, 0) for a fresh run."""
    if folder is None:
        if accelerator.is_main_process:
            ckpt.trim_metrics(out, 0)  # rows of a run that crashed before its first checkpoint
        return 0, 0.0
    state = ckpt.load_checkpoint(folder, accelerator=accelerator, model=model, optimizer=optimizer,
                                 scheduler=scheduler)
    if accelerator.is_main_process:
        ckpt.trim_metrics(out, state["global_step"])
        print(f"resuming from {folder} (step {state['global_step']})", file=sys.stderr)
    return int(state["global_step"]), float(state["wall_s"])


class _Loop:
    """The optimizer steps from the resumed position to the end, with metrics, progress and checkpoints."""

    def __init__(self, accelerator: Any, model: Any, optimizer: Any, scheduler: Any, groups: Sequence[PairGroup],
                 packs: Sequence[PackedTree], refs: ReferenceLogps | None, params: TrainParams, plan: DataPlan,
                 out: Path) -> None:
        self.acc, self.model, self.optimizer, self.scheduler = accelerator, model, optimizer, scheduler
        self.groups, self.packs, self.refs, self.params, self.plan, self.out = groups, packs, refs, params, plan, out
        self.trainable = [p for p in model.parameters() if p.requires_grad]

    def run(self, state: dict[str, Any], callback: Callable[[Mapping[str, Any]], None] | None,
            progress: bool, on_progress: OnProgress | None = None) -> None:
        main, began, wall0 = self.acc.is_main_process, time.monotonic(), state["wall_s"]
        writer = _tensorboard(self.out) if main else None
        with StageProgress("train", self.plan.total_steps, done=state["global_step"], unit="step",
                           bar=progress and main, on_progress=on_progress if main else None,
                           desc=f"train {self.params.method}") as bar:
            for step in range(state["global_step"], self.plan.total_steps):
                GOVERNOR.tick()  # this process's share of the cores, as other runs start and end
                row = {"step": step + 1, "epoch": round((step + 1) / self.plan.steps_per_epoch, 4),
                       **self.step(self.plan.window(step))}
                epoch, in_epoch = divmod(step + 1, self.plan.steps_per_epoch)
                position = {"epoch": epoch, "step_in_epoch": in_epoch}
                state.update(global_step=step + 1, epoch=row["epoch"], data_position=position,
                             wall_s=wall0 + time.monotonic() - began,
                             peak_memory_mb=round(memory.peak_memory_mb(self.acc.device), 1))
                if main:
                    ckpt.append_metrics(self.out, row)
                    if writer is not None:
                        for key, value in row.items():
                            writer.add_scalar(f"train/{key}", value, step + 1)
                bar.advance(1, **{label: f"{row[k]:.4g}" for k, label in (("loss", "loss"), ("margin", "margin"),
                                                                           ("accuracy", "acc")) if k in row})
                if (step + 1) % self.params.save_steps == 0 or step + 1 == self.plan.total_steps:
                    self.save(state)
                if callback is not None:
                    callback(row)
        if writer is not None:
            writer.close()

    def save(self, state: dict[str, Any]) -> None:
        ckpt.save_checkpoint(self.out, state["global_step"], accelerator=self.acc, model=self.model,
                             optimizer=self.optimizer, scheduler=self.scheduler, state=state)
        if self.acc.is_main_process:
            ckpt.write_state(self.out, state)
            ckpt.prune_checkpoints(self.out, self.params.keep_checkpoints)

    def step(self, window: list[list[list[int]]]) -> dict[str, float]:
        """One optimizer step over ``window`` (micro-steps x ranks x groups); returns its metrics row."""
        acc, rank, sft = self.acc, self.acc.process_index, self.params.method == "sft"
        total = sum(self.weight(g) for micro in window for ranks in micro for g in ranks)  # N, every rank alike
        scale = acc.num_processes * acc.gradient_accumulation_steps / total
        sums = torch.zeros(6, dtype=torch.float64)  # loss, margin, correct, chosen reward, rejected reward, weight
        lr = self.scheduler.get_last_lr()[0]
        for i, micro in enumerate(window):
            last = i == len(window) - 1
            acc.sync_gradients = last  # sync and step at the last micro-step (DeepSpeed reads it too)
            with contextlib.nullcontext() if last else acc.no_sync(self.model):
                with acc.autocast():
                    losses = [self.group_loss(g, sums) for g in micro[rank]]
                acc.backward(torch.stack(losses).sum() * scale)
        norm = acc.clip_grad_norm_(self.trainable, self.params.max_grad_norm if self.params.max_grad_norm > 0
                                   else float("inf"))
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        memory.release_memory()  # the step's freed activations, back to the system (train.memory)
        sums = acc.reduce(sums.to(acc.device), reduction="sum").cpu()
        row = {"loss": float(sums[0] / sums[5])}
        if not sft:
            row.update(margin=float(sums[1] / sums[5]), accuracy=float(sums[2] / sums[5]),
                       chosen_reward=float(sums[3] / sums[5]), rejected_reward=float(sums[4] / sums[5]))
        return {**row, "lr": lr, "grad_norm": float(norm) if norm is not None else float("nan")}

    def weight(self, group: int) -> int:
        """A group's share of a step's mean: its pairs, or its golden tokens for sft."""
        return group_weight(self.groups[group], self.params.method)

    def group_loss(self, index: int, sums: torch.Tensor) -> torch.Tensor:
        """Summed loss of one group from ONE packed forward pass (0-d); adds its statistics to ``sums``."""
        group, device, p = self.groups[index], self.acc.device, self.params
        ref = None if self.refs is None else self.refs.of(group, device)
        out = group_loss(self.model, self.packs[index].to(device), group, p.method, ref, beta=p.beta, loss=p.loss,
                         sft_weight=p.sft_weight, chunk=p.logits_chunk)
        sums += torch.tensor(out.stats, dtype=sums.dtype)
        return out.loss


def _tensorboard(out: Path) -> Any:
    """A TensorBoard writer under ``out/tensorboard`` when tensorboard is installed, else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(out / "tensorboard"))


def _save_model(accelerator: Any, model: Any, loaded: Any, out: Path, params: TrainParams) -> None:
    """The model folder: LoRA adapter + the base and earlier adapters it sits on, or full weights; tokenizer."""
    from treeplay.engine.loading import quiet_transformers, write_adapter_info

    state_dict = accelerator.get_state_dict(model) if ckpt.is_sharded(accelerator) else None
    if accelerator.is_main_process:
        with quiet_transformers():
            accelerator.unwrap_model(model).save_pretrained(out, state_dict=state_dict, safe_serialization=True)
            loaded.tokenizer.save_pretrained(out)
        if params.lora:
            write_adapter_info(out, loaded.base or loaded.name, loaded.adapters)
    accelerator.wait_for_everyone()
