"""Records survive JSONL round trips exactly, and bad lines are refused with file:line."""

from __future__ import annotations

import json

import pytest

from treeplay.errors import DataError
from treeplay.records import (
    SCHEMA_VERSION,
    Annotation,
    Branch,
    Finding,
    PreferencePair,
    RiskNode,
    Task,
    TestSuite,
    Tree,
    Verdict,
    append_jsonl,
    dumps,
    from_dict,
    load_jsonl,
    resume_jsonl,
    to_dict,
    write_jsonl,
)

TASK = Task(id="t1", language="python", cwes=("CWE-89",), prompt="write it", prefix="def f():\n",
            golden="def f():\n    return 1\n", vulnerable=("def f():\n    return 2\n",),
            tests=TestSuite(kind="native", files={"test_functional.py": "def test_a(): pass\n"},
                            module="solution.py", functional=True, security=False, entry_point="f"),
            annotations=(Annotation(index=1, code_line="return 1", cwe="CWE-89", description="d"),),
            source="builtin", license="x", split="train", meta={"k": [1, 2]})
NODE = RiskNode(task_id="t1", line=2, char_offset=9, method="diff", cwe="CWE-89", reason="changed line",
                token_position=5)
RECORDS = [
    TASK, NODE,
    Tree(task_id="t1", iteration=1, prompt_token_ids=(1, 2), golden_token_ids=(3, 4, 5), nodes=(NODE,),
         branches=(Branch(node_index=0, token_ids=(7, 8), text="x", finish_reason="stop"),), model="m", seed=3),
    Verdict(candidate_id="c", task_id="t1", parsed=True,
            findings=(Finding(tool="bandit", rule="B608", cwe="CWE-89", line=2, severity="medium", message="m"),),
            functional=True, secure_tests=None),
    PreferencePair(task_id="t1", prompt="p", prefix="def f():\n", chosen="    return 1\n", rejected="    return 2\n",
                   mode="paper", reason="branch", node_line=2, shared_prefix_tokens=5, chosen_token_ids=(1,)),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_jsonl_round_trip_is_exact(tmp_path, record):
    path = tmp_path / "r.jsonl"
    write_jsonl(path, [record, record])
    assert load_jsonl(path, type(record)) == [record, record]
    assert json.loads(path.read_text().splitlines()[0])["schema_version"] == SCHEMA_VERSION


def test_serialisation_is_byte_stable():
    assert dumps(TASK) == dumps(from_dict(Task, to_dict(TASK)))


def test_append_adds_one_durable_line_per_record(tmp_path):
    path = tmp_path / "a.jsonl"
    append_jsonl(path, NODE)
    append_jsonl(path, NODE)
    assert len(path.read_text().splitlines()) == 2 and load_jsonl(path, RiskNode) == [NODE, NODE]


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    write_jsonl(tmp_path / "x.jsonl", [NODE])
    assert [p.name for p in tmp_path.iterdir()] == ["x.jsonl"]


@pytest.mark.parametrize("line, message", [
    ('{"task_id": "t", "line": "two", "char_offset": 0, "method": "diff"}', "RiskNode.line: expected int"),
    ('{"task_id": "t", "line": 2, "char_offset": 0}', "missing required key 'method'"),
    ('{"task_id": "t", "line": 2, "char_offset": 0, "method": "d", "colour": 1}', "unknown key(s) colour"),
    ('{"task_id": "t", "line": 2, "char_offset": 0, "method": "d", "schema_version": 99}', "schema_version 99"),
    ('{"task_id": "t", "line": 2,', "not valid JSON"),
    ('[1, 2]', "expected a JSON object"),
    ('{"task_id": "t", "line": true, "char_offset": 0, "method": "d"}', "expected int, got bool"),
])
def test_bad_line_is_reported_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "nodes.jsonl"
    good = dumps(NODE)
    path.write_text(f"{good}\n{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_jsonl(path, RiskNode)
    assert info.value.line == 3 and info.value.file == str(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:3: ")


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_jsonl(tmp_path / "nope.jsonl", Task)


def test_nested_type_errors_name_the_field_path():
    bad = to_dict(TASK)
    bad["tests"]["functional"] = "yes"
    with pytest.raises(DataError, match=r"Task\.tests\.functional: expected bool"):
        from_dict(Task, bad, file="f", line=1)


def test_resume_cuts_a_partial_last_line_and_keeps_complete_records(tmp_path):
    path = tmp_path / "trees.jsonl"
    append_jsonl(path, NODE)
    with path.open("a") as fh:
        fh.write(dumps(NODE)[:20])  # a crash in the middle of the second record
    assert resume_jsonl(path, RiskNode) == [NODE]
    append_jsonl(path, NODE)
    assert load_jsonl(path, RiskNode) == [NODE, NODE]
    assert resume_jsonl(tmp_path / "absent.jsonl", RiskNode) == []


def test_a_torn_line_is_cut_only_after_the_complete_lines_were_read(tmp_path):
    from treeplay.records import repair_torn_line

    path = tmp_path / "verdicts.jsonl"
    path.write_bytes(b'{"not": "a verdict"}\n{"half')
    with pytest.raises(DataError):
        resume_jsonl(path, Verdict)  # a wrong -o: reported, the file left as it was
    assert path.read_bytes() == b'{"not": "a verdict"}\n{"half'
    assert repair_torn_line(path, bytes.decode) == '{"not": "a verdict"}\n'
    assert path.read_bytes() == b'{"not": "a verdict"}\n'
    assert repair_torn_line(path, len) == len(path.read_bytes())  # nothing torn: untouched


def test_atomic_write_removes_what_a_killed_writer_left(tmp_path):
    from treeplay.records import write_text_atomic

    stale = tmp_path / ".out.json.tmp999999"
    stale.write_text("half a fi")
    write_text_atomic(tmp_path / "out.json", "{}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
