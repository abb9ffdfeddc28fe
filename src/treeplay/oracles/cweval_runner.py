"""Runner for CWEval tests: a candidate task file against the task's pytest module, inside the sandbox.

A ``cweval`` TestSuite holds the pytest module (``cwe_XXX_N[_lang]_test.py``) and ``pytest.ini``; its tests are
marked ``functionality`` or ``security``. The candidate is written where the test module expects it, under the
task file's name (``TestSuite.module``):

- Python: the test module imports the function from the task module (``from cwe_022_0_task import ...``);
- C and C++: the test runs ``compiled/<task>_task`` beside it, so the candidate is compiled there with gcc (g++
  for C++) and the libraries CWEval links (sqlite3, jwt, ssl, crypto, archive, libxml2; those not installed are
  left out, and a candidate that needs one fails to link);
- Go: the test runs ``compiled/<task>_task`` too, built with the system's ``go build`` in GOPATH mode
  (``GO111MODULE=off``): Debian ships Go 1.19, older than CWEval's go.mod asks for, and its third-party packages
  as ``golang-*-dev`` sources under ``GOPATH`` (``/usr/share/gocode``). Nothing is downloaded (``GOPROXY=off``);
  the build cache lives in the sandbox's private /tmp. Before building, the candidate's imports are read: a
  third-party package (first path element with a dot) found in no GOPATH entry makes the outcome *unsupported*
  (``supported=False``, results None, ``error`` naming the package), not failed, since no candidate could pass
  here. A standard-library path that does not exist is the candidate's mistake and fails the build;
- JavaScript: the test runs ``node <task>.js``, with the sandbox's ``node_modules`` on ``NODE_PATH``.

A build that fails (syntax errors included: C++ and Go have no separate parse check) fails both test kinds.
Then pytest runs once, in the sandboxed judge (``treeplay.oracles.judge``, mode ``pytest``), over a read-only work
folder. The candidate is never loaded into the judge: a Python candidate runs in a child process and the test
module's import of it is a proxy; compiled and JavaScript candidates are programs the test starts as children.
A plugin (as CWEval's own ``run_tests.py`` does with ``-k 'not _unsafe'``) deselects the tests of the benchmark's
own ``_unsafe`` reference programs, which are not shipped and do not test the candidate, bounds every test with a
timer, and reports each test's outcome as soon as it is known, tagged with a random token only the judge knows.
A test passes when its call phase passed (CWEval's rule) and the candidate's process did not die during it;
functional = every ``functionality`` test passed, secure = every ``security`` test passed. Tests that never
reported (the judge was killed) fail.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from treeplay.errors import ToolMissingError
from treeplay.oracles import judge, proc
from treeplay.oracles.native import EXTENSIONS, FileOutcome, TestOutcome, check_parses
from treeplay.oracles.sandbox import Sandbox
from treeplay.oracles.workfiles import write_files, write_new
from treeplay.records import TestSuite

TIMEOUT = 120.0  # seconds of wall clock for one pytest run
TEST_TIMEOUT = 10.0  # seconds per test (CWEval: 3 s with pytest-timeout; a loaded machine needs slack)
COMPILE_TIMEOUT = 60.0
LANGUAGES = ("python", "c", "cpp", "javascript", "go")
_C_LIBRARIES = ("sqlite3", "jwt", "ssl", "crypto", "archive", "xml2")
_COMPILERS = {"c": ("gcc", "apt-get install gcc"), "cpp": ("g++", "apt-get install g++"),
              "go": ("go", "apt-get install golang-go")}
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"  # what the sandbox sees of the host's programs
# Where Debian's golang-*-dev packages put their sources; $TREEPLAY_GOPATH (a GOPATH list) replaces it.
DEFAULT_GOPATH = "/usr/share/gocode"
# A Go build runs the go command, compile, link and (cgo) gcc, each with its own threads: more than the default
# process cap of a test run, and more CPU than one test.
_BUILD_LIMITS = {"processes": 256, "cpu_seconds": 60, "memory_mb": 2048}
# Comments go, string literals stay (an import path is one); then import declarations at the start of a line.
_GO_COMMENT_OR_STRING = re.compile(r'//[^\n]*|/\*.*?\*/|("(?:\\.|[^"\\\n])*"|`[^`]*`|\'(?:\\.|[^\'\\\n])*\')',
                                   re.S)
_GO_IMPORT = re.compile(r'^[ \t]*import\s*(?:\(([^)]*)\)|((?:[\w.]+\s+)?(?:"[^"]*"|`[^`]*`)))', re.M)
_GO_PATH = re.compile(r'"([^"]*)"|`([^`]*)`')
_KINDS = {"functionality": "functional", "security": "security"}

def run_cweval_tests(suite: TestSuite, language: str, candidate: str, *, sandbox: Sandbox,
                     timeout: float = TIMEOUT, test_timeout: float = TEST_TIMEOUT) -> TestOutcome:
    """Run ``candidate`` (a whole task file) against a ``cweval`` suite; never raises for failing code.

    Languages outside ``LANGUAGES``, and Go candidates importing a package not installed here, are reported
    unsupported (``supported=False``, results None), not run. Raises ``ToolMissingError`` when the compiler a
    language needs is missing.
    """
    test_name = next((n for n in suite.files if n.endswith("_test.py")), None)
    if suite.kind != "cweval" or test_name is None:
        raise ValueError("expected a cweval TestSuite holding a *_test.py module")
    if language not in LANGUAGES:
        return unsupported(f"CWEval tests for {language} are not supported (only {', '.join(LANGUAGES)})")
    if language == "go":
        missing = missing_go_packages(go_imports(candidate))
        if missing:
            return unsupported(f"Go package {', '.join(missing)} is not installed (GOPATH {':'.join(go_path())}; "
                               f"Debian's golang-*-dev packages install there)")
    checker = _redos_checker(sandbox) if _RECHECK in suite.files[test_name] else None
    if checker is not None and not checker.is_file():
        return unsupported(f"the ReDoS checker its security tests call is not installed ({checker}; "
                           "`make setup` installs it with npm: recheck-linux-x64)")
    if language in EXTENSIONS:  # C++ and Go have no separate parse check: their build is it
        parsed, parse_error = check_parses(language, candidate, sandbox=sandbox)
        if not parsed:
            return _all_failed(suite, parse_error, parsed=False)
    with sandbox.workdir() as work:
        # Every input is written before the first sandboxed run; the test run sees the folder read-only.
        write_files(work, suite.files, reserved=(suite.module, "compiled", "third_party"))
        write_new(work, suite.module, candidate)
        if checker is not None:  # CWE-1333 tests run ./third_party/recheck-linux-x64 from the work folder
            (work / _RECHECK).parent.mkdir()
            (work / _RECHECK).symlink_to(checker)
        if language in _COMPILERS:
            (work / "compiled").mkdir()
            build_error, build_timed_out = _compile(sandbox, work, language, suite.module)
            if build_error:
                return _all_failed(suite, build_error, timed_out=build_timed_out)
        config = {"mode": "pytest", "tests": str(work / test_name), "test_budget": test_timeout, "cwd": str(work),
                  "module": Path(suite.module).stem if language == "python" else None}
        records, res = judge.run_judge(sandbox, work, config, timeout=timeout)
    return _outcome(suite, records, res)


_RECHECK = "third_party/recheck-linux-x64"


def _redos_checker(sandbox: Sandbox) -> Path:
    """The ReDoS checker binary (npm package recheck-linux-x64) in the sandbox's environment, readable inside."""
    return sandbox.env_dir / "node_modules" / "recheck-linux-x64" / "recheck"


def unsupported(reason: str) -> TestOutcome:
    """The outcome of tests that cannot run here: no results (left out of func@k), the reason in ``error``."""
    return TestOutcome(parsed=True, functional=None, secure_tests=None, error=f"unsupported: {reason}",
                       supported=False)


def _compile(sandbox: Sandbox, work: Path, language: str, module: str) -> tuple[str | None, bool]:
    """Build ``compiled/<task>`` where the test module runs it; returns (error or None, timed out)."""
    target = str(Path("compiled") / Path(module).stem)
    compiler = _compiler(language)
    env: Mapping[str, str] | None = None
    if language == "go":
        argv = [compiler, "build", "-o", target, module]
        env = go_build_env()
    else:  # as CWEval's compile step: the task file alone, linked against the libraries installed here
        argv = [compiler, module, "-o", target, *c_link_flags()]
    limits = dataclasses.replace(sandbox.limits, **{k: max(v, getattr(sandbox.limits, k))
                                                    for k, v in _BUILD_LIMITS.items()})
    res = sandbox.with_limits(limits).run(argv, workdir=work, timeout=COMPILE_TIMEOUT, env=env)
    if res.ok:
        return None, False
    if res.timed_out:
        return f"build timed out after {COMPILE_TIMEOUT:g} s", True
    return f"build failed: {_tail(res.stderr or res.stdout)}", False


def _compiler(language: str) -> str:
    """Host path of the language's compiler, from the system folders the sandbox sees."""
    name, fix = _COMPILERS[language]
    found = shutil.which(name, path=_SYSTEM_PATH)
    if found is None:
        raise ToolMissingError(f"{name} is not installed (needed for CWEval {language} tasks)", tool=name, fix=fix)
    return found


def go_path() -> tuple[str, ...]:
    """The GOPATH entries Go builds search: $TREEPLAY_GOPATH, else Debian's ``/usr/share/gocode``."""
    return tuple(p for p in os.environ.get("TREEPLAY_GOPATH", DEFAULT_GOPATH).split(os.pathsep) if p)


def go_build_env() -> dict[str, str]:
    """Environment of a sandboxed ``go build``: GOPATH mode, offline, its cache in the sandbox's private /tmp."""
    return {"GO111MODULE": "off", "GOPATH": os.pathsep.join(go_path()), "GOPROXY": "off", "GOFLAGS": "",
            "GOCACHE": "/tmp/go-build-cache", "GOTMPDIR": "/tmp", "GOTOOLCHAIN": "local", "GOTELEMETRY": "off",
            "CGO_ENABLED": "1", "GOMAXPROCS": "2"}


def go_imports(source: str) -> list[str]:
    """The import paths of a Go source file, in order, without repeats (comments are ignored)."""
    code = _GO_COMMENT_OR_STRING.sub(lambda m: m.group(1) or " ", source)
    paths: list[str] = []
    for match in _GO_IMPORT.finditer(code):
        block = match.group(1) if match.group(1) is not None else match.group(2)
        paths += [double or raw for double, raw in _GO_PATH.findall(block)]
    return list(dict.fromkeys(paths))


def missing_go_packages(paths: Sequence[str]) -> list[str]:
    """Third-party import paths (first element holds a dot, as Go requires of them) found in no GOPATH entry.

    Standard-library paths (and cgo's ``"C"``, and relative paths) are left to the compiler: one that does not
    exist is the candidate's error, not a missing package.
    """
    return [path for path in paths
            if "." in path.split("/")[0] and not path.startswith(".")
            and not any((Path(root) / "src" / path).is_dir() for root in go_path())]


@lru_cache(maxsize=1)
def c_link_flags() -> tuple[str, ...]:
    """The include and link flags of CWEval's C and C++ builds, keeping only libraries installed here."""
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
