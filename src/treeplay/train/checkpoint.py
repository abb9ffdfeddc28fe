"""Run-folder state that lets a training run last: checkpoints, ``trainer_state.json`` and ``metrics.jsonl``.

A checkpoint ``OUT/checkpoints/step-<n>/`` is written every ``save_steps`` optimizer steps and at the end, under a
temporary name renamed into place (``atomic_folder``), so a crash never leaves a half-written checkpoint that a
resume would trust. It holds what an uninterrupted run would still have in memory after step n:

- ``trainable.safetensors``: the trainable parameters (the LoRA weights, or every weight in a full fine-tune);
- ``optimizer.pt`` (AdamW moments), ``scheduler.pt`` (learning-rate schedule position);
- ``rng.pt``: every rank's RNG states (python, torch, CUDA), for dropout;
- ``state.json``: step, epoch, the data position (the next step's epoch and its index in that epoch) and the
  run fingerprint.

The data order needs no saved state: epoch e is a permutation seeded by (seed, e), and the position in it follows
from the step. Under FSDP or DeepSpeed (sharded weights and optimizer) ``accelerator.save_state`` writes the
``accelerate/`` sub-folder instead of the first three files (every rank writes its shard; a shared filesystem is
needed, as for any sharded checkpoint). Only the most recent ``keep`` checkpoints are kept.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from treeplay.records import repair_torn_line, write_text_atomic
from treeplay.runs import TRAINER_STATE, TRAINING_LOG

CHECKPOINTS = "checkpoints"
STATE_FILE = TRAINER_STATE
METRICS_FILE = TRAINING_LOG
_STEP = re.compile(r"^step-(\d+)$")


def is_sharded(accelerator: Any) -> bool:
    """True under FSDP or DeepSpeed, where no single rank holds the whole model and optimizer."""
    return accelerator.distributed_type.name in ("FSDP", "DEEPSPEED")


def rng_state() -> dict[str, Any]:
    """This process's RNG states."""
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(out: Path, step: int, *, accelerator: Any, model: Any, optimizer: Any, scheduler: Any,
                    state: Mapping[str, Any]) -> Path:
    """Write ``out/checkpoints/step-<step>`` atomically (every rank must call it); returns its path."""
    from accelerate.utils import gather_object

    from treeplay.engine.loading import atomic_folder

    target = out / CHECKPOINTS / f"step-{step}"
    rngs = gather_object([rng_state()]) if accelerator.num_processes > 1 else [rng_state()]
    if is_sharded(accelerator):
        tmp = out / CHECKPOINTS / f".tmp-step-{step}"  # the same name on every rank: they all write into it
        accelerator.save_state(str(tmp / "accelerate"))
        if accelerator.is_main_process:
            _write_small(tmp, scheduler, rngs, state)
            shutil.rmtree(target, ignore_errors=True)
            os.rename(tmp, target)
    elif accelerator.is_main_process:
        from safetensors.torch import save_file

        trainable = {name: p.detach().cpu().contiguous()
                     for name, p in accelerator.unwrap_model(model).named_parameters() if p.requires_grad}
        with atomic_folder(target) as tmp:
            save_file(trainable, str(tmp / "trainable.safetensors"))
            torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
            _write_small(tmp, scheduler, rngs, state)
    accelerator.wait_for_everyone()
    return target


def _write_small(folder: Path, scheduler: Any, rngs: list[Any], state: Mapping[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(scheduler.state_dict(), folder / "scheduler.pt")
    with (folder / "rng.pt").open("wb") as fh:
        pickle.dump(rngs, fh)
    (folder / "state.json").write_text(json.dumps(dict(state), indent=1) + "\n", encoding="utf-8")


def load_checkpoint(folder: Path, *, accelerator: Any, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
    """Restore parameters, optimizer, scheduler and this rank's RNG from ``folder``; returns its state.json."""
    if is_sharded(accelerator):
        accelerator.load_state(str(folder / "accelerate"))
    else:
        from safetensors.torch import load_file

        trainable = load_file(str(folder / "trainable.safetensors"))
        params = dict(accelerator.unwrap_model(model).named_parameters())
        missing = [name for name, p in params.items() if p.requires_grad and name not in trainable]
        if missing or set(trainable) - params.keys():
            raise ValueError(f"checkpoint {folder} does not match the model (e.g. {(missing or list(trainable))[0]})")
        with torch.no_grad():
            for name, value in trainable.items():
                params[name].copy_(value)
        optimizer.load_state_dict(torch.load(folder / "optimizer.pt", map_location="cpu", weights_only=False))
    scheduler.load_state_dict(torch.load(folder / "scheduler.pt", weights_only=False))
    with (folder / "rng.pt").open("rb") as fh:
        rngs = pickle.load(fh)  # our own file, written by save_checkpoint
    set_rng_state(rngs[accelerator.process_index % len(rngs)])
    return checkpoint_state(folder)


def checkpoint_state(folder: Path) -> dict[str, Any]:
    """The ``state.json`` of a checkpoint (read before loading it, to check it belongs to this run)."""
    return json.loads((folder / "state.json").read_text(encoding="utf-8"))


def checkpoints(out: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints (those with state.json) as (step, folder), oldest first."""
    found = []
    for folder in (out / CHECKPOINTS).glob("step-*"):
        match = _STEP.match(folder.name)
        if match and (folder / "state.json").is_file():
            found.append((int(match.group(1)), folder))
    return sorted(found)


def latest_checkpoint(out: Path) -> Path | None:
    found = checkpoints(out)
    return found[-1][1] if found else None


def prune_checkpoints(out: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recent checkpoints, and temporary folders of interrupted writes."""
    for _step, folder in checkpoints(out)[:-keep] if keep > 0 else []:
        shutil.rmtree(folder, ignore_errors=True)
    for tmp in (out / CHECKPOINTS).glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def read_state(out: Path) -> dict[str, Any] | None:
    path = out / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_state(out: Path, state: Mapping[str, Any]) -> None:
    """``trainer_state.json``, temporary file + rename."""
    write_json(out / STATE_FILE, state)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    write_text_atomic(path, json.dumps(dict(data), indent=1) + "\n")


def append_metrics(out: Path, row: Mapping[str, Any]) -> None:
    """One row of ``metrics.jsonl``, flushed and synced before returning."""
    with (out / METRICS_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(row)) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def trim_metrics(out: Path, last_step: int) -> None:
    """Keep the rows of steps <= ``last_step`` (a resume redoes the later ones) and drop a torn last line
    (``records.repair_torn_line``)."""
    path = out / METRICS_FILE
    if not path.is_file():
        return
    rows = []
    for line in repair_torn_line(path, lambda data: data.decode("utf-8")).splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # the trainer's own log: a line it cannot read is no row, and must not stop the resume
        if row.get("step", 0) <= last_step:
            rows.append(line)
    write_text_atomic(path, "".join(f"{line}\n" for line in rows))
