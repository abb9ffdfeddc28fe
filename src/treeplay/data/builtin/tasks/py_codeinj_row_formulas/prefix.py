from typing import Callable


def build_row_mapper(fields: list[str], columns: dict[str, str]) -> Callable[[dict], dict]:
    """Compile customer-defined computed columns. columns maps output name -> formula over the names in
    fields (numbers, + - * / // %, unary +/-, parentheses, abs/round/min/max calls only). Return
    mapper(row) -> {output name: value}. Raise ValueError here for any formula outside that language."""
