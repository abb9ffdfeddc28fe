"""treeplay's own semgrep rule pack: well-formed, shipped with the package, and each rule does its one job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from treeplay.data.cwe import canonical_cwe
from treeplay.errors import ToolMissingError
from treeplay.oracles.base import Program
from treeplay.oracles.semgrep import (
    REJECTED_RULES,
    RULES_DIR,
    SemgrepOracle,
    codeshield_rules,
    rule_cwe,
    treeplay_rules,
)

from .rule_examples import EXAMPLES, PY_SQL_LOOP

REPO = Path(__file__).resolve().parents[2]
PREFIXES = ("treeplay-py-", "treeplay-js-", "treeplay-c-", "treeplay-cpp-", "treeplay-go-", "treeplay-java-",
            "treeplay-rb-")


def _rules() -> list[dict]:
    return [rule for path in treeplay_rules() for rule in yaml.safe_load(path.read_text())["rules"]]


def test_every_treeplay_rule_has_a_prefixed_id_canonical_cwe_and_known_severity():
    rules = _rules()
    assert len(rules) >= 90
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert rule["id"].startswith(PREFIXES), rule["id"]
        cwe = rule_cwe(rule["metadata"])
        assert cwe is not None and cwe == canonical_cwe(rule["metadata"]["cwe"]), rule["id"]
        assert rule["severity"] in {"ERROR", "WARNING", "INFO"}, rule["id"]


def test_every_treeplay_rule_has_a_tested_example():
    assert {r["id"] for r in _rules()} == set(EXAMPLES)


def test_rules_ship_as_package_data():
    section = (REPO / "pyproject.toml").read_text().split("[tool.setuptools.package-data]")[1].split("\n[")[0]
    assert '"oracles/rules/*.yaml"' in section
    assert RULES_DIR == REPO / "src" / "treeplay" / "oracles" / "rules" and treeplay_rules()


def test_codeshield_rules_are_read_from_the_installed_package_not_copied():
    try:
        paths = codeshield_rules()
    except ToolMissingError as err:
        pytest.skip(str(err))
    shipped, java = paths[:-1], paths[-1]
    assert all("site-packages" in str(p) or "dist-packages" in str(p) for p in shipped)
    assert not list(RULES_DIR.glob("*.json"))
    # the Java bundle is a filtered copy in the cache (never in the repository) without the rejected rules
    assert REPO not in java.parents and java.name.startswith("codeshield-java_codeshield-")
    ids = {rule["id"] for rule in json.loads(java.read_text())["rules"]}
    assert ids and not ids & set(REJECTED_RULES)


def test_rule_files_cover_every_language_semgrep_is_routed():
    languages = {lang for rule in _rules() for lang in rule["languages"]}
    assert {"python", "c", "cpp", "javascript", "go", "java", "ruby"} <= languages
    assert SemgrepOracle.languages == {"python", "c", "cpp", "javascript", "go", "java", "ruby"}


def _own_rules_oracle() -> SemgrepOracle:
    """semgrep with treeplay's rules only; the test is skipped where semgrep is not installed."""
    oracle = SemgrepOracle(codeshield=False)
    try:
        oracle.version()
    except ToolMissingError as err:
        pytest.skip(str(err))
    return oracle


@pytest.mark.tools
def test_treeplay_rules_flag_their_examples_and_spare_the_fixed_code():
    oracle = _own_rules_oracle()
    programs = []
    for rule_id, (language, vulnerable, fixed) in EXAMPLES.items():
        programs.append(Program(f"{rule_id}/vulnerable", language, vulnerable))
        programs.append(Program(f"{rule_id}/fixed", language, fixed))
    found = oracle.scan(programs)
    missed = [r for r in EXAMPLES if r not in {f.rule for f in found[f"{r}/vulnerable"]}]
    false_alarms = [r for r in EXAMPLES if r in {f.rule for f in found[f"{r}/fixed"]}]
    assert not missed, f"rules that missed their vulnerable example: {missed}"
    assert not false_alarms, f"rules that flagged their fixed example: {false_alarms}"


@pytest.mark.tools
def test_sql_formatting_spares_a_literal_allow_list_loop_but_not_a_loop_over_request_data():
    found = _own_rules_oracle().scan([Program("loop", "python", PY_SQL_LOOP)])["loop"]
    assert sorted(f.line for f in found if f.rule == "treeplay-py-sql-string-formatted") == [3, 5]


# (name, code, flagged?) for the deserialization rules' narrower patterns.
DESERIALIZATION_CASES = [
    ("pickle-file", "import pickle\n\ndef load(path):\n    with open(path, 'rb') as f:\n"
                    "        return pickle.load(f)\n", True),
    ("pickle-request", "import pickle\n\ndef load(request):\n    return pickle.loads(request.data)\n", True),
    ("cpickle-alias", "import cPickle as pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n", True),
    ("from-import", "from pickle import loads\n\ndef load(blob):\n    return loads(blob)\n", True),
    ("dill", "import dill\n\ndef load(blob):\n    return dill.loads(blob)\n", True),
    ("pandas", "import pandas as pd\n\ndef load(path):\n    return pd.read_pickle(path)\n", True),
    ("shelf-read", "import shelve\n\ndef load(path):\n    return dict(shelve.open(path))\n", True),
    ("shelf-new", "import shelve\n\ndef save(path, items):\n    s = shelve.open(path, 'n')\n"
                  "    s.update(items)\n    s.close()\n", False),
    ("shelf-new-kw", "import shelve\n\ndef save(path, items):\n    with shelve.open(path, flag='n') as s:\n"
                     "        s.update(items)\n", False),
    ("round-trip", "import pickle\n\ndef copy(x):\n    s = pickle.dumps(x)\n    y = pickle.loads(s)\n"
                   "    assert x == y\n", False),
    ("round-trip-inline", "import pickle\n\ndef copy(x):\n    return pickle.loads(pickle.dumps(x))\n", False),
    ("other-bytes-after-dumps", "import pickle\n\ndef load(x, blob):\n    s = pickle.dumps(x)\n"
                                "    return pickle.loads(blob)\n", True),
    ("pyyaml-load", "import yaml\n\ndef load(text):\n    return yaml.load(text)\n", True),
    ("ruamel-safe", "from ruamel.yaml import YAML\n\ndef load(text):\n    yaml = YAML(typ='safe')\n"
                    "    return yaml.load(text)\n", False),
    ("ruamel-round-trip", "from ruamel.yaml import YAML\n\ndef load(text):\n    yaml = YAML()\n"
                          "    return yaml.load(text)\n", False),
    ("ruamel-unsafe", "from ruamel.yaml import YAML\n\ndef load(text):\n    loader = YAML(typ='unsafe')\n"
                      "    return loader.load(text)\n", True),
    ("ruamel-unsafe-inline", "from ruamel.yaml import YAML\n\ndef load(text):\n"
                             "    return YAML(typ='unsafe').load(text)\n", True),
]


@pytest.mark.tools
def test_deserialization_rules_spare_round_trips_new_shelves_and_ruamel_but_flag_every_other_load():
    rules = {"treeplay-py-pickle-deserialization", "treeplay-py-yaml-unsafe-loader"}
    found = _own_rules_oracle().scan([Program(name, "python", code) for name, code, _ in DESERIALIZATION_CASES])
    flagged = {name for name, _, _ in DESERIALIZATION_CASES if rules & {f.rule for f in found[name]}}
    assert flagged == {name for name, _, vulnerable in DESERIALIZATION_CASES if vulnerable}


RB_SQL_GUARDS = '''\
class Lookup
  def eq_guard
    dir = params[:order]
    if dir == "ASC"
      User.order("name #{dir}")
    else
      User.order("name #{dir}")
    end
  end

  def allow_list
    name = params[:user_name]
    if %w(alice bob).include? name
      User.find_by("username = #{name}")
    end
    if ["a", "b"].include?(name)
      User.where("username = #{name}")
    end
    User.where("username = #{name}")
  end

  def replaced
    dir = params[:order]
    dir = "DESC" unless dir == "ASC"
    User.order("name #{dir}")
  end

  def not_equal
    dir = params[:order]
    if dir != "ASC"
      User.order("name #{dir}")
    end
  end

  def set_again
    dir = "DESC"
    dir = params[:order]
    User.order("name #{dir}")
  end
end
'''


@pytest.mark.tools
def test_ruby_sql_rule_spares_values_pinned_to_literals_but_not_else_branches_or_other_checks():
    found = _own_rules_oracle().scan([Program("guards", "ruby", RB_SQL_GUARDS)])["guards"]
    lines = sorted(f.line for f in found if f.rule == "treeplay-rb-sql-interpolated")
    # flagged: the else branch of an == guard, the query after the allow-listed blocks, a != check, and a
    # literal overwritten by request data; spared: the == branch, both allow-lists, the replace-unless idiom
    assert lines == [7, 19, 31, 38]
