import sqlite3

from solution import list_products


def _db():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, price REAL)")
    conn.executemany(
        "INSERT INTO products (name, category, price) VALUES (?, ?, ?)",
        [("Kettle", "kitchen", 29.5), ("Apron", "kitchen", 12.0), ("Lamp", "living", 45.0),
         ("Mug", "kitchen", 12.0), ("Rug", "living", 80.0)],
    )
    return conn


def test_default_sort_is_by_name_ascending():
    assert [r[1] for r in list_products(_db())] == ["Apron", "Kettle", "Lamp", "Mug", "Rug"]


def test_category_filter_and_price_sort_with_id_tiebreak():
    assert list_products(_db(), "kitchen", sort_by="price") == [(2, "Apron", 12.0), (4, "Mug", 12.0),
                                                                (1, "Kettle", 29.5)]


def test_descending_sort():
    assert [r[0] for r in list_products(_db(), sort_by="price", descending=True)] == [5, 3, 1, 2, 4]
    assert [r[1] for r in list_products(_db(), "living", sort_by="name", descending=True)] == ["Rug", "Lamp"]


def test_unknown_category_gives_empty_list():
    assert list_products(_db(), "garden") == []
