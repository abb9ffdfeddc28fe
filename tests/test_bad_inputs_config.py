"""Bad configs (YAML files and dotted overrides): one error line naming the key (and the file), a fix, exit 2,
and no run folder: every section is checked before a command writes anything (``Config.validate``).

Cases run ``treeplay selfplay`` (the command that writes most: a run folder) with a model that does not exist,
so a bad value that slipped through would fail at its first stage instead of training anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bad_inputs import BINARY, LATIN1, assert_one_line_error, write_bytes, write_lines
from tests.bad_inputs import ws as ws  # noqa: F401  (the fixture)
from treeplay.config import load_config

GUARD = ["name=r", "tasks=builtin:train:python", "model.name=./no-such-model"]

BAD_OVERRIDES = [  # each error names the key overridden, unless KEY_NAMED says otherwise
    "iterations=-1", "seed=-3", "languages=[cobol]", "name=..", "tasks=missing.jsonl",
    "grow.width=-4", "grow.width=0", "grow.width=four", "grow.temperature=inf", "grow.temperature=-1",
    "grow.top_p=1.5", "grow.top_p=nan", "grow.max_new_tokens=0", "grow.depth=0", "grow.stop=x", "grow.backend=vllm",
    "grow.backend=openai", "grow.widht=3", "grow=3",
    "train.lr=-1", "train.lr=0", "train.lr=nan", "train.method=x", "train.beta=-0.1", "train.loss=kto",
    "train.warmup_ratio=1", "train.epochs=0", "train.batch_size=-2", "train.max_steps=0", "train.schedule=step",
    "train.lora_dropout=1.5", "train.spin_samples=0", "train.loss_tokens=some", "train.max_length=1",
    "train.max_length=-5", "train.checkpointing=partial", "train.logits_chunk=0",
    "score.timeout=nan", "score.timeout=0", "score.timeout=-5", "score.workers=0", "score.analyzers=[nope]",
    "score.severity=extreme", "pairs.mode=bogus", "pairs.inherited_findings=some",
    "pairs.inherited_findings=ignore",
    "nodes.method=guess", "nodes.max_nodes=0",
    "model.dtype=float8", "model.device=gpu", "model.prompt_format=xml",
    "eval.n_samples=0", "eval.temperature=nan", "eval.bootstrap=0", "eval.limit=-1", "eval.languages=[klingon]",
    "eval.benchmark=securityeval",
]
KEY_NAMED = {"grow.backend=openai": "grow.endpoint", "eval.benchmark=securityeval": "eval.data"}


@pytest.mark.parametrize("override", BAD_OVERRIDES)
def test_bad_override_is_one_line_exit_2_nothing_written(override: str, ws: Path, capsys) -> None:
    key = KEY_NAMED.get(override, override.split("=")[0])
    assert_one_line_error(["selfplay", *GUARD, override], capsys, ws, [key])
    assert not (ws / "runs").exists()


def _yaml(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


BAD_FILES = [
    ("binary", BINARY, []),
    ("latin1", b"name: " + LATIN1 + b"\n", ["line 1"]),
    ("nul-byte", b"name: a\x00b\n", []),
    ("top-level-list", b"- grow\n- width\n", ["mapping"]),
    ("top-level-scalar", b"42\n", ["mapping"]),
    ("bad-syntax", b"grow:\n  width: [1, 2\n", ["line"]),
    ("unknown-key", b"grow:\n  branches: 4\n", ["grow.branches"]),
    ("section-a-list", b"grow: [1, 2]\n", ["grow"]),
    ("width-negative", b"grow:\n  width: -4\n", ["grow.width"]),
    ("lr-nan", b"train:\n  lr: .nan\n", ["train.lr"]),
    ("iterations-string", b"iterations: many\n", ["iterations"]),
    ("mode-unknown", b"pairs:\n  mode: bogus\n", ["pairs.mode"]),
]


@pytest.mark.parametrize("content, names", [pytest.param(c, n, id=i) for i, c, n in BAD_FILES])
def test_bad_config_file_is_one_line_exit_2_nothing_written(content: bytes, names: list[str], ws: Path,
                                                            capsys) -> None:
    path = write_bytes(ws / "c.yaml", _yaml(content))
    assert_one_line_error(["selfplay", "--config", path, *GUARD], capsys, ws, ["c.yaml", *names])
    assert not (ws / "runs").exists()


def test_config_that_is_a_folder_or_missing_is_one_line_exit_2(ws: Path, capsys) -> None:
    (ws / "conf").mkdir()
    assert_one_line_error(["selfplay", "--config", ws / "conf", *GUARD], capsys, ws, ["conf", "folder"])
    assert_one_line_error(["selfplay", "--config", ws / "nope.yaml", *GUARD], capsys, ws, ["nope.yaml"])


def _stage_argv(command: str, ws: Path) -> list[str]:
    tasks = write_lines(ws / "t.jsonl", [{"schema_version": 1}])
    return {"nodes": ["nodes", tasks, "-o", ws / "n.jsonl"], "grow": ["grow", tasks, tasks, "-o", ws / "tr.jsonl"],
            "pairs": ["pairs", tasks, tasks, "-o", ws / "p.jsonl"],
            "train": ["train", "--tasks", tasks, "-o", ws / "model"],
            "eval": ["eval", "--benchmark", "builtin", "--out", ws / "e"], "report": ["report", ws],
            "demo": ["demo", "--out", ws / "d"], "selfplay": ["selfplay", "--out", ws / "run"]}[command]


@pytest.mark.parametrize("command", ["nodes", "grow", "pairs", "train", "eval", "report", "demo", "selfplay"])
@pytest.mark.parametrize("override, key", [("train.lr=-1", "train.lr"), ("score.timeout=inf", "score.timeout")])
def test_every_command_checks_every_section_first(command: str, override: str, key: str, ws: Path,
                                                  capsys) -> None:
    assert_one_line_error([*_stage_argv(command, ws), override], capsys, ws, [key])


def test_a_rejected_selfplay_leaves_nothing_so_the_corrected_command_runs(ws: Path, capsys) -> None:
    from treeplay.selfplay import prepare, run_dir

    for bad in ("grow.width=-4", "train.lr=-1", "iterations=-1"):
        assert_one_line_error(["selfplay", *GUARD, bad], capsys, ws, [bad.split("=")[0]])
    config = load_config(None, [*GUARD, "grow.width=4", "train.lr=1e-5"])
    prepare(config, run_dir(config))  # what the corrected command does first: accepted, not "a different config"
    assert (ws / "runs" / "r" / "config.yaml").is_file() and (ws / "runs" / "r" / "tasks.jsonl").is_file()


def test_values_from_the_file_name_the_file_and_overrides_do_not(tmp_path: Path) -> None:
    from treeplay.errors import ConfigError

    path = tmp_path / "c.yaml"
    path.write_text("grow:\n  width: -4\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert (err.value.file, err.value.key) == (str(path), "grow.width")
    with pytest.raises(ConfigError) as err:
        load_config(path, ["grow.width=2", "train.lr=-1"])
    assert (err.value.file, err.value.key) == (None, "train.lr")
    assert load_config(path, ["grow.width=2"]).grow.width == 2


def test_config_checks_name_the_trainers_losses_and_schedules() -> None:
    from treeplay import config_checks
    from treeplay.train import losses, trainer

    assert config_checks.LOSSES == losses.LOSSES and config_checks.SCHEDULES == tuple(trainer.SCHEDULES)
