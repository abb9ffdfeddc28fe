import os
import tempfile

from solution import parse_settings


def test_function_call_value_is_not_executed():
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "pwned")
        raw = f"open({marker!r}, 'w').close()"
        try:
            settings = parse_settings(f"CACHE = {raw}\n")
        except ValueError:
            settings = {}
        assert not os.path.exists(marker)
        assert settings.get("CACHE", raw) == raw


def test_value_cannot_read_files():
    with tempfile.TemporaryDirectory() as tmp:
        secret = os.path.join(tmp, "secret.txt")
        with open(secret, "w") as f:
            f.write("hunter2")
        raw = f"open({secret!r}).read()"
        settings = parse_settings(f"MOTD = {raw}\n")
        assert "hunter2" not in str(settings)
        assert settings["MOTD"] == raw


def test_import_expression_stays_a_string():
    raw = "__import__('os').getcwd()"
    assert parse_settings(f"WORKDIR = {raw}\n") == {"WORKDIR": raw}
