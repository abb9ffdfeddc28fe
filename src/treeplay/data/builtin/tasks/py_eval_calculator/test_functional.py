from solution import calculate


def _rejects(expression):
    try:
        calculate(expression)
    except ValueError:
        return True
    return False


def test_basic_arithmetic_and_precedence():
    assert calculate("2 + 3 * 4") == 14
    assert calculate("(2 + 3) * 4") == 20
    assert calculate("10 - 4 - 3") == 3


def test_division_kinds_and_unary_minus():
    assert calculate("7 / 2") == 3.5
    assert calculate("-7 // 2") == -4
    assert calculate("7 % 3") == 1
    assert calculate("-(1.5 + .5) * +2") == -4.0
    assert calculate(" 1e3 + 1 ") == 1001.0


def test_result_types():
    assert type(calculate("6 // 3")) is int
    assert type(calculate("6 / 3")) is float


def test_malformed_input_and_division_by_zero_raise_value_error():
    for expression in ["2 +", "(1 + 2", "", "1 / 0", "5 % 0", "2 ** 8", "1 < 2", "'ab' * 3"]:
        assert _rejects(expression), expression
