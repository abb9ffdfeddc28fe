from typing import Callable


def build_row_mapper(fields: list[str], columns: dict[str, str]) -> Callable[[dict], dict]:
    """Compile customer-defined computed columns. columns maps output name -> formula over the names in
    fields (numbers, + - * / // %, unary +/-, parentheses, abs/round/min/max calls only). Return
    mapper(row) -> {output name: value}. Raise ValueError here for any formula outside that language."""
    # Generate one Python function for all columns so a row costs a single call.
    params = ", ".join(fields)
    items = ", ".join(f"{name!r}: ({formula})" for name, formula in columns.items())
    source = f"def _mapper({params}):\n    return {{{items}}}\n"
    namespace: dict = {}
    try:
        exec(compile(source, "<formulas>", "exec"), namespace)
    except SyntaxError as err:
        raise ValueError(f"invalid formula: {err.msg}") from err
    generated = namespace["_mapper"]

    def mapper(row: dict) -> dict:
        return generated(**{field: row[field] for field in fields})

    return mapper
