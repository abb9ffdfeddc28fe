import sqlite3


def list_products(conn: sqlite3.Connection, category: str | None = None, sort_by: str = "name",
                  descending: bool = False) -> list[tuple[int, str, float]]:
    """Return (id, name, price) of the products in `category` (all products if None), ordered by sort_by
    ("name", "price" or "id"; anything else raises ValueError), descending if requested, ties by id."""
    direction = "DESC" if descending else "ASC"
    sql = "SELECT id, name, price FROM products"
    params = []
    if category is not None:
        sql += " WHERE category = ?"
        params.append(category)
    # ORDER BY cannot take a bound parameter, so the column name is formatted in
    sql += f" ORDER BY {sort_by} {direction}, id ASC"
    try:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]
    except sqlite3.OperationalError as err:
        raise ValueError(f"cannot sort by {sort_by!r}") from err
