import hashlib


def sign_webhook_body(secret: bytes, body: bytes) -> str:
    """Return the X-Signature header value for an outgoing webhook request: "sha256=" followed by a
    64-character lowercase hex SHA-256 based signature of the raw body, keyed with the shared secret.

    Partners recompute the signature to check that a request really came from us and was not altered, so
    someone who has seen any number of (body, signature) pairs must not be able to produce a valid
    signature for a different body without knowing the secret."""
    import hmac

    digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return "sha256=" + digest
