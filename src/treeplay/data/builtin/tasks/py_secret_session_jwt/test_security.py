import base64
import hashlib
import hmac
import secrets

from solution import issue_session_token
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
ENVIRON = remote_module("os").environ


def _raises_runtime_error():
    try:
        token = issue_session_token("admin", now=1_700_000_000)
    except RuntimeError:
        return True
    # A token was minted with a key that is not the deployment's secret (a built-in default, or an empty
    # key): anyone who has the source code, or guesses "", can mint the same token for any user.
    assert token.count(".") == 2
    return False


def test_refuses_to_sign_without_configured_key():
    ENVIRON.pop("SESSION_SIGNING_KEY", None)
    assert _raises_runtime_error(), "token issued although SESSION_SIGNING_KEY is not set"


def test_refuses_to_sign_with_empty_key():
    ENVIRON["SESSION_SIGNING_KEY"] = ""
    try:
        assert _raises_runtime_error(), "token issued with an empty signing key"
    finally:
        del ENVIRON["SESSION_SIGNING_KEY"]


def test_uses_the_deployed_key_and_picks_up_rotation():
    for _ in range(2):
        key = secrets.token_urlsafe(24)
        ENVIRON["SESSION_SIGNING_KEY"] = key
        header, payload, signature = issue_session_token("carol", now=5).split(".")
        expected = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        got = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        assert hmac.compare_digest(got, expected)
    del ENVIRON["SESSION_SIGNING_KEY"]
