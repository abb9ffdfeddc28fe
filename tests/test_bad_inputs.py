"""Bad inputs to the importers of all seven formats: one error line naming the file (and line), a fix, exit 2,
nothing written. Configs, command-line options and caches: ``test_bad_inputs_config.py``, ``test_bad_inputs_cli.py``.

Each case writes a small input in the case's folder and runs ``treeplay data import -f FORMAT PATH -o OUT``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.bad_inputs import BINARY, DROP, LATIN1, assert_one_line_error, changed, write_bytes, write_json, write_lines
from tests.bad_inputs import ws as ws  # noqa: F401  (the fixture)
from tests.data import fixtures
from treeplay.records import Task, TestSuite, to_dict

Build = Callable[[Path], tuple[Path, list[str]]]  # writes the input under the folder: (path, names in the error)

SC = fixtures.SAFECODER[0]
TSP = dict(SC, output=fixtures.ANNOTATION)
SE = fixtures.SECURITYEVAL[0]
SCP = fixtures.SECCODEPLT[0]
NATIVE = to_dict(Task(id="t1", language="python", cwes=("CWE-89",), prompt="p", prefix="def f():",
                      golden="def f():\n    pass\n",
                      tests=TestSuite(kind="native", files={"test_functional.py": "import solution\n"},
                                      module="solution.py", functional=True, security=False)))
BIG_INT = b'{"a": ' + b"9" * 5000 + b"}"


def jsonl(name: str, *rows: Any, at: str = ":1", say: str = "") -> Build:
    """A JSONL file of ``rows``; the error names ``<name><at>`` and ``say``."""
    return lambda ws: (write_lines(ws / name, list(rows)), [name + at, *([say] if say else [])])


def jarray(name: str, *rows: Any, at: str = ":2", say: str = "") -> Build:
    """A JSON array of ``rows`` (the first element starts on line 2)."""
    return lambda ws: (write_json(ws / name, list(rows)), [name + at, *([say] if say else [])])


def raw(name: str, data: bytes, *names: str) -> Build:
    return lambda ws: (write_bytes(ws / name, data), [name, *names])


def folder(name: str, *names: str) -> Build:
    def build(ws: Path) -> tuple[Path, list[str]]:
        (ws / name).mkdir()
        return ws / name, [name, "folder", *names]
    return build


def missing(name: str) -> Build:
    return lambda ws: (ws / name, [name])


CASES = [
    # SafeCoder sec-new-desc JSONL
    ("safecoder", "binary", raw("sc.jsonl", BINARY, "sc.jsonl:1")),
    ("safecoder", "latin1-line-2", jsonl("sc.jsonl", SC, b'{"d": "' + LATIN1 + b'"}', at=":2", say="UTF-8")),
    ("safecoder", "folder", folder("sc.jsonl")),
    ("safecoder", "empty", raw("sc.jsonl", b"", "no records")),
    ("safecoder", "blank-lines-only", raw("sc.jsonl", b"\n\n  \n", "no records")),
    ("safecoder", "missing", missing("sc.jsonl")),
    ("safecoder", "line-is-a-list", jsonl("sc.jsonl", [SC])),
    ("safecoder", "bad-json-line-2", jsonl("sc.jsonl", SC, b"{oops", at=":2")),
    ("safecoder", "huge-int", jsonl("sc.jsonl", BIG_INT)),
    ("safecoder", "func_name-int", jsonl("sc.jsonl", changed(SC, func_name=7), say="func_name")),
    ("safecoder", "func_name-list", jsonl("sc.jsonl", SC, changed(SC, func_name=["f"]), at=":2", say="func_name")),
    ("safecoder", "func_src_after-list", jsonl("sc.jsonl", changed(SC, func_src_after=["x"]), say="func_src_after")),
    ("safecoder", "description-null", jsonl("sc.jsonl", changed(SC, description=None), say="description")),
    ("safecoder", "no-func_src_before", jsonl("sc.jsonl", changed(SC, func_src_before=DROP), say="func_src_before")),
    ("safecoder", "vul_type-not-cwe", jsonl("sc.jsonl", changed(SC, vul_type="xss"), say="vul_type")),
    ("safecoder", "unknown-extension", jsonl("sc.jsonl", changed(SC, file_name="a.xyz"), say="file_name")),
    ("safecoder", "line_changes-string", jsonl("sc.jsonl", changed(SC, line_changes="x"), say="line_changes")),
    ("safecoder", "line_changes-added-int", jsonl("sc.jsonl", changed(SC, line_changes={"added": 3}),
                                                  say="line_changes.added")),
    ("safecoder", "line_changes-entry-string", jsonl("sc.jsonl", changed(SC, line_changes={"deleted": ["x"]}),
                                                     say="line_changes.deleted")),
    ("safecoder", "commit_link-int", jsonl("sc.jsonl", changed(SC, commit_link=1), say="commit_link")),
    ("safecoder", "lone-surrogate", jsonl("sc.jsonl", b'{"description": "\\ud800"}'[:-1] + b', "func_src_before": '
                                          b'"a", "func_src_after": "b", "file_name": "a.py", "vul_type": "cwe-79"}',
                                          say="description")),
    # the TSP release's annotated JSON array
    ("tsp-annotated", "binary", raw("a.json", BINARY, "a.json:1")),
    ("tsp-annotated", "object-not-array", raw("a.json", b'{"output": "x"}', "a.json:1", "array")),
    ("tsp-annotated", "empty-array", raw("a.json", b"[]", "no records")),
    ("tsp-annotated", "truncated", raw("a.json", b'[\n {"output": "x"},\n', "a.json")),
    ("tsp-annotated", "element-a-string", jarray("a.json", "text")),
    ("tsp-annotated", "output-int", jarray("a.json", changed(TSP, output=3), say="output")),
    ("tsp-annotated", "func_name-list", jarray("a.json", changed(TSP, func_name=["f"]), say="func_name")),
    ("tsp-annotated", "folder", folder("a.json")),
    # SecurityEval prompts.json
    ("securityeval", "insecure-code-int", jarray("p.json", changed(SE, Insecure_code=5), say="Insecure_code")),
    ("securityeval", "insecure-code-list", jarray("p.json", SE, changed(SE, Insecure_code=["x"]), at=":7",
                                                  say="Insecure_code")),
    ("securityeval", "id-int", jarray("p.json", changed(SE, ID=78), say="ID")),
    ("securityeval", "id-malformed", jarray("p.json", changed(SE, ID="author_1.py"), say="ID")),
    ("securityeval", "prompt-null", jarray("p.json", changed(SE, Prompt=None), say="Prompt")),
    ("securityeval", "latin1", raw("p.json", b'[{"ID": "' + LATIN1 + b'"}]', "p.json:1", "UTF-8")),
    ("securityeval", "empty", raw("p.json", b"", "p.json", "empty")),
    # SecCodePLT
    ("seccodeplt", "function_name-list", jarray("dev.json", changed(SCP, task_description__function_name=["f"]),
                                                say="function_name")),
    ("seccodeplt", "function_name-int", jarray("dev.json", changed(SCP, task_description__function_name=1),
                                               say="function_name")),
    ("seccodeplt", "function_name-not-a-name", jarray("dev.json", changed(SCP, task_description__function_name="a b"),
                                                      say="function_name")),
    ("seccodeplt", "task_description-string", jarray("dev.json", changed(SCP, task_description="x"),
                                                     say="task_description")),
    ("seccodeplt", "description-int", jarray("dev.json", changed(SCP, task_description__description=4),
                                             say="task_description.description")),
    ("seccodeplt", "patched_code-null", jarray("dev.json", changed(SCP, ground_truth__patched_code=None),
                                               say="ground_truth.patched_code")),
    ("seccodeplt", "no-code_after", jarray("dev.json", changed(SCP, ground_truth__code_after=DROP),
                                           say="ground_truth.code_after")),
    ("seccodeplt", "setup-int", jarray("dev.json", changed(SCP, unittest__setup=1), say="unittest.setup")),
    ("seccodeplt", "testcases-list", jarray("dev.json", changed(SCP, unittest__testcases=["x"]),
                                            say="unittest.testcases")),
    ("seccodeplt", "install_requires-string", jarray("dev.json", changed(SCP, install_requires="requests"),
                                                     say="install_requires")),
    ("seccodeplt", "install_requires-ints", jarray("dev.json", changed(SCP, install_requires=[1]),
                                                   say="install_requires")),
    ("seccodeplt", "cwe-list", jarray("dev.json", changed(SCP, CWE_ID=["22"]), say="CWE_ID")),
    ("seccodeplt", "cwe-not-an-id", jarray("dev.json", changed(SCP, CWE_ID="path traversal"), say="CWE_ID")),
    ("seccodeplt", "index-object", jarray("dev.json", changed(SCP, index={"n": 1}), say="index")),
    ("seccodeplt", "binary", raw("dev.json", b"[" + BINARY, "dev.json:1")),
    # treeplay's own tasks.jsonl
    ("native", "file-name-dotdot", jsonl("t.jsonl", changed(NATIVE, tests__files={"../x": "y"}), say="../x")),
    ("native", "file-name-absolute", jsonl("t.jsonl", changed(NATIVE, tests__files={"/abs/x": "y"}), say="/abs/x")),
    ("native", "module-dotdot", jsonl("t.jsonl", changed(NATIVE, tests__module="../solution.py"), say="solution")),
    ("native", "module-is-a-test-file", jsonl("t.jsonl", changed(NATIVE, tests__module="test_functional.py"),
                                              say="module")),
    ("native", "language-unknown", jsonl("t.jsonl", changed(NATIVE, language="klingon"), say="language")),
    ("native", "cwe-not-canonical", jsonl("t.jsonl", NATIVE, changed(NATIVE, id="t2", cwes=["xss"]), at=":2",
                                          say="cwes")),
    ("native", "test-kind-unknown", jsonl("t.jsonl", changed(NATIVE, tests__kind="bogus"), say="tests.kind")),
    ("native", "unknown-key", jsonl("t.jsonl", changed(NATIVE, colour="red"), say="colour")),
    ("native", "prompt-int", jsonl("t.jsonl", changed(NATIVE, prompt=3), say="prompt")),
    ("native", "schema-version", jsonl("t.jsonl", changed(NATIVE, schema_version=99), say="schema_version")),
    ("native", "no-id", jsonl("t.jsonl", changed(NATIVE, id=DROP), say="id")),
    ("native", "binary", raw("t.jsonl", BINARY, "t.jsonl:1")),
    ("native", "folder", folder("t.jsonl")),
]


@pytest.mark.parametrize("fmt, build", [pytest.param(f, b, id=f"{f}-{name}") for f, name, b in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(fmt: str, build: Build, ws: Path, capsys) -> None:
    path, names = build(ws)
    out = ws / "out" / "tasks.jsonl"
    assert_one_line_error(["data", "import", "-f", fmt, path, "-o", out], capsys, ws, names)
    assert not out.parent.exists()


# --------------------------------------------------------------------------------- folders: CWEval, sec_eval


def _cweval(ws: Path) -> Path:
    return fixtures.write_cweval(ws)


def _scenario(ws: Path) -> tuple[Path, Path]:
    root = fixtures.write_sec_eval(ws)
    return root, root / "trained" / "cwe-022" / "0-py"


def _link_out(link: Path, ws: Path, *, up: int = 0, folder: bool = False) -> None:
    """Make ``link`` a symlink to a file (or its folder) outside the data folder: relative through ``up`` levels
    of ``..`` when ``up``, else absolute."""
    secret = ws / "outside" / "secret.py"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("SECRET = 1\n")
    target = secret.parent if folder else secret
    if link.exists():
        link.unlink()
    link.symlink_to(Path(*[".."] * up, "outside", *([] if folder else ["secret.py"])) if up else target.resolve())


def empty_folder(name: str, say: str) -> Build:
    def build(ws: Path) -> tuple[Path, list[str]]:
        (ws / name).mkdir()
        return ws / name, [name, say]
    return build


def cweval_case(edit: Callable[[Path, Path], Any], *names: str) -> Build:
    """A CWEval folder changed by ``edit(task_folder, ws)``; the error names ``names``."""
    def build(ws: Path) -> tuple[Path, list[str]]:
        root = _cweval(ws)
        edit(root / "core" / "py", ws)
        return root, list(names)
    return build


def sec_eval_case(edit: Callable[[Path, Path], Any], *names: str) -> Build:
    """A sec_eval folder whose first scenario is changed by ``edit(scenario, ws)``."""
    def build(ws: Path) -> tuple[Path, list[str]]:
        root, scenario = _scenario(ws)
        edit(scenario, ws)
        return root, list(names)
    return build


def _info(scenario: Path, **changes: Any) -> None:
    import json

    info = json.loads((scenario / "info.json").read_text())
    write_json(scenario / "info.json", changed(info, **changes))


FOLDER_CASES = [
    ("cweval", "a-file", lambda ws: (write_bytes(ws / "bench.txt", b"x"), ["bench.txt", "folder"])),
    ("cweval", "no-tasks", empty_folder("b", "no CWEval task files")),
    ("cweval", "task-latin1", cweval_case(lambda d, ws: write_bytes(d / "cwe_022_0_task.py", LATIN1),
                                          "cwe_022_0_task.py:1", "UTF-8")),
    ("cweval", "task-binary", cweval_case(lambda d, ws: write_bytes(d / "cwe_022_0_task.py", b"x\n\0"),
                                          "cwe_022_0_task.py:2", "binary")),
    ("cweval", "test-latin1", cweval_case(lambda d, ws: write_bytes(d / "cwe_022_0_test.py", b"\n" + LATIN1),
                                          "cwe_022_0_test.py:2")),
    ("cweval", "no-marker", cweval_case(lambda d, ws: (d / "cwe_022_0_task.py").write_text("def f(): pass\n"),
                                        "cwe_022_0_task.py", "BEGIN SOLUTION")),
    ("cweval", "task-is-a-folder", cweval_case(lambda d, ws: (d / "cwe_079_0_task.py").mkdir(),
                                               "cwe_079_0_task.py", "folder")),
    ("cweval", "link-relative-outside", cweval_case(
        lambda d, ws: _link_out(d / "cwe_022_0_task.py", ws, up=4), "cwe_022_0_task.py", "outside")),
    ("cweval", "link-absolute-outside", cweval_case(
        lambda d, ws: _link_out(d / "cwe_022_0_test.py", ws), "cwe_022_0_test.py", "outside")),
    ("cweval", "linked-folder-outside", cweval_case(
        lambda d, ws: _link_out(d / "more", ws, folder=True), "more", "outside")),
    ("sec-eval", "a-file", lambda ws: (write_bytes(ws / "s.txt", b"x"), ["s.txt", "folder"])),
    ("sec-eval", "no-scenarios", empty_folder("s", "no scenarios")),
    ("sec-eval", "info-binary", sec_eval_case(lambda s, ws: write_bytes(s / "info.json", BINARY), "info.json:1")),
    ("sec-eval", "info-a-list", sec_eval_case(lambda s, ws: write_json(s / "info.json", []), "info.json")),
    ("sec-eval", "info-bad-json", sec_eval_case(lambda s, ws: write_bytes(s / "info.json", b'{\n"cwe": }'),
                                                "info.json:2")),
    ("sec-eval", "language-int", sec_eval_case(lambda s, ws: _info(s, language=1), "info.json", "language")),
    ("sec-eval", "language-unknown", sec_eval_case(lambda s, ws: _info(s, language="cobol"), "info.json", "cobol")),
    ("sec-eval", "cwe-list", sec_eval_case(lambda s, ws: _info(s, cwe=["CWE-22"]), "info.json", "cwe")),
    ("sec-eval", "cwe-not-an-id", sec_eval_case(lambda s, ws: _info(s, cwe="traversal"), "info.json", "cwe")),
    ("sec-eval", "description-int", sec_eval_case(lambda s, ws: _info(s, description_generated=5), "info.json",
                                                  "description_generated")),
    ("sec-eval", "context-latin1", sec_eval_case(lambda s, ws: write_bytes(s / "file_context.py", LATIN1),
                                                 "file_context.py:1")),
    ("sec-eval", "no-context", sec_eval_case(lambda s, ws: [(s / f).unlink() for f in ("file_context.py",
                                                                                      "func_context.py")], "0-py")),
    ("sec-eval", "link-relative-outside", sec_eval_case(
        lambda s, ws: _link_out(s / "func_context.py", ws, up=5), "func_context.py", "outside")),
    ("sec-eval", "link-absolute-outside", sec_eval_case(
        lambda s, ws: _link_out(s / "file_context.py", ws), "file_context.py", "outside")),
    ("sec-eval", "linked-scenario-outside", sec_eval_case(
        lambda s, ws: _link_out(s.parent / "9-py", ws, folder=True), "9-py", "outside")),
]


@pytest.mark.parametrize("fmt, build", [pytest.param(f, b, id=f"{f}-{name}") for f, name, b in FOLDER_CASES])
def test_bad_data_folder_is_one_line_exit_2_nothing_written(fmt: str, build: Build, ws: Path, capsys) -> None:
    path, names = build(ws)
    out = ws / "out" / "tasks.jsonl"
    assert_one_line_error(["data", "import", "-f", fmt, path, "-o", out], capsys, ws, names)
    assert not out.parent.exists()


def test_links_inside_the_data_folder_and_the_unchanged_fixtures_import(ws: Path, capsys) -> None:
    """The control: the fixtures every case above spoils import cleanly, and a link that stays inside the folder
    is read like the file it names."""
    root = _cweval(ws)
    task = root / "core" / "py" / "cwe_022_0_task.py"
    (root / "core" / "py" / "cwe_023_0_task.py").symlink_to(task.name)
    (root / "core" / "py" / "cwe_023_0_test.py").symlink_to("cwe_022_0_test.py")
    sec_root, _ = _scenario(ws)
    out = ws / "out"
    inputs = [("cweval", root), ("sec-eval", sec_root), ("safecoder", write_lines(ws / "sc.jsonl", [SC])),
              ("tsp-annotated", write_json(ws / "a.json", [TSP])), ("securityeval", write_json(ws / "p.json", [SE])),
              ("seccodeplt", write_json(ws / "dev.json", [SCP])), ("native", write_lines(ws / "t.jsonl", [NATIVE]))]
    from treeplay.cli import main

    for fmt, path in inputs:
        assert main(["data", "import", "-f", fmt, str(path), "-o", str(out / f"{fmt}.jsonl")]) == 0, fmt
    assert "cweval-python-cwe_023_0" in (out / "cweval.jsonl").read_text()
    assert capsys.readouterr().err == ""
