import sqlite3

from solution import search_users


def _db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT)")
    conn.execute("CREATE TABLE secrets (token TEXT)")
    conn.execute("INSERT INTO secrets VALUES ('s3cr3t-token')")
    conn.execute("INSERT INTO users (username, email) VALUES ('alice', 'alice@example.com')")
    return conn


def test_union_injection_does_not_leak_other_tables():
    payload = "zzz%') UNION SELECT 1, token, token FROM secrets --"
    rows = search_users(_db(), payload)
    assert all("s3cr3t-token" not in str(r) for r in rows)


def test_quote_in_input_is_treated_as_data():
    conn = _db()
    conn.execute("INSERT INTO users (username, email) VALUES (?, ?)", ("o'brien", "ob@example.com"))
    assert [r[1] for r in search_users(conn, "o'b")] == ["o'brien"]


def test_wildcards_in_input_match_literally():
    # '%' typed by a user must not turn the search into "match everything"
    assert search_users(_db(), "%") == []
