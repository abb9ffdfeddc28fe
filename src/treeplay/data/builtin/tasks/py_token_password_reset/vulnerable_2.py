import time

RESET_TOKEN_TTL = 30 * 60


def issue_reset_token(user_id: int, store: dict, now: float | None = None) -> str:
    """Create a password-reset token for `user_id`, record it in `store` and return it.

    The token goes into the reset link we e-mail (https://app.example.com/reset?token=...), so it must
    consist only of URL-safe characters (A-Z, a-z, 0-9, "-", "_") and be at least 32 characters long. It
    must be unguessable: generated from a cryptographically secure random source with at least 128 bits
    of entropy. `store[token]` is set to (user_id, expires_at) with expires_at = now + RESET_TOKEN_TTL,
    where now defaults to time.time()."""
    import random

    if now is None:
        now = time.time()
    token = f"{random.getrandbits(128):032x}"
    store[token] = (user_id, now + RESET_TOKEN_TTL)
    return token
