from solution import build_row_mapper

FIELDS = ["price", "qty", "discount"]


def test_arithmetic_columns():
    mapper = build_row_mapper(FIELDS, {"total": "price * qty - discount", "half": "(price + 1) / 2",
                                       "neg": "-discount", "rest": "qty % 4", "packs": "qty // 4"})
    assert mapper({"price": 3, "qty": 10, "discount": 5}) == {"total": 25, "half": 2.0, "neg": -5,
                                                               "rest": 2, "packs": 2}


def test_allowed_function_calls():
    mapper = build_row_mapper(FIELDS, {"gross": "round(price * 1.19, 2)", "floor": "max(qty - 12, 0)",
                                       "low": "min(price, discount, 7)", "delta": "abs(discount - price)"})
    assert mapper({"price": 10.0, "qty": 3, "discount": 4}) == {"gross": 11.9, "floor": 0, "low": 4,
                                                                 "delta": 6.0}


def test_mapper_is_reusable_across_rows_and_ignores_extra_fields():
    mapper = build_row_mapper(FIELDS, {"total": "price * qty"})
    rows = [{"price": 2, "qty": 3, "discount": 0, "sku": "A1"}, {"price": 1.5, "qty": 4, "discount": 1}]
    assert [mapper(r) for r in rows] == [{"total": 6}, {"total": 6.0}]


def test_syntax_error_raises_value_error():
    try:
        build_row_mapper(FIELDS, {"bad": "price *"})
    except ValueError:
        pass
    else:
        raise AssertionError("expected ValueError")
