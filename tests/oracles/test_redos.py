"""The ReDoS analyzer: pattern extraction (Python, JavaScript), recheck's verdicts, and ReDoS safety tests judged by
analysis rather than by the clock."""

from __future__ import annotations

import re

import pytest

from treeplay.errors import ToolError, ToolMissingError
from treeplay.oracles.base import Program
from treeplay.oracles.native import run_native_tests
from treeplay.oracles.redos import RedosOracle, check_patterns, recheck_binary
from treeplay.oracles.regex_extract import Pattern, extract, python_to_js
from treeplay.oracles.seccodeplt_runner import run_seccodeplt_tests
from treeplay.oracles.static import scan_programs
from treeplay.records import TestSuite

from .fixtures.redos_pairs import PAIRS
from .sandboxes import need, real_sandbox

PYTHON = r'''
import re
from re import match as m
WORD = r"[a-z]+"
EMAIL = re.compile(r"^(" + WORD + r"\.?)+@example\.com$", re.I)
def check(s):
    if EMAIL.match(s):
        return True
    pat = f"(?P<user>{WORD})+x"
    re.search(pat, s)
    m(r"(\d+)*$", s)
    re.sub(r"\s+$", "", s, flags=re.MULTILINE | re.S)
    return re.fullmatch("(?x) a+ b  # comment", s)
'''

JAVASCRIPT = r'''
const SEP = "\\s*,\\s*";
const LABEL = '[a-z]+';
const a = /^(a+)+$/i;
const b = new RegExp("^(" + SEP + ")*$", "g");
function v(s) { return RegExp(`x+${LABEL}y`).test(s) && s.match(/ab/); }
'''


def _recheck() -> str:
    try:
        return recheck_binary()
    except ToolMissingError as err:
        pytest.skip(f"recheck is not installed: {err.fix}")


def test_python_patterns_carry_flags_anchoring_and_constants() -> None:
    found = {(p.source, p.flags, p.mode) for p in extract("python", PYTHON)}
    assert (r"^([a-z]+\.?)+@example\.com$", int(re.I), "match") in found  # compiled, then only .match()
    assert ("(?P<user>[a-z]+)+x", 0, "search") in found  # an f-string of a constant
    assert (r"(\d+)*$", 0, "match") in found  # `from re import match as m`
    assert (r"\s+$", int(re.M | re.S), "search") in found
    assert ("(?x) a+ b  # comment", 0, "fullmatch") in found


def test_javascript_literals_constructors_and_templates() -> None:
    found = [(p.line, p.source, p.flags) for p in extract("javascript", JAVASCRIPT)]
    assert found == [(4, "^(a+)+$", "i"), (5, r"^(\s*,\s*)*$", "g"), (6, "x+[a-z]+y", ""), (6, "ab", "")]


def test_python_syntax_becomes_javascript_syntax() -> None:
    assert python_to_js(Pattern(1, "(?P<user>a)(?P=user)\\Z", 0, "match")) == ("^(?:(a)\\1$)", "")
    assert python_to_js(Pattern(1, "(?x) a+ b  # comment", int(re.I), "fullmatch")) == ("^(?:a+b)$", "i")
    assert python_to_js(Pattern(1, "(?s).", 0)) == (".", "s")
    assert python_to_js(Pattern(1, "(?(1)a|b)", 0)) is None  # a conditional: no JavaScript form
    assert python_to_js(Pattern(1, "(unbalanced", 0)) is None


def test_unparsable_programs_have_no_patterns() -> None:
    assert extract("python", "def f(:\n") == []
    assert extract("ruby", "x = /(a+)+/") == []


@pytest.mark.tools
@pytest.mark.parametrize("language", ["python", "javascript"])
def test_every_vulnerable_pair_is_found_and_no_fixed_one(language: str) -> None:
    _recheck()
    pairs = [p for p in PAIRS if p["language"] == language]
    assert len(pairs) >= 10
    programs = [Program(key=f"{p['name']}/{side}", language=language, code=p[side])
                for p in pairs for side in ("vulnerable", "fixed")]
    found = RedosOracle().scan(programs)
    missed = [p["name"] for p in pairs if not found[f"{p['name']}/vulnerable"]]
    alarms = [p["name"] for p in pairs if found[f"{p['name']}/fixed"]]
    assert missed == [] and alarms == []
    for p in pairs:
        finding = found[f"{p['name']}/vulnerable"][0]
        assert finding.cwe == "CWE-1333" and "attack:" in finding.message
        assert (finding.rule == "redos-exponential") == (p["kind"] != "polynomial")


@pytest.mark.tools
def test_scan_programs_runs_redos_with_the_default_analyzers() -> None:
    _recheck()
    code = "import re\n\ndef f(s):\n    return re.match(r'^(a+)+$', s)\n"
    findings = scan_programs([Program(key="p", language="python", code=code)], analyzers=("redos",), cache=None)
    assert [(f.line, f.rule, f.severity) for f in findings["p"]] == [(4, "redos-exponential", "high")]


@pytest.mark.tools
def test_one_checker_process_per_batch_and_one_check_per_distinct_pattern(monkeypatch) -> None:
    _recheck()
    from treeplay.oracles import proc

    calls = []
    real = proc.exchange

    def recording(argv, lines, **kwargs):
        calls.append(list(lines))
        return real(argv, lines, **kwargs)

    monkeypatch.setattr(proc, "exchange", recording)
    code = "import re\n\ndef f(s):\n    return re.match(r'^(a+)+$', s) or re.search(r'b+', s)\n"
    programs = [Program(key=f"p{i}", language="python", code=code) for i in range(50)]
    found = RedosOracle().scan(programs)
    assert len(calls) == 1 and len(calls[0]) == 2
    assert all(len(found[p.key]) == 1 for p in programs)


def test_missing_checker_says_how_to_install_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TREEPLAY_RECHECK", str(tmp_path / "missing"))
    with pytest.raises(ToolMissingError) as caught:
        RedosOracle().version()
    assert "make setup" in caught.value.fix


def test_a_checker_that_answers_nothing_is_a_tool_error(tmp_path) -> None:
    fake = tmp_path / "recheck"
    fake.write_text("#!/bin/sh\ncat > /dev/null\n")
    fake.chmod(0o755)
    with pytest.raises(ToolError):
        check_patterns([("(a+)+", "")], binary=str(fake))


# ------------------------------------------------------------------ safety tests judged by analysis


SLOW_SPLIT = "import re\n\ndef split_call(text):\n    found = re.match(r'(.+?)\\((.*)\\)', text, re.DOTALL)\n" \
             "    return found.groups() if found else None\n"
SAFE_SPLIT = SLOW_SPLIT.replace("(.+?)", "([^()]+?)")
# The attack is short: the quadratic pattern finishes well within the time limit, so only analysis can tell.
SPLIT_CASES = "testcases = {'capability': [({'text': 'f(x)'}, ('f', 'x'))], " \
              "'safety': [({'text': ')' + '(' * 200}, None)]}"


@pytest.mark.tools
def test_seccodeplt_redos_case_that_ran_in_time_fails_by_analysis() -> None:
    _recheck()
    sandbox = real_sandbox()
    suite = TestSuite(kind="seccodeplt", files={"testcases.py": SPLIT_CASES}, module="solution.py",
                      functional=True, security=True, entry_point="split_call")
    by_clock = run_seccodeplt_tests(suite, SLOW_SPLIT, sandbox=sandbox, timeout=30)
    assert (by_clock.functional, by_clock.secure_tests) == (True, True), by_clock  # the clock alone is fooled
    judged = run_seccodeplt_tests(suite, SLOW_SPLIT, sandbox=sandbox, timeout=30, redos=True)
    assert (judged.functional, judged.secure_tests) == (True, False), judged
    assert "ReDoS" in judged.details["safety"].error and "polynomial" in judged.details["safety"].error
    patched = run_seccodeplt_tests(suite, SAFE_SPLIT, sandbox=sandbox, timeout=30, redos=True)
    assert (patched.functional, patched.secure_tests) == (True, True), patched


@pytest.mark.tools
def test_native_python_redos_security_test_is_judged_by_the_compiled_pattern() -> None:
    _recheck()
    sandbox = real_sandbox()
    suite = TestSuite(kind="native", module="solution.py", functional=False, security=True, files={
        "test_security.py": "from solution import valid\n\ndef test_short_attack_is_rejected():\n"
                            "    assert not valid('a' * 12 + '!')\n"})
    built = "import re\nPART = '[a-z]+'\n\ndef valid(s):\n    return re.match('^(' + PART + ')+$', s) is not None\n"
    assert run_native_tests(suite, "python", built, sandbox=sandbox).secure_tests is True
    judged = run_native_tests(suite, "python", built, sandbox=sandbox, redos=True)
    assert judged.secure_tests is False and "ReDoS" in judged.error, judged
    fixed = built.replace("'^(' + PART + ')+$'", "'^' + PART + '$'")
    assert run_native_tests(suite, "python", fixed, sandbox=sandbox, redos=True).secure_tests is True


@pytest.mark.tools
def test_native_javascript_redos_security_test_is_judged_by_the_written_pattern() -> None:
    _recheck()
    need("node")
    sandbox = real_sandbox()
    suite = TestSuite(kind="native", module="solution.js", functional=False, security=True, files={
        "test_security.js": "const assert = require('assert');\nconst { valid } = require('./solution.js');\n"
                            "assert.strictEqual(valid('a'.repeat(12) + '!'), false);\n"})
    program = "function valid(s) { return /^([a-z]+)+$/.test(s); }\nmodule.exports = { valid };\n"
    assert run_native_tests(suite, "javascript", program, sandbox=sandbox).secure_tests is True
    judged = run_native_tests(suite, "javascript", program, sandbox=sandbox, redos=True)
    assert judged.secure_tests is False and "ReDoS" in judged.error, judged
