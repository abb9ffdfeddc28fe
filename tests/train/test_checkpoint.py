"""Runs that last: a run resumed after a crash ends with exactly the parameters of an uninterrupted run, logs each
step once, keeps the last checkpoints only, and refuses to mix runs."""

from __future__ import annotations

import json

import pytest
import torch

from tests.train.helpers import TASKS, save_tiny
from treeplay.engine.loading import load_model
from treeplay.errors import UsageError
from treeplay.train.checkpoint import METRICS_FILE, checkpoints, trim_metrics
from treeplay.train.data import program_groups
from treeplay.train.reference import REF_FILE
from treeplay.train.trainer import TrainParams, train


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return str(save_tiny(tmp_path_factory.mktemp("tiny")))


def params(**changes):
    # 3 groups, 2 micro-steps per optimizer step: steps of 2 + 1 groups, 2 steps per epoch, 3 epochs; warm-up and a
    # cosine schedule so the learning rate differs at every step; dropout so the RNG state matters
    settings = dict(method="dpo", lr=2e-3, epochs=3, grad_accum=2, warmup_ratio=0.2, schedule="cosine",
                    lora_dropout=0.1, save_steps=2, keep_checkpoints=2)
    return TrainParams(**{**settings, **changes})


def run(base, out, p, crash_at=None):
    loaded = load_model(base, device="cpu")
    groups = program_groups(list(TASKS), loaded.tokenizer)

    def crash(row):
        if row["step"] == crash_at:
            raise KeyboardInterrupt  # what a killed run looks like to the loop: nothing after this step is written

    return train(loaded, groups, out, p, callback=crash if crash_at else None, progress=False)


def steps(out):
    return [json.loads(line) for line in (out / METRICS_FILE).read_text().splitlines()]


@pytest.mark.parametrize("lora", [True, False])
def test_resume_after_a_crash_ends_with_the_parameters_of_an_uninterrupted_run(base, tmp_path, lora):
    p = params(lora=lora, lr=2e-3 if lora else 5e-4)
    whole = run(base, tmp_path / "whole", p)
    with pytest.raises(KeyboardInterrupt):
        run(base, tmp_path / "crashed", p, crash_at=5)  # after step 5's row, before its checkpoint (every 2 steps)
    assert [s["step"] for s in steps(tmp_path / "crashed")] == [1, 2, 3, 4, 5]
    assert [step for step, _ in checkpoints(tmp_path / "crashed")] == [2, 4]
    resumed = run(base, tmp_path / "crashed", p)
    assert resumed.state["global_step"] == whole.state["global_step"] == 6
    expected = dict(whole.model.named_parameters())
    for name, param in resumed.model.named_parameters():
        assert torch.equal(param, expected[name]), name
    assert steps(tmp_path / "crashed") == steps(tmp_path / "whole")  # every step exactly once, same figures
    assert [step for step, _ in checkpoints(tmp_path / "crashed")] == [4, 6]  # the last two are kept


def test_a_finished_run_rerun_is_a_no_op_that_says_so(base, tmp_path, capsys):
    first = run(base, tmp_path / "out", params(epochs=1))
    before = (tmp_path / "out" / "adapter_model.safetensors").read_bytes()
    again = run(base, tmp_path / "out", params(epochs=1))
    assert again.skipped and again.model is None and again.state == first.state
    assert "nothing to do" in capsys.readouterr().err
    assert (tmp_path / "out" / "adapter_model.safetensors").read_bytes() == before
    assert len(steps(tmp_path / "out")) == first.state["global_step"]


def test_other_settings_in_the_same_folder_are_refused(base, tmp_path):
    run(base, tmp_path / "done", params(epochs=1))
    with pytest.raises(UsageError, match="finished training run with other inputs or settings"):
        run(base, tmp_path / "done", params(epochs=1, beta=0.5))
    with pytest.raises(KeyboardInterrupt):
        run(base, tmp_path / "crashed", params(), crash_at=3)
    reference = (tmp_path / "crashed" / REF_FILE).read_bytes()
    with pytest.raises(UsageError, match="checkpoints of a training run with other inputs or settings"):
        run(base, tmp_path / "crashed", params(lr=1e-4))
    assert (tmp_path / "crashed" / REF_FILE).read_bytes() == reference  # refused before anything was written


def test_checkpoint_folders_are_complete_or_absent(base, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run(base, tmp_path / "out", params(save_steps=1, keep_checkpoints=3), crash_at=4)
    found = checkpoints(tmp_path / "out")
    assert [step for step, _ in found] == [2, 3, 4]
    for _, folder in found:
        assert {f.name for f in folder.iterdir()} == {"trainable.safetensors", "optimizer.pt", "scheduler.pt",
                                                      "rng.pt", "state.json"}
    assert not list((tmp_path / "out" / "checkpoints").glob(".tmp-*"))
    state = json.loads((found[-1][1] / "state.json").read_text())
    assert state["global_step"] == 4 and state["epoch"] == 2.0 and not state["finished"]
    assert state["data_position"] == {"epoch": 2, "step_in_epoch": 0}


def test_trimming_metrics_drops_later_steps_and_a_torn_last_line(tmp_path):
    (tmp_path / METRICS_FILE).write_text('{"step": 1}\n{"step": 2}\n{"step": 3}\n{"step": 4, "lo')
    trim_metrics(tmp_path, 2)
    assert (tmp_path / METRICS_FILE).read_text() == '{"step": 1}\n{"step": 2}\n'
