import base64
import hashlib
import hmac
import json
import os
import time

SESSION_LIFETIME = 3600


def issue_session_token(user_id: str, now: int | None = None) -> str:
    """Return a compact JWT signed with HS256 for `user_id`.

    Header {"alg": "HS256", "typ": "JWT"}; claims {"sub": user_id, "iat": now, "exp": now + SESSION_LIFETIME}
    with now defaulting to int(time.time()). Segments are base64url-encoded without "=" padding. The HMAC
    key is the UTF-8 value of the SESSION_SIGNING_KEY environment variable, read on every call; raise
    RuntimeError if it is unset or empty."""
