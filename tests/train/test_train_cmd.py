"""``treeplay train``: every method from the command line writes a model folder; re-runs are no-ops; SPIN samples
its opponent once; wrong combinations are errors that say what to pass."""

from __future__ import annotations

import argparse
import json

import pytest

from tests.cli_helpers import run_subcommand
from tests.train.helpers import TASKS, save_tiny
from treeplay.errors import ConfigError, ModelError, UsageError
from treeplay.records import write_jsonl
from treeplay.train.train_cmd import SPIN_SAMPLES, add_train_parser

FAST = ["train.lr=3e-3", "train.grad_accum=1", "train.warmup_ratio=0", "train.max_steps=2", "model.device=cpu",
        "--no-progress"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from tests.tree.fixtures import TASK, make_tree
    from treeplay.tree.pairs import extract_pairs

    root = tmp_path_factory.mktemp("inputs")
    write_jsonl(root / "tasks.jsonl", [*TASKS, TASK])
    tree = make_tree()
    write_jsonl(root / "trees.jsonl", [tree])
    write_jsonl(root / "pairs.jsonl", extract_pairs([tree], {"t": TASK}, mode="paper").pairs)
    return {"model": str(save_tiny(root / "tiny")), "tasks": str(root / "tasks.jsonl"),
            "trees": str(root / "trees.jsonl"), "pairs": str(root / "pairs.jsonl")}


def train_cli(*argv):
    return run_subcommand(add_train_parser, "train", [*argv, *FAST])


def test_dpo_from_the_command_line_writes_a_model_folder_and_a_rerun_is_a_no_op(files, tmp_path, capsys):
    out = tmp_path / "model"
    assert train_cli("--method", "dpo", "--tasks", files["tasks"], "--model", files["model"], "-o", str(out)) == 0
    assert "trained dpo for 2 steps on 4 pairs in 3 groups" in capsys.readouterr().out
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "trainer_state.json",
                 "metrics.jsonl", "pairs.ref.jsonl", "train_config.yaml", "checkpoints/step-2/state.json"):
        assert (out / name).exists(), name
    assert train_cli("--method", "dpo", "--tasks", files["tasks"], "--model", files["model"], "-o", str(out),
                     "--json") == 0
    captured = capsys.readouterr()
    assert "nothing to do" in captured.err and json.loads(captured.out)["global_step"] == 2


def test_tsp_trains_on_the_pairs_of_grown_trees(files, tmp_path):
    out = tmp_path / "model"
    assert train_cli("--method", "tsp", "--tasks", files["tasks"], "--pairs", files["pairs"], "--trees",
                     files["trees"], "--model", files["model"], "-o", str(out), "train.max_pairs=4") == 0
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["method"] == "tsp" and state["pairs"] == 6 and state["groups"] == 2  # one tree, split by max_pairs


def test_spin_samples_its_opponent_once_and_a_rerun_reuses_the_samples(files, tmp_path):
    out = tmp_path / "model"
    argv = ("--method", "spin", "--tasks", files["tasks"], "--model", files["model"], "-o", str(out),
            "grow.max_new_tokens=8", "train.spin_samples=2")
    assert train_cli(*argv) == 0
    samples = (out / SPIN_SAMPLES).read_text().splitlines()
    assert len(samples) == 2 * 4  # two programs for each of the 4 tasks, all of them rejected against the golden
    assert json.loads((out / "trainer_state.json").read_text())["pairs"] == 8
    assert train_cli(*argv) == 0
    assert (out / SPIN_SAMPLES).read_text().splitlines() == samples


def test_spin_reads_given_samples(files, tmp_path):
    from treeplay.records import Candidate

    write_jsonl(tmp_path / "gens.jsonl", [Candidate("sql", "    return 1\n"), Candidate("cmd", "    pass\n")])
    out = tmp_path / "model"
    assert train_cli("--method", "spin", "--tasks", files["tasks"], "--samples", str(tmp_path / "gens.jsonl"),
                     "--model", files["model"], "-o", str(out)) == 0
    assert not (out / SPIN_SAMPLES).exists()
    assert json.loads((out / "trainer_state.json").read_text())["pairs"] == 2


@pytest.mark.parametrize("argv, error, says", [
    (["--method", "tsp", "--pairs", "{pairs}"], UsageError, "needs --pairs pairs.jsonl and --trees"),
    (["--method", "dpo", "--trees", "{trees}"], UsageError, "read by --method tsp only"),
    (["--method", "dpo", "--samples", "{pairs}"], UsageError, "read by --method spin only"),
    (["train.method=ppo"], ConfigError, "sft | dpo | spin | tsp"),
    (["--method", "dpo", "--model", "./no/such/model"], ModelError, "model folder not found"),
])
def test_bad_combinations_are_errors_that_say_what_to_pass(files, tmp_path, argv, error, says):
    argv = [a.format(**files) for a in argv]
    with pytest.raises(error, match=says):
        train_cli("--tasks", files["tasks"], "--model", files["model"], "-o", str(tmp_path / "m"), *argv)


def test_no_tasks_and_unknown_methods_are_refused(files, tmp_path):
    with pytest.raises(UsageError, match="no tasks given"):
        train_cli("--method", "sft", "--model", files["model"], "-o", str(tmp_path / "m"))
    with pytest.raises(SystemExit):
        train_cli("--method", "ppo", "-o", str(tmp_path / "m"))


def test_help_teaches_one_example_per_method():
    parser = argparse.ArgumentParser(prog="treeplay")
    text = add_train_parser(parser.add_subparsers()).format_help()
    for method in ("sft", "dpo", "spin", "tsp"):
        assert f"treeplay train --method {method}" in text
    assert "accelerate launch" in text and "resumes" in text
    from treeplay.train import train_cmd, trainer

    assert train_cmd.METHODS == trainer.METHODS


def test_config_defaults_are_the_trainers_defaults():
    from treeplay.config import load_config
    from treeplay.train.train_cmd import train_params
    from treeplay.train.trainer import TrainParams

    assert train_params(load_config().train, "tsp") == TrainParams()


def test_checkpoint_fingerprint_keeps_the_keys_it_had_before_train_params_was_the_train_section():
    """Resuming a checkpoint compares its fingerprint: its params are the loop's keys, as they always were."""
    from dataclasses import asdict

    from treeplay.train.logps import DEFAULT_CHUNK
    from treeplay.train.trainer import _NOT_IN_FINGERPRINT, _SHAPE_GROUPS, TrainParams

    kept = {k for k in asdict(TrainParams()) if k not in _NOT_IN_FINGERPRINT + _SHAPE_GROUPS}
    assert kept == {"method", "beta", "loss", "sft_weight", "lora", "lora_r", "lora_alpha", "lora_dropout", "lr",
                    "weight_decay", "epochs", "max_steps", "batch_size", "grad_accum", "warmup_ratio", "schedule",
                    "max_grad_norm", "bf16", "seed"}
    assert TrainParams().logits_chunk == DEFAULT_CHUNK


def test_builtin_task_sources_name_a_split_and_a_language():
    from treeplay.train.train_cmd import _tasks

    tasks = _tasks("builtin:train:python", "data")
    assert tasks and {t.language for t in tasks} == {"python"} and {t.split for t in tasks} == {"train"}
