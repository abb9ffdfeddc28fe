import hashlib


def hash_password(password: str) -> str:
    """Return the string to store in the `password_hash` column for this password.

    verify_password(password, stored) below checks a login attempt against a stored value. Stored values
    must resist offline cracking if the table leaks: salted per user, and derived with a slow password
    hashing function (PBKDF2-HMAC-SHA256, 100_000 iterations) rather than a single fast hash."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the value produced by hash_password."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest() == stored
