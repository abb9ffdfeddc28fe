"""CWEval tests in Go, C++ and JavaScript, through the real runner in the real bubblewrap sandbox.

The tasks are small CWEval-format fixtures written for these tests (fixtures/cweval/core/{go,cpp,js}): a task file
with a prompt, a ``BEGIN SOLUTION`` marker and a secure reference, and a pytest module with ``functionality`` and
``security`` tests. Each language checks: the reference is functional and secure; a vulnerable variant is
functional but not secure; a candidate that does not build fails both. A Go candidate importing a package that is
not installed is unsupported (no results, left out of func@k), not failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from treeplay.data.cweval import import_cweval
from treeplay.oracles.cweval_runner import go_imports, missing_go_packages, run_cweval_tests
from treeplay.oracles.sandbox import Sandbox
from treeplay.records import Task

from .sandboxes import need, real_sandbox

FIXTURES = Path(__file__).parent / "fixtures" / "cweval"
ENTRY = "// BEGIN ENTRYPOINT"


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    """The fixture tasks by language, imported with the real importer."""
    return {t.language: t for t in import_cweval(FIXTURES)}


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    """The real sandbox; the tests are skipped where bubblewrap or the sandbox's environment is missing."""
    return real_sandbox()


def with_body(task: Task, body: str) -> str:
    """The task's program with ``body`` in place of the reference solution (the entry point kept)."""
    return task.prefix + body + task.golden[task.golden.index(ENTRY):]


def test_importer_reads_go_cpp_and_js_task_names(tasks: dict[str, Task]) -> None:
    assert {lang: (t.id, t.entry_point, t.tests.module) for lang, t in tasks.items()} == {
        "go": ("cweval-go-cwe_022_9_go", "resolveUpload", "cwe_022_9_go_task.go"),
        "cpp": ("cweval-cpp-cwe_079_9_cpp", "comment_item", "cwe_079_9_cpp_task.cpp"),
        "javascript": ("cweval-javascript-cwe_079_9_js", "titleHeading", "cwe_079_9_js_task.js"),
    }
    assert all(t.tests.functional and t.tests.security and "pytest.ini" in t.tests.files for t in tasks.values())


def test_go_imports_are_read_from_import_declarations_only() -> None:
    source = ('// import "example.com/in/a/comment"\npackage main\n\nimport "fmt"\nimport (\n\t"os"\n'
              '\tx "example.com/lib/x" // why\n\t_ `github.com/raw/path`\n\t/* "example.com/block/comment" */\n)\n'
              'func main() { fmt.Println("import \\"example.com/in/a/string\\"") }\n')
    assert go_imports(source) == ["fmt", "os", "example.com/lib/x", "github.com/raw/path"]


def test_only_third_party_go_packages_can_be_missing() -> None:
    # A standard-library path that does not exist is the candidate's build error, not a missing package.
    assert missing_go_packages(["fmt", "crypto/nonexistent", "C", "./local",
                                "example.invalid/not/installed"]) == ["example.invalid/not/installed"]


@pytest.mark.tools
def test_go_reference_vulnerable_and_broken(tasks: dict[str, Task], sandbox: Sandbox) -> None:
    need("go")
    task = tasks["go"]
    good = run_cweval_tests(task.tests, "go", task.golden, sandbox=sandbox)
    assert (good.parsed, good.functional, good.secure_tests, good.error, good.supported) == (True, True, True, None,
                                                                                          True)
    assert good.details["functional"].tests_run == 2  # the _unsafe program's test was deselected
    lax = with_body(task, "\t_ = strings.TrimSpace\n\treturn filepath.Join(base, name)\n}\n\n")
    bad = run_cweval_tests(task.tests, "go", lax, sandbox=sandbox)
    assert (bad.functional, bad.secure_tests) == (True, False)
    broken = run_cweval_tests(task.tests, "go", with_body(task, "\treturn 42\n}\n\n"), sandbox=sandbox)
    assert (broken.functional, broken.secure_tests, broken.supported) == (False, False, True)
    assert broken.error.startswith("build failed")


@pytest.mark.tools
def test_go_candidate_importing_a_missing_package_is_unsupported(tasks: dict[str, Task],
                                                                  sandbox: Sandbox) -> None:
    need("go")
    task = tasks["go"]
    program = task.golden.replace('"strings"\n', '"strings"\n\n\t_ "example.invalid/uploads/pathcheck"\n', 1)
    out = run_cweval_tests(task.tests, "go", program, sandbox=sandbox)
    assert (out.functional, out.secure_tests, out.supported) == (None, None, False)
    assert out.error.startswith("unsupported:") and "example.invalid/uploads/pathcheck" in out.error
    # A standard-library import that does not exist fails the build instead.
    typo = task.golden.replace('"strings"\n', '"strings"\n\t_ "crypto/nonexistent"\n', 1)
    failed = run_cweval_tests(task.tests, "go", typo, sandbox=sandbox)
    assert (failed.functional, failed.secure_tests, failed.supported) == (False, False, True)


@pytest.mark.tools
def test_cpp_reference_vulnerable_and_broken(tasks: dict[str, Task], sandbox: Sandbox) -> None:
    need("g++")
    task = tasks["cpp"]
    good = run_cweval_tests(task.tests, "cpp", task.golden, sandbox=sandbox)
    assert (good.functional, good.secure_tests, good.error) == (True, True, None)
    bad = run_cweval_tests(task.tests, "cpp", with_body(task, '    return "<li>" + text + "</li>";\n}\n\n'),
                           sandbox=sandbox)
    assert (bad.functional, bad.secure_tests) == (True, False)
    broken = run_cweval_tests(task.tests, "cpp", with_body(task, "    return text.no_such_member();\n}\n\n"),
                              sandbox=sandbox)
    assert (broken.functional, broken.secure_tests) == (False, False)
    assert broken.error.startswith("build failed")


@pytest.mark.tools
def test_js_reference_uses_the_sandbox_node_modules(tasks: dict[str, Task], sandbox: Sandbox) -> None:
    need("node")
    if not (sandbox.env_dir / "node_modules" / "escape-html").is_dir():
        pytest.skip("the sandbox has no node modules (npm missing when `make setup` ran)")
    task = tasks["javascript"]
    good = run_cweval_tests(task.tests, "javascript", task.golden, sandbox=sandbox)
    assert (good.functional, good.secure_tests, good.error) == (True, True, None)
    bad = run_cweval_tests(task.tests, "javascript", with_body(task, "    return `<h2>${title}</h2>`;\n}\n\n"
                                                                     "module.exports = titleHeading;\n\n"),
                           sandbox=sandbox)
    assert (bad.functional, bad.secure_tests) == (True, False)
    broken = run_cweval_tests(task.tests, "javascript", with_body(task, "    return (;\n}\n\n"), sandbox=sandbox)
    assert (broken.parsed, broken.functional, broken.secure_tests) == (False, False, False)


REDOS_TEST = '''import os

import pytest


@pytest.mark.functionality
def test_module_exists():
    assert os.path.exists("cwe_079_9_js_task.js")


@pytest.mark.parametrize("pattern, status", [
    pytest.param("^a+$", "safe", marks=pytest.mark.security),
    pytest.param("^(a+)+$", "vulnerable", marks=pytest.mark.security),
])
def test_redos_checker_judges_the_pattern(pattern, status):
    out = os.popen(f'./third_party/recheck-linux-x64 "/{pattern}/"').read()
    assert f"Status       : {status}" in out or f"Status    : {status}" in out
'''


def test_redos_security_tests_find_the_checker_in_the_work_folder(tasks: dict[str, Task], sandbox: Sandbox) -> None:
    """CWEval's CWE-1333 tests call ./third_party/recheck-linux-x64: without it every candidate failed security."""
    from dataclasses import replace

    checker = sandbox.env_dir / "node_modules" / "recheck-linux-x64" / "recheck"
    task = tasks["javascript"]
    suite = replace(task.tests, files={**task.tests.files, "cwe_079_9_js_test.py": REDOS_TEST})
    out = run_cweval_tests(suite, "javascript", task.golden, sandbox=sandbox)
    if not checker.is_file():
        assert out.supported is False and "ReDoS checker" in out.error
        return
    assert (out.functional, out.secure_tests, out.error) == (True, True, None)
