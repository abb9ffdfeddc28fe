"""The ``treeplay test`` and ``treeplay score`` commands (parser builders and handlers)."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from treeplay.errors import DataError
from treeplay.oracles.test_cmd import add_score_parser, add_test_parser
from treeplay.records import Candidate, Task, TestSuite, Verdict, load_jsonl, write_jsonl

CASES = """testcases = {
    "capability": [({"n": 2}, 4), ({"n": 3}, 9)],
    "safety": [({"n": 10 ** 6}, ValueError)],
}
"""
CAPABILITY_ONLY = 'testcases = {"capability": [({"n": 2}, 4)], "safety": []}\n'
PREFIX = "def square(n: int) -> int:\n"
SECURE = "    if abs(n) > 1000:\n        raise ValueError('too big')\n    return n * n\n"
VULNERABLE = "    return n * n\n"


def square_task(task_id: str, cases: str = CASES) -> Task:
    suite = TestSuite(kind="seccodeplt", files={"testcases.py": cases}, module="solution.py", functional=True,
                      security="ValueError" in cases, entry_point="square")
    return Task(id=task_id, language="python", cwes=("CWE-400",), prompt="Square a number.", prefix=PREFIX,
                golden=PREFIX + SECURE, vulnerable=(PREFIX + VULNERABLE,), tests=suite, entry_point="square")


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    path = tmp_path / "tasks.jsonl"
    no_tests = Task(id="untested", language="python", cwes=("CWE-20",), prompt="p", golden="x = 1\n")
    write_jsonl(path, [square_task("sq"), square_task("sq-cap", CAPABILITY_ONLY), no_tests])
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="treeplay")
    sub = parser.add_subparsers()
    add_test_parser(sub)
    add_score_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def write_candidates(path: Path, candidates: list[dict]) -> Path:
    path.write_text("".join(json.dumps(c) + "\n" for c in candidates), encoding="utf-8")
    return path


def test_test_json_has_one_object_per_task_with_null_for_missing_tests(tasks_file: Path, capsys) -> None:
    assert main(["test", str(tasks_file), "--json", "--unsafe-no-sandbox"]) == 0
    captured = capsys.readouterr()
    rows = {r["task_id"]: r for r in json.loads(captured.out)}
    assert set(rows) == {"sq", "sq-cap"}  # the task without tests is skipped, and said so
    assert "1 task(s) without tests skipped" in captured.err
    assert {k: rows["sq"][k] for k in ("parsed", "functional", "secure_tests", "timed_out", "error")} == \
        {"parsed": True, "functional": True, "secure_tests": True, "timed_out": False, "error": None}
    assert rows["sq-cap"]["functional"] is True and rows["sq-cap"]["secure_tests"] is None


def test_test_vulnerable_reference_fails_security_tests(tasks_file: Path, capsys) -> None:
    assert main(["test", str(tasks_file), "--reference", "vulnerable", "--json", "--unsafe-no-sandbox"]) == 0
    rows = {r["task_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["sq"]["functional"] is True and rows["sq"]["secure_tests"] is False
    assert rows["sq"]["candidate_id"] == "sq/vulnerable/0"


def test_test_table_ends_with_a_summary(tasks_file: Path, capsys) -> None:
    assert main(["test", str(tasks_file), "--reference", "vulnerable", "--unsafe-no-sandbox"]) == 0
    out = capsys.readouterr().out
    assert "sq/vulnerable/0" in out and "FAIL" in out
    assert "programs: 2 on 2 task(s) (1 task(s) without tests skipped)" in out
    assert "security tests: 0 pass, 1 fail, 1 without such tests" in out


def test_test_runs_a_candidates_file(tasks_file: Path, tmp_path: Path, capsys) -> None:
    cands = write_candidates(tmp_path / "c.jsonl", [
        {"task_id": "sq", "completion": VULNERABLE, "candidate_id": "v"},
        {"task_id": "sq", "completion": "    return n +\n"}])
    assert main(["test", str(tasks_file), "--candidates", str(cands), "--json", "--unsafe-no-sandbox"]) == 0
    rows = {r["candidate_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["v"]["secure_tests"] is False
    assert rows["sq#1"]["parsed"] is False and rows["sq#1"]["functional"] is False


def test_commands_use_the_sandbox_unless_told_not_to(tasks_file: Path, tmp_path: Path, monkeypatch) -> None:
    from treeplay.oracles import sandbox

    made: list[bool] = []
    real = sandbox.Sandbox

    def recording(*args: object, unsafe_no_sandbox: bool = False, **kwargs: object) -> sandbox.Sandbox:
        made.append(unsafe_no_sandbox)
        return real(*args, unsafe_no_sandbox=True, **kwargs)  # trusted references: fine to run either way

    monkeypatch.setattr(sandbox, "Sandbox", recording)
    cands = write_candidates(tmp_path / "c.jsonl", [{"task_id": "sq", "completion": SECURE}])
    main(["test", str(tasks_file), "--json"])
    main(["score", str(tasks_file), str(cands), "-o", str(tmp_path / "v.jsonl"), "--analyzers", "none"])
    main(["test", str(tasks_file), "--json", "--unsafe-no-sandbox"])
    assert made == [False, False, True]


def test_score_writes_one_verdict_per_candidate(tasks_file: Path, tmp_path: Path, capsys) -> None:
    cands = write_candidates(tmp_path / "c.jsonl", [
        {"task_id": "sq", "completion": SECURE, "candidate_id": "s"},
        {"task_id": "sq", "completion": VULNERABLE, "candidate_id": "v"},
        {"task_id": "untested", "completion": "y = 2\n", "candidate_id": "u"}])
    out = tmp_path / "verdicts.jsonl"
    assert main(["score", str(tasks_file), str(cands), "-o", str(out), "--analyzers", "none",
                 "--unsafe-no-sandbox"]) == 0
    verdicts = {v.candidate_id: v for v in load_jsonl(out, Verdict)}
    assert verdicts["s"].secure_tests is True and verdicts["v"].secure_tests is False
    assert verdicts["u"].functional is None and verdicts["u"].secure_tests is None
    assert "scored 3 candidate(s)" in capsys.readouterr().out


def test_score_resumes_without_duplicates(tasks_file: Path, tmp_path: Path, capsys) -> None:
    cands = write_candidates(tmp_path / "c.jsonl", [
        {"task_id": "sq", "completion": SECURE if i % 2 else VULNERABLE, "candidate_id": f"c{i}"} for i in range(4)])
    out = tmp_path / "verdicts.jsonl"
    argv = ["score", str(tasks_file), str(cands), "-o", str(out), "--analyzers", "none", "--unsafe-no-sandbox"]
    assert main(argv) == 0
    complete = out.read_text().splitlines(keepends=True)
    # A crash after two records, in the middle of writing the third.
    out.write_text("".join(complete[:2]) + complete[2][: len(complete[2]) // 2])
    capsys.readouterr()
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "scored 2 candidate(s)" in printed and "(2 already there)" in printed
    lines = out.read_text().splitlines(keepends=True)
    assert lines[:2] == complete[:2]
    ids = [v.candidate_id for v in load_jsonl(out, Verdict)]
    assert sorted(ids) == ["c0", "c1", "c2", "c3"]
    assert main(argv) == 0  # nothing left to do: nothing appended
    assert len(out.read_text().splitlines()) == 4


def test_score_makes_a_sandbox_only_for_candidates_left_with_tests(tasks_file: Path, tmp_path: Path,
                                                                   monkeypatch) -> None:
    from treeplay.oracles import sandbox

    made: list[bool] = []
    real = sandbox.Sandbox

    def recording(*args: object, unsafe_no_sandbox: bool = False, **kwargs: object) -> sandbox.Sandbox:
        made.append(unsafe_no_sandbox)
        return real(*args, unsafe_no_sandbox=True, **kwargs)

    monkeypatch.setattr(sandbox, "Sandbox", recording)
    untested = write_candidates(tmp_path / "u.jsonl", [{"task_id": "untested", "completion": "y = 2\n"}])
    tested = write_candidates(tmp_path / "t.jsonl", [{"task_id": "sq", "completion": SECURE}])
    for cands, out in ((untested, "u.jsonl"), (tested, "t.jsonl"), (tested, "t.jsonl")):  # the last: all done
        assert main(["score", str(tasks_file), str(cands), "-o", str(tmp_path / "v" / out), "--analyzers",
                     "none"]) == 0
    assert made == [False]


def test_score_static_only_starts_no_sandbox(tasks_file: Path, tmp_path: Path) -> None:
    cands = write_candidates(tmp_path / "c.jsonl", [{"task_id": "sq", "completion": VULNERABLE}])
    out = tmp_path / "v.jsonl"
    assert main(["score", str(tasks_file), str(cands), "-o", str(out), "--analyzers", "none", "--no-tests"]) == 0
    (verdict,) = load_jsonl(out, Verdict)
    assert (verdict.candidate_id, verdict.parsed, verdict.functional) == ("sq#0", True, None)


def test_score_rejects_candidates_of_unknown_tasks(tasks_file: Path, tmp_path: Path) -> None:
    cands = write_candidates(tmp_path / "c.jsonl", [{"task_id": "ghost", "completion": "x"}])
    with pytest.raises(DataError, match="ghost"):
        main(["score", str(tasks_file), str(cands), "-o", str(tmp_path / "v.jsonl"), "--no-tests"])


def test_score_rejects_unknown_analyzers(tasks_file: Path, tmp_path: Path) -> None:
    from treeplay.errors import UsageError

    cands = write_candidates(tmp_path / "c.jsonl", [{"task_id": "sq", "completion": "x"}])
    with pytest.raises(UsageError, match="banditt"):
        main(["score", str(tasks_file), str(cands), "-o", str(tmp_path / "v.jsonl"), "--analyzers", "banditt"])


def test_score_rejects_repeated_candidate_ids(tasks_file: Path, tmp_path: Path) -> None:
    cands = write_candidates(tmp_path / "c.jsonl", [{"task_id": "sq", "completion": "x", "candidate_id": "same"},
                                                    {"task_id": "sq", "completion": "y", "candidate_id": "same"}])
    with pytest.raises(DataError, match="appears twice"):
        main(["score", str(tasks_file), str(cands), "-o", str(tmp_path / "v.jsonl"), "--no-tests"])


@pytest.mark.shared_data
@pytest.mark.tools
def test_test_command_on_the_cweval_sample(shared_data: Path, tmp_path: Path, capsys) -> None:
    if shutil.which("gcc") is None or shutil.which("node") is None:
        pytest.skip("gcc and node are needed")
    from treeplay.data.cweval import import_cweval

    tasks = tmp_path / "cweval.jsonl"
    write_jsonl(tasks, import_cweval(shared_data / "cweval-sample" / "benchmark"))
    assert main(["test", str(tasks), "--json", "--unsafe-no-sandbox"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and all(r["functional"] and r["secure_tests"] for r in rows), rows


def test_candidate_ids_default_to_task_and_position(tmp_path: Path) -> None:
    from treeplay.oracles.test_cmd import load_candidates

    path = write_candidates(tmp_path / "c.jsonl", [{"task_id": "a", "completion": ""},
                                                   {"task_id": "b", "completion": ""},
                                                   {"task_id": "a", "completion": "", "candidate_id": "mine"},
                                                   {"task_id": "a", "completion": ""}])
    assert [c.candidate_id for c in load_candidates(path)] == ["a#0", "b#0", "mine", "a#2"]
    assert isinstance(load_candidates(path)[0], Candidate)
