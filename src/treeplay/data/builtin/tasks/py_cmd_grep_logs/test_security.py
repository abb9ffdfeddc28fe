import os
import tempfile

from solution import search_logs


def _attempt(needle):
    """Search with an attacker-chosen needle; return (whether the injected command ran, result)."""
    with tempfile.TemporaryDirectory() as tmp:
        logs = os.path.join(tmp, "logs")
        os.makedirs(logs)
        with open(os.path.join(logs, "app.log"), "w") as f:
            f.write("user logged in\n")
        marker = os.path.join(tmp, "pwned")
        result = None
        try:
            result = search_logs(logs, needle.replace("MARKER", marker))
        except RuntimeError:
            pass
        return os.path.exists(marker), result


def test_quote_and_semicolon_do_not_run_commands():
    ran, result = _attempt('x"; touch MARKER; echo "')
    assert not ran
    assert result == []


def test_command_substitution_is_searched_literally():
    ran, _ = _attempt("$(touch MARKER)")
    assert not ran
    ran, _ = _attempt("`touch MARKER`")
    assert not ran


def test_needle_with_leading_dash_is_search_text():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "app.log"), "w") as f:
            f.write("flag -v was set\nnothing here\n")
        assert search_logs(tmp, "-v") == [("app.log", 1, "flag -v was set")]
