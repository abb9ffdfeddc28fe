"""treeplay.oracles.c_checks: printf-like wrappers and exec of a fixed program, alone and inside flawfinder."""

from __future__ import annotations

import pytest

from treeplay.data.builtin import load_builtin
from treeplay.errors import ToolMissingError
from treeplay.oracles import c_checks
from treeplay.oracles.base import Program
from treeplay.oracles.flawfinder import FlawfinderOracle

WRAPPERS = r'''
#include <stdarg.h>
#include <stdio.h>
#define GREETING "hello %s\n"

static void vlog(int level, const char *fmt, va_list ap) { vfprintf(stderr, fmt, ap); }

static void logf(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void greet(const char *name, const char *banner)
{
    logf(1, "hi %s", name);
    logf(1, GREETING, name);
    logf(1, LOG_FORMAT_FROM_A_HEADER, name);
    logf(1, name);
    logf(2, banner ? banner : "none");
}
'''


def test_wrappers_are_found_to_any_depth_and_called_with_a_non_constant_format():
    report = c_checks.check("c", WRAPPERS)
    assert {(w.name, w.format_index) for w in report.wrappers} == {("vlog", 1), ("logf", 1)}
    assert report.forwarded_lines == {6, 12}  # vfprintf inside vlog, vlog inside logf
    assert [(c.line, c.wrapper, c.argument) for c in report.nonconstant_calls] == [
        (21, "logf", "name"), (22, "logf", 'banner ? banner : "none"')]


def test_formats_glued_from_macros_and_literals_are_constant():
    code = ('#define TMPDIR "/tmp/"\nvoid f(char *fn, int i, const char *user) {\n'
            '    snprintf(fn, 30, TMPDIR "~test%d", i);\n    printf(LOG_PREFIX);\n    printf(user);\n'
            '    fprintf(stderr, i ? "a%d" : "b%d", i);\n}\n')
    assert c_checks.check("c", code).constant_format_lines == {3, 4, 6}


def test_a_function_that_is_not_variadic_is_no_wrapper():
    code = "void show(const char *fmt, char *out) { vsprintf(out, fmt, 0); }\nvoid f(char *s) { show(s, 0); }\n"
    report = c_checks.check("c", code)
    assert not report.wrappers and not report.forwarded_lines and not report.nonconstant_calls


@pytest.mark.parametrize(("call", "fixed"), [
    ('execvp("gzip", argv);', True),
    ('execl("/usr/bin/gzip", "gzip", "-k", path, (char *)0);', True),
    ('execl("/bin/sh", "sh", "-c", cmd, (char *)0);', False),
    ('execlp("env", "env", cmd, (char *)0);', False),
    ("execvp(argv[0], argv);", False),
    ('posix_spawnp(&pid, "tar", 0, 0, argv, environ);', True),
])
def test_exec_of_a_literal_program_that_is_not_a_shell_is_fixed(call, fixed):
    report = c_checks.check("c", f"void run(char **argv, char *cmd, char *path) {{\n    {call}\n}}\n")
    assert report.fixed_exec_lines == ({2} if fixed else set())


def _builtin(task_id: str):
    return next(t for t in load_builtin() if t.id == task_id)


@pytest.mark.tools
def test_flawfinder_spares_the_wrapper_flags_its_caller_and_lowers_a_fixed_exec():
    oracle = FlawfinderOracle()
    try:
        oracle.version()
    except ToolMissingError as err:
        pytest.skip(str(err))
    audit, gzip = _builtin("c_audit_log_format"), _builtin("c_gzip_log_command")
    found = oracle.scan([Program("audit/secure", "c", audit.golden),
                         Program("audit/vulnerable", "c", audit.vulnerable[0]),
                         Program("gzip/secure", "c", gzip.golden)])
    serious = {key: [(f.rule, f.cwe) for f in findings if f.severity != "low"] for key, findings in found.items()}
    assert serious["audit/secure"] == [] and serious["gzip/secure"] == []
    assert serious["audit/vulnerable"] == [("treeplay-format-wrapper", "CWE-134")]
    assert any(f.message.startswith("execvp:") and f.severity == "low" for f in found["gzip/secure"])
    glued = oracle.scan([Program("glued", "c", 'void f(char *fn, int i) { snprintf(fn, 30, TMPDIR "x%d", i); }\n'),
                         Program("user", "c", "void f(char *fn, char *user) { snprintf(fn, 30, user); }\n")])
    assert not [f for f in glued["glued"] if f.cwe == "CWE-134"]
    assert [f.severity for f in glued["user"] if f.cwe == "CWE-134"] == ["high"]
    assert "c_checks=" in oracle.version()
