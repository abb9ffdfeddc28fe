"""Generations files: native JSONL and the paper's JSON list become Candidates; bad input names file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treeplay.data.securityeval import import_securityeval
from treeplay.errors import DataError
from treeplay.eval.generations import read_generations, write_generations
from treeplay.records import Candidate, load_jsonl

from .fixtures import COMPLETIONS, PAPER_GENERATIONS, SECURITYEVAL, task_id, write_json, write_lines


@pytest.fixture
def tasks(tmp_path: Path) -> dict:
    return {t.id: t for t in import_securityeval(write_json(tmp_path / "prompts.json", SECURITYEVAL))}


def test_paper_list_maps_ids_to_tasks_and_splits_off_the_prompt(tmp_path, tasks):
    cands = read_generations(write_json(tmp_path / "gen.json", PAPER_GENERATIONS), tasks)
    assert [c.task_id for c in cands] == [task_id(e) for e in SECURITYEVAL]
    assert [c.completion for c in cands] == COMPLETIONS
    assert cands[0].candidate_id == "securityeval-CWE-078_author_1/s0"


def test_paper_ids_match_without_extension_and_repeat_as_more_samples(tmp_path, tasks):
    entry = dict(PAPER_GENERATIONS[1], ID="CWE-078_author_2")
    cands = read_generations(write_json(tmp_path / "gen.json", [entry, PAPER_GENERATIONS[1]]), tasks)
    assert [c.candidate_id for c in cands] == ["securityeval-CWE-078_author_2/s0", "securityeval-CWE-078_author_2/s1"]


def test_paper_id_without_a_task_names_file_entry_and_line(tmp_path, tasks):
    path = write_json(tmp_path / "gen.json", [PAPER_GENERATIONS[0], dict(PAPER_GENERATIONS[1], ID="CWE-999_x.py")])
    with pytest.raises(DataError) as info:
        read_generations(path, tasks)
    err = info.value
    assert err.file == str(path) and err.line is not None and err.line > 1
    assert "entry 2" in err.message and "CWE-999_x.py" in err.message


def test_paper_generation_must_start_with_the_prompt(tmp_path, tasks):
    path = write_json(tmp_path / "gen.json", [dict(PAPER_GENERATIONS[0], Generation="print(1)\n")])
    with pytest.raises(DataError, match="does not start with the task's prompt"):
        read_generations(path, tasks)


def test_paper_entry_without_generation_is_a_data_error(tmp_path, tasks):
    path = write_json(tmp_path / "gen.json", [{"ID": "CWE-078_author_1.py", "Prompt": "x"}])
    with pytest.raises(DataError, match="Generation") as info:
        read_generations(path, tasks)
    assert info.value.line == 2


def test_native_lines_get_sample_ids_per_task(tmp_path, tasks):
    a, b = task_id(SECURITYEVAL[0]), task_id(SECURITYEVAL[1])
    rows = [{"task_id": a, "completion": "x\n"}, {"task_id": b, "completion": "y\n"},
            {"task_id": a, "completion": "z\n"}, {"task_id": b, "completion": "w\n", "candidate_id": "mine"}]
    cands = read_generations(write_lines(tmp_path / "g.jsonl", rows), tasks)
    assert [c.candidate_id for c in cands] == [f"{a}/s0", f"{b}/s0", f"{a}/s1", "mine"]


@pytest.mark.parametrize("bad, message", [
    ("{not json", "not valid JSON"),
    ('{"task_id": "securityeval-CWE-078_author_1"}', "missing required key 'completion'"),
    ('{"task_id": "nope", "completion": ""}', "not a task of this benchmark"),
    ('{"task_id": "securityeval-CWE-078_author_1", "completion": "", "candidate_id": "dup"}', "appears twice"),
])
def test_malformed_native_generations_name_file_and_line(tmp_path, tasks, bad, message):
    good = json.dumps({"task_id": task_id(SECURITYEVAL[1]), "completion": "", "candidate_id": "dup"})
    path = tmp_path / "g.jsonl"
    path.write_text(good + "\n\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as info:
        read_generations(path, tasks)
    assert (info.value.file, info.value.line) == (str(path), 3)
    assert f"{path}:3" in str(info.value)


def test_missing_generations_file_is_a_data_error(tmp_path, tasks):
    with pytest.raises(DataError, match="not found"):
        read_generations(tmp_path / "none.jsonl", tasks)


def test_written_generations_read_back_unchanged(tmp_path, tasks):
    cands = [Candidate(task_id(SECURITYEVAL[0]), "a\n", "securityeval-CWE-078_author_1/s0")]
    path = tmp_path / "out" / "generations.jsonl"
    assert write_generations(path, cands) == 1
    assert load_jsonl(path, Candidate) == cands == read_generations(path, tasks)
