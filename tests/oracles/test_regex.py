"""CodeShield's regex rules as an in-process oracle, selected per language the way CodeShield selects them."""

from __future__ import annotations

import pytest

from treeplay.errors import ToolMissingError
from treeplay.oracles import proc
from treeplay.oracles.base import Program
from treeplay.oracles.regex import RegexOracle
from treeplay.oracles.static import make_oracle


@pytest.fixture(scope="module")
def oracle() -> RegexOracle:
    regex = RegexOracle()
    try:
        regex.version()
    except ToolMissingError as err:
        pytest.skip(str(err))
    return regex


def _ids(oracle: RegexOracle, language: str) -> set[str]:
    return {rule.pattern_id for rule in oracle.rules(language)}


def test_rules_follow_codeshields_config_per_language(oracle):
    java = _ids(oracle, "java")
    assert {"weak-md5-hashing", "deprecated-crypto-algorithms-usage"} <= java
    assert "weak-sha1-hashing" not in java  # enabled only in the cyberseceval use case
    assert "RUBY-R-001" not in _ids(oracle, "ruby")
    assert "RUBY-R-001" in _ids(RegexOracle(usecase="cyberseceval"), "ruby")
    assert _ids(oracle, "c") < _ids(oracle, "cpp")  # C++ adds its own rules to C's
    assert _ids(oracle, "go") == _ids(oracle, "ruby")  # language-agnostic only
    assert all(r.startswith("ALL-R-") for r in _ids(oracle, "go"))


def test_matches_carry_rule_cwe_line_and_skip_comments(oracle):
    code = ('class A {\n  void f() throws Exception {\n    MessageDigest.getInstance("MD5");\n'
            '    // Cipher.getInstance("DES");\n    Cipher.getInstance("DES/CBC/PKCS5Padding");\n  }\n}\n')
    found = oracle.scan([Program("a", "java", code)])["a"]
    assert [(f.rule, f.line) for f in found] == [("weak-md5-hashing", 3), ("deprecated-cbc-padding-usage", 5),
                                                 ("deprecated-crypto-algorithms-usage", 5)]
    assert all(f.tool == "codeshield-regex" and f.cwe == "CWE-327" and f.severity == "medium" for f in found)


def test_every_match_is_reported_not_only_the_first(oracle):
    code = "#include <stdio.h>\nvoid f(char *a) {\n  gets(a);\n  gets(a);\n}\n"
    found = oracle.scan([Program("c", "c", code)])["c"]
    assert [(f.rule, f.line) for f in found] == [("bugprone-gets", 3), ("bugprone-gets", 4)]


def test_runs_in_process_and_answers_every_key(oracle, monkeypatch):
    def no_process(*args, **kwargs):
        raise AssertionError("the regex oracle must not start a process")

    monkeypatch.setattr(proc, "run", no_process)
    programs = [Program("py", "python", "import hashlib\nh = hashlib.md5(b'x')\n"),
                Program("rb", "ruby", "puts 'hi'\n"), Program("go", "go", "package main\n")]
    found = oracle.scan(programs)
    assert set(found) == {"py", "rb", "go"}
    assert [f.rule for f in found["py"]] == ["insecure-md5-hash-usage"] and found["rb"] == []


def test_version_names_package_usecase_and_rules(oracle):
    assert oracle.version().startswith("codeshield ")
    assert oracle.version() != RegexOracle(usecase="cyberseceval").version()
    assert make_oracle("codeshield-regex").name == "codeshield-regex"
    with pytest.raises(ValueError):
        RegexOracle(usecase="nope")
