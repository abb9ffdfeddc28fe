import sqlite3


def list_products(conn: sqlite3.Connection, category: str | None = None, sort_by: str = "name",
                  descending: bool = False) -> list[tuple[int, str, float]]:
    """Return (id, name, price) of the products in `category` (all products if None), ordered by sort_by
    ("name", "price" or "id"; anything else raises ValueError), descending if requested, ties by id."""
    # Identifiers cannot be bound as parameters, so the column comes from a fixed allow-list.
    columns = {"name": "name", "price": "price", "id": "id"}
    if sort_by not in columns:
        raise ValueError(f"cannot sort by {sort_by!r}")
    direction = "DESC" if descending else "ASC"
    sql = "SELECT id, name, price FROM products"
    params: list[object] = []
    if category is not None:
        sql += " WHERE category = ?"
        params.append(category)
    sql += f" ORDER BY {columns[sort_by]} {direction}, id ASC"
    return [tuple(row) for row in conn.execute(sql, params).fetchall()]
