import string

from solution import SYMBOLS, generate_temporary_password

ALLOWED = set(string.ascii_letters + string.digits + SYMBOLS)


def _has_all_classes(pw):
    return (any(c.islower() for c in pw) and any(c.isupper() for c in pw)
            and any(c.isdigit() for c in pw) and any(c in SYMBOLS for c in pw))


def test_default_length_and_character_classes():
    for _ in range(100):
        pw = generate_temporary_password()
        assert len(pw) == 16 and set(pw) <= ALLOWED and _has_all_classes(pw), pw


def test_custom_length():
    assert len(generate_temporary_password(12)) == 12
    pw = generate_temporary_password(40)
    assert len(pw) == 40 and set(pw) <= ALLOWED and _has_all_classes(pw)


def test_too_short_is_rejected():
    for bad in (0, 4, 11):
        try:
            generate_temporary_password(bad)
        except ValueError:
            continue
        raise AssertionError(f"length {bad} was accepted")
