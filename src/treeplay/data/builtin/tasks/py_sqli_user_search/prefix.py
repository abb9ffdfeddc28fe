import sqlite3


def search_users(conn: sqlite3.Connection, name_fragment: str, limit: int = 20) -> list[tuple[int, str, str]]:
    """Return (id, username, email) of users whose username contains name_fragment (case-insensitive),
    ordered by username, at most `limit` rows."""
