import os
import tempfile

from solution import load_config


def _load(tmp, text):
    path = os.path.join(tmp, "deploy.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return load_config(path)


def test_object_apply_tag_does_not_run_code():
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "pwned")
        try:
            _load(tmp, f"workers: 2\nhook: !!python/object/apply:builtins.open [{marker!r}, 'w']\n")
        except ValueError:
            pass
        assert not os.path.exists(marker)


def test_python_tags_are_rejected():
    with tempfile.TemporaryDirectory() as tmp:
        for text in ["cb: !!python/name:os.getcwd\n", "x: !!python/object/new:collections.OrderedDict []\n",
                     "p: !!python/object/apply:os.getpid []\n"]:
            try:
                cfg = _load(tmp, text)
            except ValueError:
                continue
            raise AssertionError(f"accepted {text!r} as {cfg!r}")


def test_tag_hidden_in_nested_value_does_not_run_code():
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "pwned2")
        text = ("server:\n  tls:\n    cert: !!python/object/apply:builtins.open\n"
                f"      args: [{marker!r}, 'w']\n")
        try:
            _load(tmp, text)
        except ValueError:
            pass
        assert not os.path.exists(marker)
