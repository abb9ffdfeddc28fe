"""treeplay demo: its settings are configs/demo.yaml's, and the command runs end to end (on the tiny model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import run_subcommand
from treeplay.config import load_config
from treeplay.demo import add_demo_parser, demo_config

REPO = Path(__file__).resolve().parents[1]


def test_demo_settings_are_those_of_configs_demo_yaml():
    assert demo_config() == load_config(REPO / "configs" / "demo.yaml")


def test_demo_trains_on_builtin_python_and_evaluates_on_the_held_out_split():
    config = demo_config()
    assert (config.tasks, config.eval.benchmark) == ("builtin:train:python", "builtin:test")
    assert (config.train.method, config.pairs.mode, config.iterations) == ("tsp", "verified", 1)


@pytest.mark.slow
@pytest.mark.tools
def test_demo_runs_end_to_end_and_prints_the_table_and_the_report(tmp_path, capsys):
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed (make setup installs it)")
    from tests.train.helpers import save_tiny
    from treeplay.data.builtin import load_builtin
    from treeplay.records import write_jsonl

    tasks = [t for t in load_builtin() if t.id in ("py_sqli_user_search", "py_xss_comment_list")]
    write_jsonl(tmp_path / "train.jsonl", tasks)
    model = save_tiny(tmp_path / "tiny")
    out = tmp_path / "demo"
    argv = ["--out", str(out), f"model.name={model}", f"tasks={tmp_path / 'train.jsonl'}", "eval.limit=2",
            "grow.width=2", "grow.max_new_tokens=8", "eval.max_new_tokens=8", "score.analyzers=[bandit]",
            "train.lr=1e-3"]
    assert run_subcommand(add_demo_parser, "demo", argv) == 0
    text = capsys.readouterr().out
    assert "base" in text and "iteration 1" in text and f"report: {out / 'report.html'}" in text
    assert (out / "report.html").stat().st_size > 10_000 and (out / "iter_1" / "model" / "trainer_state.json").exists()
    assert sorted(p.name for p in (out / "eval").iterdir()) == ["iter_0", "iter_1"]


def test_demo_settings_ship_inside_the_package():
    """An installed treeplay has no configs/ folder: the demo reads package data that pyproject.toml ships."""
    import tomllib

    import treeplay

    assert (Path(treeplay.__file__).parent / "presets" / "demo.yaml").is_file()
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "presets/*.yaml" in project["tool"]["setuptools"]["package-data"]["treeplay"]
