"""The builtin task set checks itself: references pass their tests, vulnerable variants fail security tests."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from treeplay.data.builtin import load_builtin
from treeplay.errors import ToolMissingError
from treeplay.oracles.native import run_native_tests
from treeplay.oracles.sandbox import Sandbox

TASKS = load_builtin()


def _ids(tasks):
    return [t.id for t in tasks]


def test_builtin_set_has_the_promised_coverage():
    langs = Counter(t.language for t in TASKS)
    cwes = {c for t in TASKS for c in t.cwes}
    assert len(TASKS) >= 40, len(TASKS)
    assert langs["python"] >= 30 and langs["c"] >= 5 and langs["javascript"] >= 5, langs
    assert len(cwes) >= 12, sorted(cwes)
    required = {"CWE-78", "CWE-89", "CWE-94", "CWE-95", "CWE-22", "CWE-502", "CWE-327", "CWE-328", "CWE-338",
                "CWE-79", "CWE-611", "CWE-918", "CWE-798", "CWE-1333"}
    assert required <= cwes, sorted(required - cwes)


def test_every_task_has_prompt_reference_vulnerable_variant_and_both_test_kinds():
    assert len(set(_ids(TASKS))) == len(TASKS)
    for task in TASKS:
        assert task.prompt.strip() and task.golden and task.vulnerable, task.id
        assert task.tests and task.tests.functional and task.tests.security, task.id
        assert all(v != task.golden for v in task.vulnerable), task.id


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    """The real sandbox: the builtin tests run exactly as generated code will (bwrap, sandbox user, limits)."""
    try:
        box = Sandbox()
        assert box.python  # the sandbox's own Python environment, built by `make setup`
    except ToolMissingError as err:
        pytest.skip(f"{err.message} (fix: {err.fix})")
    return box


def _needs_toolchain(task):
    tool = {"c": "gcc", "javascript": "node"}.get(task.language)
    if tool and shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")


@pytest.mark.tools
@pytest.mark.parametrize("task", TASKS, ids=_ids(TASKS))
def test_secure_reference_passes_functional_and_security_tests(task, sandbox):
    _needs_toolchain(task)
    outcome = run_native_tests(task.tests, task.language, task.golden, sandbox=sandbox)
    assert outcome.parsed and outcome.functional and outcome.secure_tests, outcome


@pytest.mark.tools
@pytest.mark.parametrize("task", TASKS, ids=_ids(TASKS))
def test_vulnerable_variants_pass_functional_and_fail_security_tests(task, sandbox):
    _needs_toolchain(task)
    for variant in task.vulnerable:
        outcome = run_native_tests(task.tests, task.language, variant, sandbox=sandbox)
        assert outcome.parsed and outcome.functional, outcome
        assert outcome.secure_tests is False, outcome


def test_builtin_split_holds_out_python_tasks_with_seen_and_unseen_cwes():
    tasks = load_builtin()
    assert {t.split for t in tasks} == {"train", "test"}
    test = [t for t in tasks if t.split == "test"]
    assert len(test) == 14 and {t.language for t in test} == {"python"}
    seen = {c for t in tasks if t.split == "train" for c in t.cwes}
    unseen_tasks = [t.id for t in test if not set(t.cwes) & seen]
    assert len(unseen_tasks) == 4  # CWEs the demo's training never shows: the transfer case
    assert len(test) - len(unseen_tasks) == 10
