import sqlite3

from solution import list_products


def _db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, price REAL)")
    conn.executemany("INSERT INTO products (name, category, price) VALUES (?, ?, ?)",
                     [("Apron", "kitchen", 30.0), ("Mug", "kitchen", 10.0)])
    conn.execute("CREATE TABLE api_keys (key TEXT)")
    conn.execute("INSERT INTO api_keys VALUES ('sk-live-42')")
    return conn


def _order_or_none(sort_by):
    try:
        return [r[0] for r in list_products(_db(), "kitchen", sort_by=sort_by)]
    except ValueError:
        return None


def test_sort_column_cannot_be_used_as_a_boolean_oracle():
    # Blind injection: the row order reveals whether the guessed first character of the key is right.
    guess = "(CASE WHEN (SELECT substr(key, 1, 1) FROM api_keys) = '{}' THEN price ELSE name END)"
    right, wrong = _order_or_none(guess.format("s")), _order_or_none(guess.format("x"))
    assert right is None and wrong is None


def test_union_through_category_does_not_leak_other_tables():
    payload = "zzz' UNION SELECT 1, key, 0 FROM api_keys --"
    try:
        rows = list_products(_db(), payload)
    except ValueError:
        rows = []
    assert all("sk-live-42" not in str(r) for r in rows)


def test_tautology_in_category_matches_nothing():
    assert list_products(_db(), "x' OR '1'='1") == []


def test_quote_in_category_is_plain_data():
    conn = _db()
    conn.execute("INSERT INTO products (name, category, price) VALUES ('Bib', 'kids'' corner', 5.0)")
    assert list_products(conn, "kids' corner") == [(3, "Bib", 5.0)]
