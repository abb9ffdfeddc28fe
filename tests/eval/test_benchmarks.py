"""Benchmark names resolve to tasks: builtin ships, public ones need --data, any tasks.jsonl works."""

from __future__ import annotations

import pytest

from treeplay.errors import DataError, UsageError
from treeplay.eval.benchmarks import load_benchmark, select_tasks
from treeplay.records import Task, write_jsonl

from .fixtures import SECURITYEVAL, write_json


def test_builtin_benchmark_is_bundled_with_tests():
    bench = load_benchmark("builtin")
    assert bench.name == "builtin" and len(bench.tasks) >= 40
    assert all(t.tests is not None for t in bench.tasks)


def test_builtin_reads_no_data(tmp_path):
    with pytest.raises(UsageError, match="no --data"):
        load_benchmark("builtin", tmp_path)


def test_public_benchmarks_need_data():
    with pytest.raises(UsageError) as info:
        load_benchmark("securityeval")
    assert "--data" in info.value.fix


def test_securityeval_reads_its_prompts_file(tmp_path):
    bench = load_benchmark("securityeval", write_json(tmp_path / "prompts.json", SECURITYEVAL))
    assert bench.name == "securityeval"
    assert [t.id for t in bench.tasks][:2] == ["securityeval-CWE-078_author_1", "securityeval-CWE-078_author_2"]


def test_a_tasks_file_is_a_benchmark_named_after_it(tmp_path):
    path = tmp_path / "mine.jsonl"
    write_jsonl(path, [Task(id="a", language="python", cwes=("CWE-78",), prompt="p")])
    bench = load_benchmark(str(path))
    assert bench.name == "mine" and [t.id for t in bench.tasks] == ["a"]


def test_repeated_task_ids_are_refused(tmp_path):
    path = tmp_path / "dup.jsonl"
    task = Task(id="a", language="python", cwes=(), prompt="p")
    write_jsonl(path, [task, task])
    with pytest.raises(DataError, match="appears twice"):
        load_benchmark(str(path))


def test_unknown_benchmark_lists_the_names():
    with pytest.raises(UsageError) as info:
        load_benchmark("humaneval")
    assert "securityeval" in info.value.fix


def test_limit_keeps_the_first_tasks():
    tasks = load_benchmark("builtin").tasks
    assert select_tasks(tasks, 3) == list(tasks[:3])
    with pytest.raises(UsageError):
        select_tasks(tasks, 0)


@pytest.mark.shared_data
def test_real_securityeval_has_121_prompts(shared_data):
    bench = load_benchmark("securityeval", shared_data / "securityeval" / "prompts.json")
    assert len(bench.tasks) == 121 and {t.language for t in bench.tasks} == {"python"}
