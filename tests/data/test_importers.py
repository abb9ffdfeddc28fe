"""Every importer maps its format onto Task records faithfully and rejects malformed input with file:line."""

from __future__ import annotations

import json

import pytest

from tests.data import fixtures
from treeplay.data.cwe import canonical_cwe, try_canonical_cwe
from treeplay.data.importers import FORMATS, import_tasks, task_stats
from treeplay.data.tsp_annotated import parse_annotations
from treeplay.errors import DataError, UsageError
from treeplay.records import Task, dumps, load_jsonl, write_jsonl


@pytest.mark.parametrize("raw, expected", [("cwe-079", "CWE-79"), ("CWE-89", "CWE-89"), ("79", "CWE-79"),
                                           (1333, "CWE-1333"), ("CWE_022", "CWE-22"), (" cwe 502 ", "CWE-502")])
def test_cwe_ids_are_canonicalised(raw, expected):
    assert canonical_cwe(raw) == expected


def test_non_cwe_ids_are_rejected():
    with pytest.raises(ValueError):
        canonical_cwe("XSS")
    assert try_canonical_cwe("n/a") is None and try_canonical_cwe(None) is None


def test_safecoder_golden_is_fixed_code_and_vulnerable_is_original(tmp_path):
    tasks = import_tasks("safecoder", fixtures.write_safecoder(tmp_path))
    assert [t.language for t in tasks] == ["python", "javascript"]
    first = tasks[0]
    assert first.golden == fixtures.SAFECODER[0]["func_src_after"]
    assert first.vulnerable == (fixtures.SAFECODER[0]["func_src_before"],)
    assert first.cwes == ("CWE-89",) and first.split == "train" and first.prefix == ""
    assert first.meta["line_changes"]["added"][0]["line_no"] == 2
    assert first.prompt == fixtures.SAFECODER[0]["description"]


def test_tsp_annotated_keeps_annotations_and_shares_ids_with_safecoder(tmp_path):
    plain = import_tasks("safecoder", fixtures.write_safecoder(tmp_path))
    annotated = import_tasks("tsp-annotated", fixtures.write_tsp_annotated(tmp_path))
    assert [t.id for t in annotated] == [t.id for t in plain]
    notes = annotated[0].annotations
    assert [(a.index, a.cwe) for a in notes] == [(1, "CWE-89"), (2, "CWE-20")]
    assert notes[0].code_line == 'return db.execute("SELECT * FROM u WHERE n=?", (name,))'
    assert notes[0].description.startswith("SQL injection.")
    assert annotated[1].annotations == ()


def test_annotation_parser_tolerates_missing_fields():
    notes = parse_annotations("[[1]]\n[Code_Line] x = 1\n[[2]]\n[CWE_ID]CWE-79\n")
    assert len(notes) == 1 and notes[0].cwe is None and notes[0].code_line == "x = 1"


def test_securityeval_prompt_is_the_prefix(tmp_path):
    tasks = import_tasks("securityeval", fixtures.write_json_list(tmp_path, "p.json", fixtures.SECURITYEVAL))
    assert tasks[0].id == "securityeval-CWE-078_author_1" and tasks[0].cwes == ("CWE-78",)
    assert tasks[0].prefix == fixtures.SECURITYEVAL[0]["Prompt"] and tasks[0].golden is None
    assert tasks[0].vulnerable[0].startswith(tasks[0].prefix)
    assert tasks[1].vulnerable == ()  # an empty insecure example is not a variant


def test_seccodeplt_builds_whole_programs_and_keeps_tests(tmp_path):
    tasks = import_tasks("seccodeplt", fixtures.write_json_list(tmp_path, "dev.json", fixtures.SECCODEPLT))
    with_tests, without = tasks
    assert with_tests.split == "dev" and with_tests.cwes == ("CWE-22",)
    assert with_tests.prefix == "from pathlib import Path\nBASE = Path('/srv/docs')\n\ndef read_doc(name):"
    assert with_tests.golden.startswith(with_tests.prefix) and "raise ValueError" in with_tests.golden
    assert with_tests.golden.endswith("return p.read_text()")
    assert with_tests.vulnerable[0] == with_tests.prefix + "\n    p = BASE / name\n    return p.read_text()"
    suite = with_tests.tests
    assert suite.kind == "seccodeplt" and suite.entry_point == "read_doc"
    assert suite.functional and suite.security and "testcases" in suite.files["testcases.py"]
    assert "Security policy:" in with_tests.prompt
    assert without.tests is None
    assert task_stats(tasks)["with_tests"] == 1


def test_seccodeplt_ships_its_setup_as_setup_py(tmp_path):
    """The runner evaluates expected values with the setup alone, never with the candidate loaded."""
    with_tests, without = import_tasks("seccodeplt", fixtures.write_json_list(tmp_path, "dev.json",
                                                                            fixtures.SECCODEPLT))
    assert with_tests.tests.files["setup.py"] == fixtures.SECCODEPLT[0]["unittest"]["setup"]
    assert set(with_tests.tests.files) == {"testcases.py", "setup.py"} and without.tests is None
    no_setup = [dict(fixtures.SECCODEPLT[0], unittest=dict(fixtures.SECCODEPLT[0]["unittest"], setup="  \n"))]
    only = import_tasks("seccodeplt", fixtures.write_json_list(tmp_path, "x.json", no_setup))[0]
    assert set(only.tests.files) == {"testcases.py"}


def test_cweval_prefix_stops_at_the_solution_marker(tmp_path):
    tasks = import_tasks("cweval", fixtures.write_cweval(tmp_path))
    (task,) = tasks
    assert task.id == "cweval-python-cwe_022_0" and task.cwes == ("CWE-22",)
    assert task.prefix.endswith("'''Read filename inside dir_path; return '' on any error.'''\n")
    assert "BEGIN SOLUTION" not in task.prefix and task.golden.startswith(task.prefix)
    assert task.tests.kind == "cweval" and task.tests.module == "cwe_022_0_task.py"
    assert set(task.tests.files) == {"cwe_022_0_test.py", "pytest.ini"}
    assert task.tests.functional and task.tests.security and task.entry_point == "read_file_from_dir"


def test_sec_eval_keeps_the_split_of_every_scenario(tmp_path):
    tasks = import_tasks("sec-eval", fixtures.write_sec_eval(tmp_path))
    assert {t.split for t in tasks} == {"trained", "trained-new", "not-trained"}
    by_split = {t.split: t for t in tasks}
    assert by_split["not-trained"].cwes == ("CWE-918",)
    assert by_split["trained"].prefix == "import os\ndef f():\n"
    assert by_split["trained-new"].language == "c"
    # one split folder on its own also imports
    assert len(import_tasks("sec-eval", tmp_path / "sec_eval" / "trained")) == 1


def test_native_round_trip_is_lossless(tmp_path):
    tasks = (import_tasks("seccodeplt", fixtures.write_json_list(tmp_path, "dev.json", fixtures.SECCODEPLT))
             + import_tasks("tsp-annotated", fixtures.write_tsp_annotated(tmp_path)))
    out = tmp_path / "tasks.jsonl"
    write_jsonl(out, tasks)
    assert import_tasks("native", out) == tasks
    assert load_jsonl(out, Task) == tasks


def test_unknown_format_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        import_tasks("csv", tmp_path)


BAD_LINE = '{"func_name": "x", "file_name": "a.py"\n'


@pytest.mark.parametrize("fmt", FORMATS)
def test_malformed_input_names_file_and_line(tmp_path, fmt):
    if fmt in ("safecoder", "native"):
        path = tmp_path / "in.jsonl"
        good = (json.dumps(fixtures.SAFECODER[0]) if fmt == "safecoder"
                else dumps(Task(id="t", language="python", cwes=("CWE-1",), prompt="p")))
        path.write_text(good + "\n\n" + BAD_LINE, encoding="utf-8")
        expected_line = 3
    elif fmt in ("tsp-annotated", "securityeval", "seccodeplt"):
        good = {"tsp-annotated": dict(fixtures.SAFECODER[0], output=""), "securityeval": fixtures.SECURITYEVAL[0],
                "seccodeplt": fixtures.SECCODEPLT[0]}[fmt]
        text = json.dumps([good], indent=1)
        # a second element that lacks every key the format needs, starting on a known line
        text = text[:-2] + ',\n {"unexpected": 1}\n]'
        path = tmp_path / "in.json"
        path.write_text(text, encoding="utf-8")
        expected_line = text[: text.index('{"unexpected"')].count("\n") + 1
    elif fmt == "cweval":
        root = fixtures.write_cweval(tmp_path)
        task = root / "core" / "py" / "cwe_022_0_task.py"
        task.write_text(task.read_text().replace("# BEGIN SOLUTION", "# (marker removed)"))
        path, expected_line = root, None
    else:  # sec-eval
        root = fixtures.write_sec_eval(tmp_path)
        (root / "trained" / "cwe-022" / "0-py" / "info.json").write_text('{"language": "py",\n "cwe": }')
        path, expected_line = root, 2
    with pytest.raises(DataError) as info:
        import_tasks(fmt, path)
    err = info.value
    assert err.file is not None and err.line == expected_line, (str(err), expected_line)


def test_sec_eval_takes_the_cwe_of_the_scenario_folder_when_info_json_disagrees(tmp_path):
    root = fixtures.write_sec_eval(tmp_path)
    info_path = root / "trained" / "cwe-022" / "0-py" / "info.json"
    info = json.loads(info_path.read_text())
    info_path.write_text(json.dumps({**info, "cwe": "CWE-116"}))
    (task,) = [t for t in import_tasks("sec-eval", root) if t.split == "trained"]
    assert task.cwes == ("CWE-22",) and task.meta["info_cwe"] == "CWE-116"
