"""Dataflow rules (treeplay.oracles.dataflow) and scan profiles (treeplay.oracles.profiles)."""

from __future__ import annotations

import json
import re
import sys

import pytest

from treeplay.config import load_config
from treeplay.errors import ToolMissingError
from treeplay.oracles import dataflow
from treeplay.oracles.base import DEFAULT_ANALYZERS, Program
from treeplay.oracles.profiles import PROFILES, get_profile, profile_scan
from treeplay.oracles.semgrep import SemgrepOracle
from treeplay.oracles.static import scan_programs

from .dataflow_examples import DJANGO_VIEW, FLOW, LOCAL_INPUT, PAPER, UNMODELED

DEFAULT_ONLY = {"template-injection", "log-injection", "header-injection"}


def test_every_rule_has_an_example_a_canonical_cwe_and_its_codeql_query():
    default = {r["id"] for r in dataflow.rules("default")}
    paper = dataflow.rules("paper")
    assert default == {f"treeplay-py-flow-{name}" for name in FLOW}
    assert {r["id"] for r in paper} == {f"treeplay-cq-py-{n}" for n in FLOW if n not in DEFAULT_ONLY} | set(PAPER)
    for rule in paper:
        assert re.fullmatch(r"CWE-\d+", rule["metadata"]["cwe"]) and rule["metadata"]["codeql"].startswith("py/")
    assert set(dataflow.SINK_CALLS) >= set(FLOW) | {"clear-text-logging", "weak-sensitive-data-hashing"}


def test_rule_files_are_written_once_per_content(tmp_path, monkeypatch):
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path))
    first = dataflow.rule_file("paper")
    assert first == dataflow.rule_file("paper") and first.parent.parent == tmp_path
    assert json.loads(first.read_text())["rules"] == json.loads(json.dumps(dataflow.rules("paper")))
    assert dataflow.rule_file("default") != first
    with pytest.raises(ValueError, match="pack must be one of"):
        dataflow.rules("codeql")


def test_profiles_name_their_analyzers():
    assert get_profile("default").analyzers == DEFAULT_ANALYZERS
    assert get_profile("paper").analyzers == ("codeql-compat",)
    with pytest.raises(ValueError, match="known: default, paper"):
        get_profile("strict")


def test_score_profile_brings_the_profiles_analyzers_unless_they_are_set():
    assert load_config(None, ["score.profile=paper"]).score.analyzers == ("codeql-compat",)
    assert load_config(None, ["score.profile=paper", "score.analyzers=[bandit]"]).score.analyzers == ("bandit",)
    assert load_config(None, []).score.analyzers == DEFAULT_ANALYZERS


def _semgrep(**options) -> SemgrepOracle:
    oracle = SemgrepOracle(**options)
    try:
        oracle.version()
    except ToolMissingError as err:
        pytest.skip(str(err))
    return oracle


def _rules_fired(oracle: SemgrepOracle, programs: dict[str, str]) -> dict[str, set[str]]:
    found = oracle.scan([Program(key, "python", code) for key, code in programs.items()])
    return {key: {f.rule for f in findings} for key, findings in found.items()}


@pytest.mark.tools
@pytest.mark.parametrize("pack, prefix", [("default", "treeplay-py-flow-"), ("paper", "treeplay-cq-py-")])
def test_dataflow_rules_flag_their_examples_and_spare_the_fixed_code(pack, prefix):
    oracle = _semgrep(codeshield=False, own_rules=False, dataflow=pack)
    examples = {prefix + name: pair for name, pair in FLOW.items() if pack == "default" or name not in DEFAULT_ONLY}
    if pack == "paper":
        examples.update(PAPER)
    programs = {f"{rule}/{kind}": code for rule, pair in examples.items()
                for kind, code in zip(("vulnerable", "fixed"), pair, strict=True)}
    fired = _rules_fired(oracle, programs)
    missed = [rule for rule in examples if rule not in fired[f"{rule}/vulnerable"]]
    false_alarms = [rule for rule in examples if rule in fired[f"{rule}/fixed"]]
    assert not missed, f"rules that missed their vulnerable example: {missed}"
    assert not false_alarms, f"rules that flagged their fixed example: {false_alarms}"


@pytest.mark.tools
def test_local_input_and_django_views_count_for_the_default_pack_only():
    programs = {"local": LOCAL_INPUT, "django": DJANGO_VIEW, "unmodeled": UNMODELED}
    default = _rules_fired(_semgrep(codeshield=False, own_rules=False, dataflow="default"), programs)
    paper = _rules_fired(_semgrep(codeshield=False, own_rules=False, dataflow="paper"), programs)
    assert "treeplay-py-flow-command-injection" in default["local"]
    assert "treeplay-py-flow-reflected-xss" in default["django"]
    assert not paper["local"] and not paper["django"]
    assert not default["unmodeled"] and not paper["unmodeled"]


@pytest.mark.tools
def test_the_profile_choice_reaches_the_analyzers(tmp_path, monkeypatch):
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path))
    try:
        SemgrepOracle().version()
    except ToolMissingError as err:
        pytest.skip(str(err))
    programs = [Program("app", "python", PAPER["treeplay-cq-py-flask-debug"][0]),
                Program("c", "c", "int main(void) { char b[4]; gets(b); return 0; }\n")]
    paper = profile_scan(programs, "paper")
    assert {f.tool for f in paper["app"]} == {"codeql-compat"} and paper["c"] == ()  # Python only
    default = profile_scan(programs, "default")
    assert "codeql-compat" not in {f.tool for f in default["app"]} and default["c"]
    assert default == scan_programs(programs)
    assert PROFILES["paper"].languages == frozenset({"python"})


def test_a_missing_semgrep_gives_the_install_hint_not_a_clean_scan(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError) as err:
        profile_scan([Program("a", "python", "import os\n")], "paper", cache=None)
    assert "pip install" in err.value.fix


@pytest.mark.tools
def test_yaml_load_without_a_loader_is_unsafe_and_a_safe_loader_is_not():
    oracle = _semgrep(codeshield=False, dataflow=None)
    fired = _rules_fired(oracle, {
        "bare": "import yaml\n\ndef read(stream):\n    return yaml.load(stream)\n",
        "safe": "import yaml\n\ndef read(stream):\n    return yaml.load(stream, Loader=yaml.SafeLoader)\n"})
    assert "treeplay-py-yaml-unsafe-loader" in fired["bare"]
    assert "treeplay-py-yaml-unsafe-loader" not in fired["safe"]


@pytest.mark.parametrize("value", ["on", "yes", "off", "1e3", "017", "0o17", "2001-12-14", "0x1F", ".inf"])
def test_yaml_a_rule_file_might_read_otherwise_in_semgrep_is_not_merged(value):
    from treeplay.oracles.semgrep import _yaml_rules

    assert _yaml_rules(f"rules:\n- id: r\n  message: {value}\n".encode()) is None
    assert _yaml_rules(f"rules:\n- id: r\n  message: '{value}'\n".encode()) == [{"id": "r", "message": value}]


def test_repeated_keys_and_aliases_keep_a_rule_file_out_of_the_merge():
    from treeplay.oracles.semgrep import _json_rules, _yaml_rules

    assert _yaml_rules(b"rules:\n- id: a\n  id: b\n") is None
    assert _json_rules(b'{"rules": [{"id": "a", "id": "b"}]}') is None
    assert _yaml_rules(b"base: &b {severity: INFO}\nrules:\n- <<: *b\n  id: r\n") is None
    assert _json_rules(b'{"rules": [{"id": "a"}]}') == [{"id": "a"}]


def test_the_merged_rule_file_holds_every_rule_of_the_files_in_order(tmp_path, monkeypatch):
    from treeplay.oracles.semgrep import merged_rule_file, treeplay_rules

    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path))
    files = [*treeplay_rules(), dataflow.rule_file("default")]
    merged = merged_rule_file(files)
    assert merged is not None and merged.parent.parent == tmp_path
    import yaml
    expected = [r for f in files[:-1] for r in yaml.safe_load(f.read_text())["rules"]]
    expected += json.loads(files[-1].read_text())["rules"]
    assert json.loads(merged.read_text())["rules"] == expected
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n- id: r\n  message: yes\n")
    assert merged_rule_file([*files, bad]) is None


JS_PARAMETER_PATH = (
    "const fs = require('fs');\nconst path = require('path');\nconst UPLOADS = '/srv/uploads';\n\n"
    "function readUpload(name) {\n  return fs.readFileSync(path.join(UPLOADS, name));\n}\n",
    "const fs = require('fs');\nconst path = require('path');\nconst UPLOADS = '/srv/uploads';\n\n"
    "function readUpload(name) {\n  return fs.readFileSync(path.join(UPLOADS, path.basename(name)));\n}\n",
)


def test_codeshield_js_path_rule_is_replaced_by_the_path_traversal_taint_rule():
    from treeplay.oracles.semgrep import REPLACED_RULES, codeshield_rules

    try:
        shipped, replaced = codeshield_rules(), codeshield_rules(replaced=True)
    except ToolMissingError as err:
        pytest.skip(str(err))
    ids = {rule["id"] for rule in json.loads(replaced[2].read_text())["rules"]}
    assert "javascript" in replaced[2].name and ids
    assert not ids & set(REPLACED_RULES["javascript"])
    assert {rule["id"] for rule in json.loads(shipped[2].read_text())["rules"]} >= set(REPLACED_RULES["javascript"])


@pytest.mark.tools
def test_js_path_from_a_parameter_is_flagged_unless_resolved_and_checked_or_reduced_to_its_base_name():
    from treeplay.data.builtin import load_builtin

    task = next(t for t in load_builtin() if t.id == "js_static_file_traversal")
    programs = [Program("param/vulnerable", "javascript", JS_PARAMETER_PATH[0]),
                Program("param/fixed", "javascript", JS_PARAMETER_PATH[1]),
                Program("builtin/vulnerable", "javascript", task.vulnerable[0]),
                Program("builtin/secure", "javascript", task.golden)]
    found = {key: {f.rule for f in findings} for key, findings in _semgrep().scan(programs).items()}
    assert "treeplay-js-path-traversal" in found["param/vulnerable"]
    assert "treeplay-js-path-traversal" in found["builtin/vulnerable"]
    assert not found["param/fixed"] and not found["builtin/secure"], found
