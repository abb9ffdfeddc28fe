import base64
import hashlib
import hmac
import json
import time

from solution import issue_session_token
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
ENVIRON = remote_module("os").environ

KEY = "functional-test-signing-key-7c1e"


def _b64decode(segment):
    assert "=" not in segment
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_header_and_claims():
    ENVIRON["SESSION_SIGNING_KEY"] = KEY
    token = issue_session_token("user-17", now=1_700_000_000)
    header, payload, signature = token.split(".")
    assert json.loads(_b64decode(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(_b64decode(payload)) == {"sub": "user-17", "iat": 1_700_000_000, "exp": 1_700_003_600}
    assert len(_b64decode(signature)) == 32


def test_signature_verifies_with_configured_key():
    ENVIRON["SESSION_SIGNING_KEY"] = KEY
    header, payload, signature = issue_session_token("alice", now=1000).split(".")
    expected = hmac.new(KEY.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(_b64decode(signature), expected)


def test_now_defaults_to_current_time():
    ENVIRON["SESSION_SIGNING_KEY"] = KEY
    before = int(time.time())
    claims = json.loads(_b64decode(issue_session_token("bob").split(".")[1]))
    assert before <= claims["iat"] <= int(time.time()) and claims["exp"] == claims["iat"] + 3600
