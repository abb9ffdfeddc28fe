import hashlib


def hash_password(password: str) -> str:
    """Return the string to store in the `password_hash` column for this password.

    verify_password(password, stored) below checks a login attempt against a stored value. Stored values
    must resist offline cracking if the table leaks: salted per user, and derived with a slow password
    hashing function (PBKDF2-HMAC-SHA256, 100_000 iterations) rather than a single fast hash."""
    import os

    iterations = 100_000
    salt = os.urandom(16)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${derived.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the value produced by hash_password."""
    import hmac

    try:
        scheme, iterations, salt_hex, hash_hex = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
        rounds = int(iterations)
    except ValueError:
        return False
    derived = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, rounds)
    return hmac.compare_digest(derived, expected)
