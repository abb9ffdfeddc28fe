import datetime
import os
import tempfile

import solution
from solution import load_config


def _load(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "deploy.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return load_config(path)


def test_deep_merge_over_defaults():
    cfg = _load("server:\n  port: 9000\n  tls:\n    enabled: true\nworkers: 8\nallowed_origins: [https://a.example]\n")
    assert cfg == {
        "server": {"host": "127.0.0.1", "port": 9000, "tls": {"enabled": True, "cert": None}},
        "workers": 8,
        "debug": False,
        "allowed_origins": ["https://a.example"],
    }


def test_empty_file_gives_defaults_and_defaults_are_not_mutated():
    snapshot = repr(solution.DEFAULTS)
    cfg = _load("")
    assert cfg == solution.DEFAULTS
    cfg["server"]["port"] = 1
    _load("server:\n  host: 0.0.0.0\n")
    assert repr(solution.DEFAULTS) == snapshot


def test_anchors_aliases_and_dates():
    cfg = _load("base: &b {retries: 3}\njob: *b\nrelease: 2024-05-01\nextra: null\n")
    assert cfg["job"] == {"retries": 3}
    assert cfg["release"] == datetime.date(2024, 5, 1)
    assert cfg["extra"] is None


def test_invalid_yaml_and_non_mapping_raise_value_error():
    for text in ["server: [unclosed\n", "- just\n- a list\n", "plain scalar\n"]:
        try:
            _load(text)
        except ValueError:
            pass
        else:
            raise AssertionError(text)
