import string

SYMBOLS = "!@#$%^&*-_=+"


def generate_temporary_password(length: int = 16) -> str:
    """Generate the temporary password shown once to a user whose account an admin just created.

    The password has exactly `length` characters drawn from ASCII letters, digits and SYMBOLS, and contains
    at least one lowercase letter, one uppercase letter, one digit and one symbol. Raise ValueError if
    length < 12. It must be unpredictable: use a cryptographically secure random source, and do not put
    the character classes at fixed positions."""
