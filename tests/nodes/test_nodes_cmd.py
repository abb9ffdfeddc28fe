"""``treeplay nodes``: writes nodes.jsonl, prints statistics, refuses incomplete requests."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run_subcommand
from treeplay.errors import UsageError
from treeplay.nodes.nodes_cmd import add_nodes_parser
from treeplay.records import RiskNode, load_jsonl, write_jsonl

from .fixtures import annotation, program_task, python_task


def run(argv):
    return run_subcommand(add_nodes_parser, "nodes", argv)


@pytest.fixture
def tasks_file(tmp_path):
    path = tmp_path / "tasks.jsonl"
    tasks = [python_task(annotations=(annotation("return html"), annotation("not in the code at all"))),
             program_task()]
    write_jsonl(path, tasks)
    return path


def test_nodes_cmd_writes_nodes_jsonl(tasks_file, tmp_path, capsys):
    out = tmp_path / "nodes.jsonl"
    assert run([str(tasks_file), "--method", "diff", "-o", str(out)]) == 0
    nodes = load_jsonl(out, RiskNode)
    assert [(n.task_id, n.line) for n in nodes] == [("t-render", 2), ("t-render", 3), ("t-render", 4),
                                                   ("t-render", 5), ("t-read", 5), ("t-read", 6), ("t-read", 7)]
    assert "wrote 7 diff nodes for 2 of 2 tasks" in capsys.readouterr().out


def test_nodes_stats_json_has_exact_keys(tasks_file, capsys):
    assert run([str(tasks_file), "--method", "annotation", "--stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats == {"tasks": 2, "tasks_with_nodes": 1, "nodes": 1, "unmatched": 1, "by_cwe": {"CWE-79": 1}}


def test_nodes_stats_text_shows_nodes_per_task_and_cwe(tasks_file, capsys):
    assert run([str(tasks_file), "--method", "diff", "--hunk-starts", "--stats"]) == 0
    text = capsys.readouterr().out
    assert "nodes: 2" in text and "nodes per task:" in text and "CWE-22" in text and "CWE-79" in text


def test_config_override_caps_nodes_and_picks_method(tasks_file, tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("nodes:\n  method: diff\n")
    assert run([str(tasks_file), "--config", str(config), "nodes.max_nodes=1", "--stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"] == 2
    # overrides may also follow the options, as `treeplay nodes --help` shows
    assert run([str(tasks_file), "--stats", "--json", "--config", str(config), "nodes.max_nodes=2"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"] == 4


def test_nodes_cmd_without_output_or_stats_is_usage_error(tasks_file):
    with pytest.raises(UsageError, match="nothing to do"):
        run([str(tasks_file), "--method", "diff"])


def test_annotation_method_without_annotations_says_how_to_get_them(tmp_path):
    path = tmp_path / "t.jsonl"
    write_jsonl(path, [program_task()])
    with pytest.raises(UsageError, match="no task carries annotations") as err:
        run([str(path), "--method", "annotation", "--stats"])
    assert "tsp-annotated" in err.value.fix


def test_llm_method_without_endpoint_is_usage_error(tasks_file):
    with pytest.raises(UsageError, match="nodes.endpoint"):
        run([str(tasks_file), "--method", "llm", "--stats"])


@pytest.mark.shared_data
def test_paper_annotations_through_the_command(shared_data, capsys):
    path = shared_data / "tsp" / "sec-new-desc_annotated.json"
    if not path.exists():
        pytest.skip("tsp/sec-new-desc_annotated.json not present")
    assert run([str(path), "--format", "tsp-annotated", "--method", "annotation", "--stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["tasks"] == 421 and stats["tasks_with_nodes"] == 421
    assert stats["nodes"] + stats["unmatched"] <= 1455 and stats["unmatched"] <= 15
