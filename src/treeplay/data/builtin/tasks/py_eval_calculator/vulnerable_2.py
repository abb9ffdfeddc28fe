def calculate(expression: str) -> int | float:
    """Evaluate an arithmetic expression from a chat user: int/float literals, + - * / // %, unary +/-,
    parentheses. Return the int or float result; raise ValueError for any other syntax, for malformed
    input and for division by zero."""
    if "**" in expression:
        raise ValueError("exponentiation is not supported")
    try:
        result = eval(expression)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except Exception as err:
        raise ValueError(f"invalid expression: {err}") from None
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise ValueError("expression did not produce a number")
    return result
