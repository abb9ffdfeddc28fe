from solution import parse_settings

TEXT = """
# database
DB_HOST = db.internal
DB_PORT = 5432
TIMEOUT=2.5
DEBUG = False
NAME = 'shop "north"'
ADMINS = ["ann", "bo"]
LIMITS = {"rps": 10, "burst": (20, 40)}
EMPTY = None
   # indented comment
GREETING = hello = world
"""


def test_literals_are_converted():
    s = parse_settings(TEXT)
    assert s["DB_PORT"] == 5432 and s["TIMEOUT"] == 2.5 and s["DEBUG"] is False and s["EMPTY"] is None
    assert s["NAME"] == 'shop "north"'
    assert s["ADMINS"] == ["ann", "bo"]
    assert s["LIMITS"] == {"rps": 10, "burst": (20, 40)}


def test_non_literals_stay_raw_strings():
    s = parse_settings(TEXT)
    assert s["DB_HOST"] == "db.internal"
    assert s["GREETING"] == "hello = world"
    assert set(s) == {"DB_HOST", "DB_PORT", "TIMEOUT", "DEBUG", "NAME", "ADMINS", "LIMITS", "EMPTY", "GREETING"}


def test_later_lines_override():
    assert parse_settings("A = 1\nA = 2\n") == {"A": 2}


def test_malformed_lines_raise_value_error():
    for text in ["JUST_A_NAME\n", " = 3\n"]:
        try:
            parse_settings(text)
        except ValueError:
            pass
        else:
            raise AssertionError(text)
