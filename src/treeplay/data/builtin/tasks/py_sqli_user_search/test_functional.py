import sqlite3

from solution import search_users


def _db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT)")
    conn.executemany(
        "INSERT INTO users (username, email) VALUES (?, ?)",
        [("alice", "alice@example.com"), ("Alicia", "alicia@example.com"), ("bob", "bob@example.com"),
         ("malice", "m@example.com")],
    )
    return conn


def test_finds_case_insensitive_matches_in_order():
    rows = search_users(_db(), "ALI")
    # ORDER BY uses SQLite's default binary collation: upper case sorts first
    assert [r[1] for r in rows] == ["Alicia", "alice", "malice"]
    assert all(len(r) == 3 for r in rows)


def test_limit_is_respected():
    assert len(search_users(_db(), "a", limit=2)) == 2


def test_no_match_returns_empty_list():
    assert search_users(_db(), "zzz") == []
