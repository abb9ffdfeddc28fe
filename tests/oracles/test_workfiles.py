"""Task files never escape their work folder: relative, absolute and symlinked names, checked again at run time.

Import rejects such names already (``records.check_relative_path``; tests/test_bad_inputs.py); a task file
edited after import reaches the runners, which must refuse it before writing anything on the host.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from treeplay.errors import DataError
from treeplay.oracles.cweval_runner import run_cweval_tests
from treeplay.oracles.native import run_native_tests
from treeplay.oracles.sandbox import Sandbox
from treeplay.oracles.seccodeplt_runner import run_seccodeplt_tests
from treeplay.oracles.workfiles import write_files, write_new
from treeplay.records import TestSuite

ESCAPES = {"relative": "../escaped.py", "absolute": "{outside}/escaped.py", "deep": "a/../../escaped.py"}


def _tampered(suite: TestSuite, **fields: object) -> TestSuite:
    """A suite changed after it was checked (as a hand-edited tasks.jsonl read by an older version would be)."""
    for name, value in fields.items():
        object.__setattr__(suite, name, value)
    return suite


@pytest.mark.parametrize("form", sorted(ESCAPES))
def test_write_new_refuses_names_that_leave_the_folder(tmp_path: Path, form: str) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    with pytest.raises(DataError):
        write_new(work, ESCAPES[form].format(outside=outside), "x")
    assert not any(tmp_path.rglob("escaped.py"))


def test_write_new_does_not_follow_a_symlink_in_the_work_folder(tmp_path: Path) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (work / "data").symlink_to(outside)
    (work / "link.py").symlink_to(outside / "target.py")
    for name in ("data/escaped.py", "link.py"):
        with pytest.raises(DataError):
            write_new(work, name, "x")
    assert list(outside.iterdir()) == []


def test_reserved_and_repeated_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="needs"):
        write_files(tmp_path, {"third_party/recheck-linux-x64": "x"}, reserved=("third_party",))
    write_new(tmp_path, "solution.py", "a")
    with pytest.raises(DataError, match="twice"):
        write_new(tmp_path, "solution.py", "b")
    assert (tmp_path / "solution.py").read_text() == "a"


# Each runner, with a fake sandbox that must never be reached: the check comes before anything runs.


class _Unreachable(Sandbox):
    def __init__(self) -> None:  # noqa: D107 - no bubblewrap needed: nothing may run
        self.created: list[Path] = []

    def workdir(self):  # type: ignore[override]
        import contextlib
        import tempfile

        @contextlib.contextmanager
        def folder():
            with tempfile.TemporaryDirectory(prefix="treeplay-test-work-") as name:
                self.created.append(Path(name))
                yield Path(name)
        return folder()

    def run(self, *args: object, **kwargs: object):  # type: ignore[override]
        raise AssertionError("a runner started a program before refusing an unsafe task file")

    @property
    def python(self) -> str:  # type: ignore[override]
        return "python3"

    @property
    def node(self) -> str:  # type: ignore[override]
        return "node"


@pytest.mark.parametrize("form", sorted(ESCAPES))
def test_native_runner_refuses_escaping_test_files(tmp_path: Path, form: str) -> None:
    suite = TestSuite(kind="native", files={"test_security.py": "def test_x():\n    pass\n"}, module="solution.py",
                      functional=False, security=True)
    name = ESCAPES[form].format(outside=tmp_path)
    _tampered(suite, files={"test_security.py": "x", name: "x"})
    with pytest.raises(DataError):
        run_native_tests(suite, "python", "x = 1\n", sandbox=_Unreachable())
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path.parent / "escaped.py").exists()


@pytest.mark.parametrize("form", sorted(ESCAPES))
def test_seccodeplt_runner_refuses_an_escaping_module(tmp_path: Path, form: str) -> None:
    suite = TestSuite(kind="seccodeplt", files={"testcases.py": "testcases = {}"}, module="solution.py",
                      functional=True, security=True, entry_point="f")
    _tampered(suite, module=ESCAPES[form].format(outside=tmp_path))
    with pytest.raises(DataError):
        run_seccodeplt_tests(suite, "def f():\n    pass\n", sandbox=_Unreachable())
    assert not (tmp_path / "escaped.py").exists()


@pytest.mark.parametrize("name", ["../escaped.py", "{outside}/escaped.py", "third_party/recheck-linux-x64",
                                  "compiled/cwe_1_task"])
def test_cweval_runner_refuses_escaping_or_reserved_files(tmp_path: Path, name: str) -> None:
    suite = TestSuite(kind="cweval", files={"cwe_1_test.py": "def test_x():\n    pass\n"}, module="cwe_1_task.py",
                      functional=True, security=True)
    _tampered(suite, files={"cwe_1_test.py": "def test_x():\n    pass\n", name.format(outside=tmp_path): "x"})
    with pytest.raises(DataError):
        run_cweval_tests(suite, "python", "x = 1\n", sandbox=_Unreachable())
    assert not (tmp_path / "escaped.py").exists()


def test_symlinked_work_folder_part_is_refused_by_the_runner(tmp_path: Path, monkeypatch) -> None:
    """A work folder in which a symlink already points outside (planted by an earlier run): writing through it
    is refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    box = _Unreachable()
    original = box.workdir

    def planted():
        context = original()
        work = context.__enter__()
        os.symlink(outside, work / "sub")
        import contextlib

        @contextlib.contextmanager
        def again():
            try:
                yield work
            finally:
                context.__exit__(None, None, None)
        return again()

    monkeypatch.setattr(box, "workdir", planted)
    suite = TestSuite(kind="native", files={"test_security.py": "x"}, module="solution.py", functional=False,
                      security=True)
    _tampered(suite, files={"test_security.py": "x", "sub/escaped.py": "x"})
    with pytest.raises(DataError):
        run_native_tests(suite, "python", "x = 1\n", sandbox=box)
    assert list(outside.iterdir()) == []
