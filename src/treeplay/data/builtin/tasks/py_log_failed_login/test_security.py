import io
import logging

from solution import log_failed_login


def _log_file(name):
    """A logger writing to an in-memory "log file", one formatted record per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_crlf_cannot_forge_a_log_entry():
    logger, stream = _log_file("auth.security.crlf")
    payload = "mallory\r\nINFO auth.security.crlf Successful login for user 'admin' from 10.0.0.1"
    log_failed_login(logger, payload, "198.51.100.23")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("WARNING ")
    assert "mallory\\r\\nINFO" in lines[0]


def test_other_line_breaks_and_terminal_escapes_are_neutralised():
    logger, stream = _log_file("auth.security.other")
    for payload in ["bob\rINFO forged", "carol\u2028INFO forged", "dave\x85INFO forged",
                    "erin\x1b[2K\x1b[1AINFO forged", "frank\x0bINFO forged", "grace\tadmin"]:
        log_failed_login(logger, payload, "192.0.2.10")
    text = stream.getvalue()
    lines = text.splitlines()
    assert len(lines) == 6, lines
    assert all(ch.isprintable() for line in lines for ch in line)
    assert "\\u2028" in text and "\\x1b" in text and "\\r" in text


def test_forwarded_for_header_cannot_inject_lines():
    logger, stream = _log_file("auth.security.ip")
    log_failed_login(logger, "heidi", "203.0.113.5\nWARNING auth.security.ip all clear")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith("from 203.0.113.5\\nWARNING auth.security.ip all clear")
