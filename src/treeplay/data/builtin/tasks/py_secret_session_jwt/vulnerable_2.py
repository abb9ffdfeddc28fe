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
    if "SESSION_SIGNING_KEY" not in os.environ:
        raise RuntimeError("SESSION_SIGNING_KEY is not set")
    key = os.environ["SESSION_SIGNING_KEY"].encode("utf-8")
    if now is None:
        now = int(time.time())

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"sub": user_id, "iat": now, "exp": now + SESSION_LIFETIME}).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"
