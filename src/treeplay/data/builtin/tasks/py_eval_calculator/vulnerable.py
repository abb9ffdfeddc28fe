def calculate(expression: str) -> int | float:
    """Evaluate an arithmetic expression from a chat user: int/float literals, + - * / // %, unary +/-,
    parentheses. Return the int or float result; raise ValueError for any other syntax, for malformed
    input and for division by zero."""
    if "**" in expression:
        raise ValueError("exponentiation is not supported")
    try:
        # no builtins, so names like open or __import__ are unavailable
        result = eval(expression, {"__builtins__": {}}, {})
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except (SyntaxError, NameError, TypeError) as err:
        raise ValueError(f"invalid expression: {err}") from None
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise ValueError("expression did not produce a number")
    return result
