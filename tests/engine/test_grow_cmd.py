"""``treeplay grow``: the command end to end on a local tiny model folder, resume, config errors, light parser."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from tests.engine.helpers import C_TASK, NODES_LINES, PY_TASK, nodes_at
from treeplay.engine.grow_cmd import add_grow_parser
from treeplay.errors import ConfigError, UsageError
from treeplay.records import Tree, load_jsonl, write_jsonl


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="treeplay")
    add_grow_parser(parser.add_subparsers(dest="command"))
    return parser


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny):
    model, tok = tiny
    root = tmp_path_factory.mktemp("grow-cmd")
    model.save_pretrained(root / "model")
    tok.save_pretrained(root / "model")
    write_jsonl(root / "tasks.jsonl", [PY_TASK, C_TASK])
    write_jsonl(root / "nodes.jsonl", nodes_at(PY_TASK, NODES_LINES["py"]) + nodes_at(C_TASK, NODES_LINES["c"]))
    return root


def test_grow_command_writes_one_tree_per_task_and_resumes(files, tmp_path, capsys):
    out = tmp_path / "iter_1" / "trees.jsonl"
    argv = ["grow", str(files / "tasks.jsonl"), str(files / "nodes.jsonl"), "-o", str(out), "--model",
            str(files / "model"), "--no-progress", "--iteration", "1", "grow.width=2", "grow.max_new_tokens=6"]
    assert _run(argv) == 0
    trees = load_jsonl(out, Tree)
    assert [t.task_id for t in trees] == ["py_search", "c_copy"] and all(t.iteration == 1 for t in trees)
    assert all(len(t.branches) == 2 * len(t.nodes) for t in trees)
    assert trees[0].sampling["max_new_tokens"] == 6 and trees[0].model == str(files / "model")
    assert "grew 2 trees" in capsys.readouterr().out
    before = out.read_bytes()
    assert _run(argv) == 0
    assert out.read_bytes() == before and "2 already there" in capsys.readouterr().out


def test_shard_grows_every_nth_task(files, tmp_path):
    out = tmp_path / "trees.jsonl"
    assert _run(["grow", str(files / "tasks.jsonl"), str(files / "nodes.jsonl"), "-o", str(out), "--model",
                 str(files / "model"), "--no-progress", "--shard", "1/2", "grow.max_new_tokens=2"]) == 0
    assert [t.task_id for t in load_jsonl(out, Tree)] == ["c_copy"]
    with pytest.raises(UsageError):
        _run(["grow", "t", "n", "-o", str(out), "--shard", "2/2"])


@pytest.mark.parametrize("override, key", [("grow.top_p=2", "grow.top_p"), ("grow.backend=openai", "grow.endpoint"),
                                           ("grow.stop=sometimes", "grow.stop")])
def test_bad_grow_settings_are_config_errors_naming_the_key(files, tmp_path, override, key):
    with pytest.raises(ConfigError) as err:
        _run(["grow", str(files / "tasks.jsonl"), str(files / "nodes.jsonl"), "-o", str(tmp_path / "t.jsonl"),
              override])
    assert err.value.key == key


def test_building_the_grow_parser_imports_no_torch():
    code = ("import argparse, sys\nfrom treeplay.engine.grow_cmd import add_grow_parser\n"
            "p = argparse.ArgumentParser(); add_grow_parser(p.add_subparsers())\n"
            "p.parse_args(['grow', 'a', 'b', '-o', 'c'])\n"
            "sys.exit(1 if {'torch', 'transformers'} & set(sys.modules) else 0)\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
