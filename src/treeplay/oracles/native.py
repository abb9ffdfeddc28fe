"""Runner for treeplay's native test format (the builtin task set, and any task file written in it).

A native suite has up to two test programs, ``test_functional.<ext>`` and ``test_security.<ext>``. The candidate
program is written to ``solution.<ext>`` next to them in a fresh directory, and each test program runs in its
own process, so a crash in one cannot hide the result of the other:

- Python: the test file defines ``test_*`` functions (plain ``assert``) and imports from ``solution``. A small
  harness runs every test function, even after a failure, and reports which failed. Parse check: ``ast.parse``.
- C: the test file has its own ``main`` and declares the prototypes it uses; it is compiled together with
  ``solution.c`` under AddressSanitizer and UBSan (an overflow is a failing test), and passes when it exits 0.
  Parse check: tree-sitter's C grammar (``treeplay.oracles.syntax``; a syntax check, so a function without its
  headers parses; compiling is the tests' job).
- JavaScript: the test file ``require('./solution.js')`` and passes when node exits 0. Parse check:
  ``node --check``.

C++, Go, Java and Ruby parse with their tree-sitter grammars too (in process: nothing runs). Every step that
executes something (the JavaScript parse check, compiling, every test program) runs
inside the ``Sandbox`` the caller passes, each test program in its own fresh work folder; see
``treeplay.oracles.sandbox`` for what that isolates. C test binaries run with ``Limits(sanitizer=True)``:
AddressSanitizer needs more address space than RLIMIT_DATA allows. ``check_parses`` without a sandbox runs node
on the host: for trusted code only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from treeplay.errors import ToolMissingError
from treeplay.oracles import judge, proc, syntax
from treeplay.oracles.judge import tagged_records  # noqa: F401  (re-exported: the runners read records with it)
from treeplay.oracles.sandbox import Sandbox
from treeplay.oracles.syntax import python_syntax_error  # noqa: F401  (re-exported: the runners import it here)
from treeplay.oracles.workfiles import write_files, write_new
from treeplay.records import EXTENSION_OF_LANGUAGE, TestSuite

EXTENSIONS = {lang: EXTENSION_OF_LANGUAGE[lang] for lang in ("python", "c", "javascript")}  # what it runs
PARSED_LANGUAGES = frozenset({"python", "javascript", *syntax.LANGUAGES})  # what check_parses can judge

_C_BINARY = "test_bin"
# The C harness: the test's main is compiled as treeplay_test_main (-Dmain=...); this main reads the proof before
# the test starts and prints it only when the test's main returned 0 (exit(), _exit() and crashes skip it).
_C_HARNESS = r"""#undef main
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int treeplay_test_main();
int main(int argc, char **argv)
{
    static char proof[128];
    ssize_t n = read(0, proof, sizeof proof - 1);
    if (n <= 0)
        return 97;
    proof[n] = 0;
    proof[strcspn(proof, "\n")] = 0;
    if (!freopen("/dev/null", "r", stdin))
        return 98;
    int rc = treeplay_test_main(argc, argv);
    if (rc != 0)
        return rc;
    fflush(stdout);
    dprintf(1, "\n%s\n", proof);
    return 0;
}
"""
# The JavaScript harness: reads the proof, runs the test file, prints the proof when the event loop runs empty
# without a failure ('beforeExit' is not emitted on process.exit() or after an uncaught error).
_JS_HARNESS = r"""'use strict';
const fs = require('fs');
const path = require('path');
const buffer = Buffer.alloc(128);
const proof = buffer.toString('utf8', 0, fs.readSync(0, buffer, 0, 128, null)).trim();
const test = path.resolve(process.argv[2]);
process.argv.splice(1, 1);
let armed = true;
process.on('beforeExit', () => {
  if (armed && !process.exitCode) {
    armed = false;
    fs.writeSync(1, '\n' + proof + '\n');
  }
});
require(test);
"""


@dataclass(frozen=True)
class FileOutcome:
    """Result of one test program: ``passed`` is True only when every test in it passed."""

    passed: bool
    timed_out: bool = False
    error: str | None = None
    failed_tests: tuple[str, ...] = ()
    tests_run: int = 0
    compiled: tuple[tuple[str, int], ...] = ()  # Python: the regular expressions the candidate compiled


@dataclass(frozen=True)
class TestOutcome:
    """Result of running one candidate against a task's tests (None = the task has no such tests).

    ``supported`` is False when the tests could not be run here at all (a language without a runner, a Go
    package that is not installed): ``functional`` and ``secure_tests`` are then None and ``error`` says why, so
    the program is left out of func@k rather than counted as failing.
    """

    __test__ = False

    parsed: bool
    functional: bool | None
    secure_tests: bool | None
    timed_out: bool = False
    error: str | None = None
    details: Mapping[str, FileOutcome] = field(default_factory=dict)
    supported: bool = True


def check_parses(language: str, program: str, *, timeout: float = 30.0,
                 sandbox: Sandbox | None = None) -> tuple[bool, str | None]:
    """Whether ``program`` parses: ``ast.parse`` (Python), a tree-sitter grammar (C, C++, Go, Java, Ruby) or
    ``node --check`` (JavaScript).

    With ``sandbox``, node runs inside it; without, on the host (trusted code only). The answer depends
    only on the language and the text, so it is remembered: scoring checks a candidate before its static scan
    and the test runner checks it again, and the second check must not start another compiler.
    """
    if language == "python":
        error = python_syntax_error(program)
        return error is None, error
    if language in syntax.LANGUAGES:
        error = syntax.syntax_error(language, program)
        return error is None, error
    key = (language, hashlib.sha256(program.encode("utf-8", errors="surrogatepass")).digest())
    with _PARSE_LOCK:
        known = _PARSED.get(key)
    if known is not None:
        return known
    result, timed_out = _run_parse_check(language, program, timeout, sandbox)
    if not timed_out:  # a timeout says nothing about the program: ask again next time
        with _PARSE_LOCK:
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.pop(next(iter(_PARSED)))  # oldest first: dicts keep insertion order
            _PARSED[key] = result
    return result


_PARSED: dict[tuple[str, bytes], tuple[bool, str | None]] = {}
_PARSED_MAX = 4096
_PARSE_LOCK = threading.Lock()  # score_candidates checks candidates from a thread pool


def _run_parse_check(language: str, program: str, timeout: float,
                     sandbox: Sandbox | None) -> tuple[tuple[bool, str | None], bool]:
    """((parses, error), timed out) from one run of node --check."""
    if language != "javascript":
        raise ValueError(f"no parse check for {language!r}")
    name = f"solution.{EXTENSIONS[language]}"
    argv = [sandbox.node if sandbox else _tool("node", "apt-get install nodejs"), "--check", name]
    if sandbox is None:
        with tempfile.TemporaryDirectory(prefix="treeplay-parse-") as tmp:
            (Path(tmp) / name).write_text(program, encoding="utf-8")
            res = proc.run(argv, cwd=tmp, timeout=timeout)
    else:
        with sandbox.workdir() as work:
            (work / name).write_text(program, encoding="utf-8")
            res = sandbox.run(argv, workdir=work, timeout=timeout)
    return (res.ok, None if res.ok else _tail(res.stderr)), res.timed_out


def run_native_tests(suite: TestSuite, language: str, candidate: str, *, sandbox: Sandbox,
                     timeout: float = 20.0, env: Mapping[str, str] | None = None, redos: bool = False) -> TestOutcome:
    """Run ``candidate`` (a whole program) against a native suite inside ``sandbox``; never raises for failing code.

    ``timeout`` bounds each step (the parse check, a compilation, one test program) in wall-clock seconds.
    ``redos`` (a CWE-1333 task): the security tests also fail when a regular expression the candidate compiles
    (Python) or writes (JavaScript) backtracks catastrophically (``treeplay.oracles.redos``), however fast the
    tests ran here; their time limits stay as a backstop.
    """
    if language not in EXTENSIONS:
        raise ValueError(f"native tests support {sorted(EXTENSIONS)}, not {language!r}")
    parsed, parse_error = check_parses(language, candidate, timeout=timeout, sandbox=sandbox)
    if not parsed:
        return TestOutcome(parsed=False, functional=False if suite.functional else None,
                           secure_tests=False if suite.security else None, error=parse_error)
    ext = EXTENSIONS[language]
    details: dict[str, FileOutcome] = {}
    for kind in ("functional", "security"):
        name = f"test_{kind}.{ext}"
        if getattr(suite, kind) and name in suite.files:
            details[kind] = _run_file(sandbox, language, suite.files, name, candidate, timeout, env)
            if redos and kind == "security" and details[kind].passed and language in ("python", "javascript"):
                details[kind] = _redos_judged(details[kind], candidate, language)
    functional = details["functional"].passed if "functional" in details else None
    secure = details["security"].passed if "security" in details else None
    errors = [f"{k}: {d.error}" for k, d in details.items() if d.error]
    return TestOutcome(parsed=True, functional=functional, secure_tests=secure,
                       timed_out=any(d.timed_out for d in details.values()),
                       error="; ".join(errors) or None, details=details)


def _run_file(sandbox: Sandbox, language: str, files: Mapping[str, str], name: str, candidate: str,
              timeout: float, env: Mapping[str, str] | None) -> FileOutcome:
    ext = EXTENSIONS[language]
    # A fresh work folder per test program: what one run leaves behind cannot influence the next.
    with sandbox.workdir() as work:
        write_files(work, files, reserved=(f"solution.{ext}", _C_BINARY))
        write_new(work, f"solution.{ext}", candidate)
        if language == "python":
            return _run_python(sandbox, work, name, timeout, env)
        if language == "c":
            return _run_c(sandbox, work, name, timeout, env)
        return _run_javascript(sandbox, work, name, timeout, env)


def _run_python(sandbox: Sandbox, work: Path, name: str, timeout: float,
                env: Mapping[str, str] | None) -> FileOutcome:
    config = {"mode": "native", "tests": str(work / name), "module": "solution"}
    records, res = judge.run_judge(sandbox, work, config, timeout=timeout, env=env)
    report = next((r for r in reversed(records) if "results" in r), None)
    if report is None:
        if res.timed_out:
            return FileOutcome(passed=False, timed_out=True, error=f"timed out after {timeout:g} s")
        return FileOutcome(passed=False, error=f"the judge reported nothing (exit {res.returncode}): "
                                               f"{_tail(res.stderr) or _tail(res.stdout)}")
    if report.get("load_error"):
        return FileOutcome(passed=False, error=str(report["load_error"])[:500])
    results = [(str(n), e) for n, e in report.get("results") or []]
    if not results:
        return FileOutcome(passed=False, error=f"{name} defines no test_* function")
    failed = tuple(n for n, err in results if err)
    first = next((f"{n}: {err}" for n, err in results if err), None)
    timed_out = any("time budget" in str(err) for _, err in results if err)
    compiled = tuple((str(p[0]), int(p[1])) for p in report.get("patterns") or []
                     if isinstance(p, list) and len(p) == 2 and isinstance(p[1], int))
    return FileOutcome(passed=not failed, timed_out=timed_out, error=first, failed_tests=failed,
                       tests_run=len(results), compiled=compiled)


def _redos_judged(outcome: FileOutcome, candidate: str, language: str) -> FileOutcome:
    from treeplay.oracles.redos import compiled_failure

    why = compiled_failure(outcome.compiled, candidate, language)
    if why is None:
        return outcome
    return dataclasses.replace(outcome, passed=False, error=why, failed_tests=(*outcome.failed_tests, "redos"))


def _run_c(sandbox: Sandbox, work: Path, name: str, timeout: float, env: Mapping[str, str] | None) -> FileOutcome:
    harness = judge.install(work) / "tp_main.c"
    harness.write_text(_C_HARNESS, encoding="utf-8")
    argv: Sequence[str] = [_tool("gcc", "apt-get install gcc"), "-std=gnu11", "-O1", "-g",
                           "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
                           "-Dmain=treeplay_test_main", "-o", _C_BINARY, "solution.c", name, str(harness), "-lm"]
    build = sandbox.run(argv, workdir=work, timeout=timeout, env=env)  # the compiler writes the binary here
    if not build.ok:
        return FileOutcome(passed=False, timed_out=build.timed_out,
                           error=f"build failed: {_tail(build.stderr)}")
    # ASan reserves terabytes of shadow address space: the sandbox holds its memory by other means.
    asan = sandbox.with_limits(dataclasses.replace(sandbox.limits, sanitizer=True))
    return _proof_outcome(asan, [str(work / _C_BINARY)], work, timeout, env)


def _run_javascript(sandbox: Sandbox, work: Path, name: str, timeout: float,
                    env: Mapping[str, str] | None) -> FileOutcome:
    harness = judge.install(work) / "tp_main.js"
    harness.write_text(_JS_HARNESS, encoding="utf-8")
    return _proof_outcome(sandbox, [sandbox.node, str(harness), str(work / name)], work, timeout, env)


def _proof_outcome(sandbox: Sandbox, argv: Sequence[str], work: Path, timeout: float,
                   env: Mapping[str, str] | None) -> FileOutcome:
    """Run a C or JavaScript test program that must print the proof it is given once all its checks ran."""
    proof = "@@treeplay-proof-" + secrets.token_hex(16) + "@@"
    res = sandbox.run(argv, workdir=work, timeout=timeout, env=env, stdin=proof + "\n", writable_work=False)
    if res.timed_out:
        return FileOutcome(passed=False, timed_out=True, error="timed out")
    if res.returncode != 0:
        return FileOutcome(passed=False, error=f"exit {res.returncode}: {_tail(res.stderr) or _tail(res.stdout)}")
    if proof not in res.stdout.splitlines():
        return FileOutcome(passed=False, error="the test program exited 0 without finishing its checks (no proof "
                                               f"of completion): {_tail(res.stderr) or _tail(res.stdout)}")
    return FileOutcome(passed=True, tests_run=1)


def _tool(name: str, fix: str) -> str:
    """Host path of a toolchain program (the sandbox sees the host's /usr read-only)."""
    found = shutil.which(name)
    if found is None:
        raise ToolMissingError(f"{name} is not installed", tool=name, fix=fix)
    return found


def _tail(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]
