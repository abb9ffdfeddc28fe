"""Runner for CWEval tests: a candidate task file against the task's pytest module, inside the sandbox.

A ``cweval`` TestSuite holds the pytest module (``cwe_XXX_N[_lang]_test.py``) and ``pytest.ini``; its tests are
marked ``functionality`` or ``security``. The candidate is written where the test module expects it, under the
task file's name (``TestSuite.module``):

- Python: the test module imports the function from the task module (``from cwe_022_0_task import ...``);
- C: the test runs ``compiled/<task>_task`` beside it, so the candidate is compiled there with gcc and the
  libraries CWEval links (sqlite3, jwt, ssl, crypto, archive, libxml2; those not installed are left out, and a
  candidate that needs one fails to link);
- JavaScript: the test runs ``node <task>.js``.

Then pytest runs once, in one sandboxed process, through a small harness with a plugin that (as CWEval's own
``run_tests.py`` does with ``-k 'not _unsafe'``) deselects the tests of the benchmark's own ``_unsafe``
reference programs, which are not shipped and do not test the candidate, bounds every test with a timer, and
prints each test's outcome as soon as it is known, tagged with a random token read from stdin. A test passes
when its call phase passed (CWEval's rule); functional = every ``functionality`` test passed, secure = every
``security`` test passed. Tests that never reported (the process was killed) fail.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from treeplay.oracles import proc
from treeplay.oracles.native import FileOutcome, TestOutcome, check_parses, tagged_records
from treeplay.oracles.sandbox import Sandbox
from treeplay.records import TestSuite

TIMEOUT = 120.0  # seconds of wall clock for one pytest run
TEST_TIMEOUT = 10.0  # seconds per test (CWEval: 3 s with pytest-timeout; a loaded machine needs slack)
COMPILE_TIMEOUT = 60.0
LANGUAGES = ("python", "c", "javascript")
_C_LIBRARIES = ("sqlite3", "jwt", "ssl", "crypto", "archive", "xml2")
_KINDS = {"functionality": "functional", "security": "security"}

_HARNESS = r'''
import json, os, signal, sys
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
import pytest

token = sys.stdin.readline().strip()
test_file, budget = sys.argv[1], float(sys.argv[2])
report = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # pytest's and the candidate's output go to stderr


def emit(obj):
    report.write("\n" + token + json.dumps(obj) + "\n")
    report.flush()


def _on_alarm(signum, frame):
    pytest.fail("timed out after %g s" % budget, pytrace=False)


class Plugin:
    def pytest_collection_modifyitems(self, session, config, items):
        keep = [i for i in items if "_unsafe" not in getattr(i, "originalname", i.name)]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep
        kinds = []
        for item in keep:
            kind = next((m for m in ("functionality", "security") if item.get_closest_marker(m)), None)
            kinds.append([item.nodeid, kind])
        emit({"collected": kinds})

    def pytest_collectreport(self, report):
        if report.failed:
            emit({"collect_error": str(report.longrepr)[-800:]})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and not report.passed):
            error = None if report.passed else str(report.longrepr)[-400:]
            emit({"test": report.nodeid, "when": report.when, "outcome": report.outcome, "error": error})


code = pytest.main([test_file, "-q", "-p", "no:cacheprovider", "--basetemp", os.path.abspath(".pytest_tmp")],
                   plugins=[Plugin()])
emit({"done": int(code)})
'''
_HARNESS_NAME = "_treeplay_cweval.py"


def run_cweval_tests(suite: TestSuite, language: str, candidate: str, *, sandbox: Sandbox,
                     timeout: float = TIMEOUT, test_timeout: float = TEST_TIMEOUT) -> TestOutcome:
    """Run ``candidate`` (a whole task file) against a ``cweval`` suite; never raises for failing code.

    Languages other than Python, C and JavaScript are reported (``error``, results None), not run.
    """
    test_name = next((n for n in suite.files if n.endswith("_test.py")), None)
    if suite.kind != "cweval" or test_name is None:
        raise ValueError("expected a cweval TestSuite holding a *_test.py module")
    if language not in LANGUAGES:
        return TestOutcome(parsed=True, functional=None, secure_tests=None,
                           error=f"CWEval tests for {language} are not supported (only {', '.join(LANGUAGES)})")
    parsed, parse_error = check_parses(language, candidate, sandbox=sandbox)
    if not parsed:
        return _all_failed(suite, parse_error, parsed=False)
    with sandbox.workdir() as work:
        # Every input is written before the first sandboxed run: afterwards the folder belongs to the program.
        for name, source in suite.files.items():
            (work / name).write_text(source, encoding="utf-8")
        (work / suite.module).write_text(candidate, encoding="utf-8")
        (work / _HARNESS_NAME).write_text(_HARNESS, encoding="utf-8")
        if language == "c":
            (work / "compiled").mkdir()
            build_error, build_timed_out = _compile_c(sandbox, work, suite.module)
            if build_error:
                return _all_failed(suite, build_error, timed_out=build_timed_out)
        token = "@@treeplay-cweval-" + secrets.token_hex(12) + "@@"
        res = sandbox.run([sandbox.python, "-I", _HARNESS_NAME, test_name, f"{test_timeout:g}"], workdir=work,
                          timeout=timeout, stdin=token + "\n")
    return _outcome(suite, tagged_records(res.stdout, token), res)


def _compile_c(sandbox: Sandbox, work: Path, module: str) -> tuple[str | None, bool]:
    """Build ``compiled/<task>`` as CWEval's ``compile_c.py`` does; returns (error or None, timed out)."""
    target = Path("compiled") / Path(module).stem
    argv = ["gcc", module, "-o", str(target), *c_link_flags()]
    res = sandbox.run(argv, workdir=work, timeout=COMPILE_TIMEOUT)
    if res.ok:
        return None, False
    if res.timed_out:
        return f"build timed out after {COMPILE_TIMEOUT:g} s", True
    return f"build failed: {_tail(res.stderr or res.stdout)}", False


@lru_cache(maxsize=1)
def c_link_flags() -> tuple[str, ...]:
    """The include and link flags of CWEval's C build, keeping only libraries installed here."""
    flags: list[str] = []
    if Path("/usr/include/libxml2").is_dir():
        flags.append("-I/usr/include/libxml2")
    for lib in _C_LIBRARIES:
        res = proc.run(["gcc", f"-print-file-name=lib{lib}.so"], timeout=30, install_hint="apt-get install gcc")
        found = res.stdout.strip()
        if res.ok and Path(found).is_absolute() and Path(found).exists():
            flags.append(f"-l{lib}")
    return (*flags, "-lm")


def _outcome(suite: TestSuite, records: Sequence[dict], res: proc.ProcResult) -> TestOutcome:
    """Per-test reports -> functional / secure (a test without a passing call report failed)."""
    collected: list[tuple[str, str | None]] = []
    errors: list[str] = []
    passed: dict[str, bool] = {}
    first_error: dict[str, str] = {}
    done = False
    for record in records:
        if "collected" in record:
            collected = [(nodeid, kind) for nodeid, kind in record["collected"]]
        elif "collect_error" in record:
            errors.append(f"collection failed: {record['collect_error'].strip()[-400:]}")
        elif "test" in record:
            ok = record["outcome"] == "passed" and record["when"] == "call"
            passed[record["test"]] = passed.get(record["test"], True) and ok
            if not ok and record.get("error"):
                first_error.setdefault(record["test"], record["error"].strip().splitlines()[-1][:300])
        elif "done" in record:
            done = True
    timed_out = res.timed_out
    if not done:
        errors.append(f"pytest {'timed out' if timed_out else f'ended early (exit {res.returncode})'}: "
                      f"{_tail(res.stderr)}")
    tests = [(nodeid, kind) for nodeid, kind in collected if kind in _KINDS]
    if not tests:
        return _all_failed(suite, "; ".join(errors) or "no functionality or security test of the candidate ran",
                           timed_out=timed_out)
    details = {}
    for marker, kind in _KINDS.items():
        ids = [nodeid for nodeid, k in tests if k == marker]
        if not ids:
            continue
        failed = tuple(i for i in ids if not passed.get(i, False))
        first = next((f"{i}: {first_error.get(i, 'did not run')}" for i in failed), None)
        details[kind] = FileOutcome(passed=not failed, timed_out=timed_out, error=first, failed_tests=failed,
                                    tests_run=len(ids))
    messages = errors + [d.error for d in details.values() if d.error]
    return TestOutcome(parsed=True,
                       functional=details["functional"].passed if "functional" in details else None,
                       secure_tests=details["security"].passed if "security" in details else None,
                       timed_out=timed_out, error="; ".join(messages) or None, details=details)


def _all_failed(suite: TestSuite, error: str | None, *, parsed: bool = True, timed_out: bool = False) -> TestOutcome:
    return TestOutcome(parsed=parsed, functional=False if suite.functional else None,
                       secure_tests=False if suite.security else None, timed_out=timed_out, error=error)


def _tail(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]
