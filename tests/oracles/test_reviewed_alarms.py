"""The review of false alarms the detection benchmarks subtract (benchmarks/reviewed_alarms.yaml), and the
executed check behind its largest entry (benchmarks/format_leak.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from treeplay.oracles.semgrep import RULES_DIR

from .sandboxes import real_sandbox

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


@pytest.fixture(scope="module")
def reviewed():
    return _load("reviewed")


def test_every_reviewed_rule_exists_and_every_key_names_a_secure_program(reviewed):
    own = {r["id"] for path in RULES_DIR.glob("*.yaml") for r in yaml.safe_load(path.read_text())["rules"]}
    table = reviewed.load_reviewed()
    assert table, "the review file lists nothing"
    for key, rules in table.items():
        assert re.fullmatch(r"[\w.-]+/(secure|after)", key), key
        for rule in rules:
            for part in rule.split("+"):  # findings merged across tools carry both ids
                assert part in own or re.fullmatch(r"B\d{3}", part) or part == "cursor-execute-sqli", part


def test_a_reference_stops_counting_only_when_every_finding_is_reviewed(reviewed, tmp_path):
    path = tmp_path / "review.yaml"
    path.write_text("- rule: rule-a\n  evidence: reading\n  why: checked\n  programs: [t1/secure]\n")
    table = reviewed.load_reviewed(path)
    assert not reviewed.still_alarm("t1/secure", ["rule-a"], table)
    assert reviewed.still_alarm("t1/secure", ["rule-a", "rule-b"], table)  # a new finding counts again
    assert reviewed.still_alarm("t2/secure", ["rule-a"], table)  # reviewed for another program only
    assert not reviewed.still_alarm("t2/secure", [], table)  # no finding, no alarm


@pytest.mark.parametrize("text, named", [
    ("- rule: r\n  evidence: hunch\n  why: w\n  programs: [t/secure]\n", "evidence must be one of"),
    ("- rule: r\n  evidence: reading\n  programs: [t/secure]\n", "expected exactly the fields"),
    ("- rule: r\n  evidence: reading\n  why: w\n  programs: []\n", "non-empty list"),
])
def test_a_malformed_review_entry_is_refused_with_its_number(reviewed, tmp_path, text, named):
    path = tmp_path / "review.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"review.yaml, entry 1: .*{named}"):
        reviewed.load_reviewed(path)


PROXY = '''\
class Account:
    def __init__(self, owner, pin):
        self.owner = owner
        self.pin = pin

ACCOUNTS = {"a1": Account("Ada", "4321")}

def render(account_id, template):
    class Guarded:
        def __init__(self, account):
            self._account = account

        def __getattr__(self, name):
            if name == "pin":
                raise ValueError("the pin is not printable")
            return getattr(self._account, name)

    return template.format(account=Guarded(ACCOUNTS[account_id]))
'''
FIELDS_ONLY = '''\
ACCOUNTS = {"a1": {"owner": "Ada", "pin": "4321"}}

def render(account_id, template):
    return template.format(owner=ACCOUNTS[account_id]["owner"])
'''
CASES = 'testcases = {"capability": [({"account_id": "a1", "template": "Owner: {account.owner}"}, "Owner: Ada")]}'


@pytest.mark.parametrize("code, leaks", [(PROXY, True), (FIELDS_ONLY, False)])
def test_the_format_string_exploit_reaches_globals_through_a_proxy_but_not_through_plain_strings(code, leaks):
    format_leak = _load("format_leak")
    task = SimpleNamespace(entry_point="render",
                           tests=SimpleNamespace(files={"testcases.py": CASES}, entry_point="render"))
    leaked, how = format_leak.try_leak(real_sandbox(), task, code)
    assert leaked is leaks, how
    # the same template reaches the guarded pin when run directly: what "leaked" stands for
    if leaks:
        ns: dict = {}
        exec(code, ns)  # noqa: S102 - this test's own fixture
        assert ns["render"]("a1", "{account.__init__.__globals__[ACCOUNTS][a1].pin}") == "4321"
