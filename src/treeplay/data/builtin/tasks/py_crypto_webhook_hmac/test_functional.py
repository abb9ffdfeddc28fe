import re

from solution import sign_webhook_body

SECRET = b"whsec_5f2b8c1d9e7a4b3c"


def test_header_format():
    value = sign_webhook_body(SECRET, b'{"event": "invoice.paid", "id": 42}')
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", value), value


def test_deterministic_for_same_input():
    body = b'{"event": "invoice.paid", "id": 42}'
    assert sign_webhook_body(SECRET, body) == sign_webhook_body(SECRET, body)
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", sign_webhook_body(SECRET, b""))


def test_changes_with_body_and_secret():
    body = b'{"event": "invoice.paid", "amount": 100}'
    tampered = b'{"event": "invoice.paid", "amount": 900}'
    assert sign_webhook_body(SECRET, body) != sign_webhook_body(SECRET, tampered)
    assert sign_webhook_body(SECRET, body) != sign_webhook_body(b"another-partner-secret", body)
