"""One rank of the two-process DDP test (launched by tests/train/test_ddp.py through torch.distributed.run).

Usage: ddp_worker.py BASE_MODEL OUT REPORT_DIR. Trains dpo with LoRA on the tiny model for a few steps, then writes
REPORT_DIR/rank<r>.json with checksums of this rank's parameters before and after training (LoRA's B matrices
start at zero, so their size says whether the adapter moved).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch

from tests.train.helpers import TASKS, checksum
from treeplay.engine.loading import load_model
from treeplay.train.data import program_groups
from treeplay.train.trainer import TrainParams, train


def main(base: str, out: str, report: str) -> None:
    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    loaded = load_model(base, device="cpu")
    groups = program_groups(list(TASKS), loaded.tokenizer)
    start = checksum(loaded.model)
    params = TrainParams(method="dpo", lr=3e-3, epochs=2, grad_accum=1, warmup_ratio=0.0, schedule="constant",
                         save_steps=1)
    result = train(loaded, groups, out, params, progress=False)
    lora_b = sum(float(p.detach().abs().sum()) for name, p in result.model.named_parameters() if "lora_B" in name)
    payload = {"rank": rank, "world": result.state["world_size"], "start": start, "end": checksum(result.model),
               "steps": result.state["global_step"], "lora_b_abs_sum": lora_b}
    Path(report, f"rank{rank}.json").write_text(json.dumps(payload), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
