from solution import safe_redirect_target


def _assert_blocked(values):
    for value in values:
        got = safe_redirect_target(value)
        assert got == "/dashboard", f"{value!r} -> {got!r}"


def test_foreign_hosts_are_blocked():
    _assert_blocked(["https://evil.example/login", "HTTPS://EVIL.EXAMPLE/", "http://app.example.com.evil.example/",
                     "https://app.example.com@evil.example/", "https://evil.example/?next=https://app.example.com/",
                     "ftp://app.example.com/", "javascript:alert(document.cookie)", "https:evil.example",
                     "data:text/html,<script>alert(1)</script>"])


def test_scheme_relative_and_backslash_tricks_are_blocked():
    # All of these are taken by browsers as a link to another host.
    _assert_blocked(["//evil.example", "///evil.example/path", "/\\evil.example", "\\\\evil.example",
                     "\\/evil.example", "https://evil.example\\@app.example.com/", "http:/\\evil.example"])


def test_whitespace_and_control_characters_are_blocked():
    # Browsers remove tabs and newlines from URLs, turning these into "//evil.example".
    _assert_blocked(["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", " //evil.example",
                     "/\x00/evil.example"])
