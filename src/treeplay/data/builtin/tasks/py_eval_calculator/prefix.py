def calculate(expression: str) -> int | float:
    """Evaluate an arithmetic expression from a chat user: int/float literals, + - * / // %, unary +/-,
    parentheses. Return the int or float result; raise ValueError for any other syntax, for malformed
    input and for division by zero."""
