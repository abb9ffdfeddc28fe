"""Two processes (DDP over gloo, on CPU) train the same model: after a few steps every rank holds the same
parameters, they moved, only rank 0 wrote the run folder, and a step equals one process's step on the same batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.train.helpers import TASKS, save_tiny
from treeplay.engine.loading import load_model
from treeplay.train.data import program_groups
from treeplay.train.trainer import TrainParams, train

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_ranks_end_with_identical_parameters_that_moved(tmp_path):
    base = save_tiny(tmp_path / "tiny")
    report = tmp_path / "report"
    report.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(ROOT / "tests" / "train" / "ddp_worker.py"), str(base), str(tmp_path / "out"), str(report)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((report / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2] and [r["steps"] for r in ranks] == [4, 4]
    assert ranks[0]["start"] == ranks[1]["start"] and ranks[0]["end"] == ranks[1]["end"]
    assert ranks[0]["lora_b_abs_sum"] > 0  # the adapter moved from its zero start
    rows = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4]  # rank 0 alone writes
    state = json.loads((tmp_path / "out" / "trainer_state.json").read_text())
    assert state["finished"] and state["world_size"] == 2

    # the first step (rank 0: group 0, rank 1: group 1) is one process's step on both groups
    loaded = load_model(str(base), device="cpu")
    single = TrainParams(method="dpo", lr=3e-3, max_steps=1, batch_size=2, grad_accum=1, warmup_ratio=0.0,
                         schedule="constant")
    train(loaded, program_groups(list(TASKS), loaded.tokenizer), tmp_path / "single", single, progress=False)
    first = json.loads((tmp_path / "single" / "metrics.jsonl").read_text().splitlines()[0])
    assert first["loss"] == pytest.approx(rows[0]["loss"], rel=1e-5)
    assert first["grad_norm"] == pytest.approx(rows[0]["grad_norm"], rel=1e-4)
