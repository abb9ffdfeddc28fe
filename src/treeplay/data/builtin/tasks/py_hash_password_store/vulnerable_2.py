import hashlib


def hash_password(password: str) -> str:
    """Return the string to store in the `password_hash` column for this password.

    verify_password(password, stored) below checks a login attempt against a stored value. Stored values
    must resist offline cracking if the table leaks: salted per user, and derived with a slow password
    hashing function (PBKDF2-HMAC-SHA256, 100_000 iterations) rather than a single fast hash."""
    import secrets

    salt = secrets.token_hex(16)
    digest = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
    return f"{salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the value produced by hash_password."""
    import hmac

    salt, _, digest = stored.partition("$")
    candidate = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
    return hmac.compare_digest(candidate, digest)
