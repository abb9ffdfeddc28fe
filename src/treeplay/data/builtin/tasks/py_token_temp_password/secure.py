import string

SYMBOLS = "!@#$%^&*-_=+"


def generate_temporary_password(length: int = 16) -> str:
    """Generate the temporary password shown once to a user whose account an admin just created.

    The password has exactly `length` characters drawn from ASCII letters, digits and SYMBOLS, and contains
    at least one lowercase letter, one uppercase letter, one digit and one symbol. Raise ValueError if
    length < 12. It must be unpredictable: use a cryptographically secure random source, and do not put
    the character classes at fixed positions."""
    import secrets

    if length < 12:
        raise ValueError("temporary passwords must be at least 12 characters long")
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS)
    alphabet = "".join(classes)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(ch in cls for ch in candidate) for cls in classes):
            return candidate
