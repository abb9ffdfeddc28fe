"""Config precedence is defaults < YAML < overrides, and every unknown key or wrong type is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from treeplay.config import Config, config_to_dict, dump_config, load_config, parse_override
from treeplay.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_defaults_are_the_papers_settings():
    cfg = load_config()
    assert (cfg.grow.width, cfg.grow.temperature, cfg.grow.top_p, cfg.grow.max_new_tokens) == (4, 1.0, 0.95, 1024)
    assert (cfg.train.beta, cfg.train.loss, cfg.train.sft_weight) == (0.1, "sigmoid", 0.0)
    assert (cfg.eval.n_samples, cfg.eval.temperature, cfg.eval.top_p) == (1, 0.2, 0.9)


def test_defaults_yaml_lists_every_key_with_its_default():
    assert config_to_dict(load_config(REPO / "configs" / "defaults.yaml")) == config_to_dict(Config())


def test_yaml_overrides_defaults_and_cli_overrides_yaml(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: exp\ngrow:\n  width: 8\n  top_p: 0.9\nscore:\n  analyzers: [bandit]\n")
    cfg = load_config(path, ["grow.width=2", "train.lr=3e-5", "model.name=my/model", "train.lora=false"])
    assert cfg.name == "exp" and cfg.grow.width == 2 and cfg.grow.top_p == 0.9
    assert cfg.score.analyzers == ("bandit",) and cfg.train.lr == 3e-5
    assert cfg.model.name == "my/model" and cfg.train.lora is False


def test_integers_are_accepted_for_floats_but_not_strings_for_ints():
    assert load_config(None, ["grow.temperature=1"]).grow.temperature == 1.0
    with pytest.raises(ConfigError) as info:
        load_config(None, ["grow.width=four"])
    assert info.value.key == "grow.width" and "expected int" in str(info.value)


@pytest.mark.parametrize("override, key", [("grow.widht=3", "grow.widht"), ("colour=1", "colour"),
                                           ("train.nope.deeper=1", "train.nope")])
def test_unknown_keys_are_errors_naming_the_key(override, key):
    with pytest.raises(ConfigError) as info:
        load_config(None, [override])
    assert info.value.key == key


def test_unknown_key_in_yaml_names_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("grow:\n  branches: 4\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == str(path) and info.value.key == "grow.branches"


def test_the_removed_seed_key_names_the_seeds_that_exist(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("iterations: 1\nseed: 3\n")
    for args, file in (((path,), str(path)), ((None, ["seed=3"]), None)):
        with pytest.raises(ConfigError) as info:
            load_config(*args)
        err = info.value
        assert (err.key, err.file) == ("seed", file)
        assert "removed" in err.message and "nothing read it" in err.message and "\n" not in str(err) + err.fix
        assert all(name in err.fix for name in ("grow.seed", "train.seed", "eval.seed"))


def test_bad_yaml_names_the_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("grow:\n  width: [1, 2\n")
    with pytest.raises(ConfigError, match="line"):
        load_config(path)


def test_override_syntax_is_checked():
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    with pytest.raises(ConfigError):
        parse_override("grow.width")


def test_resolved_config_round_trips_through_yaml(tmp_path):
    cfg = load_config(None, ["grow.width=3", "score.analyzers=[semgrep]"])
    path = tmp_path / "resolved.yaml"
    path.write_text(dump_config(cfg))
    assert load_config(path) == cfg
    assert config_to_dict(Config())["grow"]["width"] == 4


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    load_config(path)


# ------------------------------------------------------------------------------------------------ include


def test_an_included_file_lies_under_the_including_one(tmp_path):
    (tmp_path / "base.yaml").write_text("iterations: 3\ngrow:\n  width: 2\n  top_p: 0.5\neval:\n  languages: [c]\n")
    (tmp_path / "row.yaml").write_text("include: base.yaml\nname: row\ngrow:\n  width: 8\n")
    config = load_config(tmp_path / "row.yaml", ["grow.top_p=0.75"])
    assert (config.name, config.iterations, config.eval.languages) == ("row", 3, ("c",))
    assert (config.grow.width, config.grow.top_p) == (8, 0.75)


@pytest.mark.parametrize("files, message", [
    ({"a.yaml": "include: b.yaml\n", "b.yaml": "include: a.yaml\n"}, "includes a.yaml, which includes this file"),
    ({"a.yaml": "include: 3\n"}, "file name or a list of file names"),
    ({"a.yaml": "include: missing.yaml\n"}, "config file not found"),
    ({"a.yaml": "include: b.yaml\n", "b.yaml": "grow:\n  widht: 2\n"}, "grow.widht"),
])
def test_a_bad_include_is_a_config_error(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path / "a.yaml")


@pytest.mark.parametrize("row", sorted(p.name for p in (REPO / "configs").glob("*.yaml")
                                       if p.name.startswith(("study-", "transfer-")) and "base" not in p.name))
def test_study_and_transfer_rows_state_only_what_differs_from_their_base(row):
    import yaml

    data = yaml.safe_load((REPO / "configs" / row).read_text())
    base = yaml.safe_load((REPO / "configs" / data["include"]).read_text())
    repeated = [f"{section}.{key}" for section, values in data.items() if isinstance(values, dict)
                for key, value in values.items() if base.get(section, {}).get(key, object()) == value]
    repeated += [key for key, value in data.items() if not isinstance(value, dict) and base.get(key) == value]
    assert repeated == []
