import sqlite3


def list_products(conn: sqlite3.Connection, category: str | None = None, sort_by: str = "name",
                  descending: bool = False) -> list[tuple[int, str, float]]:
    """Return (id, name, price) of the products in `category` (all products if None), ordered by sort_by
    ("name", "price" or "id"; anything else raises ValueError), descending if requested, ties by id."""
    sql = "SELECT id, name, price FROM products"
    if category is not None:
        sql += f" WHERE category = '{category}'"
    sql += f" ORDER BY {sort_by} {'DESC' if descending else 'ASC'}, id ASC"
    return [tuple(row) for row in conn.execute(sql).fetchall()]
