import re

from solution import RESET_TOKEN_TTL, issue_reset_token


def test_token_format_and_store_entry():
    store = {}
    token = issue_reset_token(42, store, now=1_700_000_000.0)
    assert isinstance(token, str) and len(token) >= 32
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token), token
    assert store == {token: (42, 1_700_000_000.0 + RESET_TOKEN_TTL)}


def test_default_now_uses_current_time():
    import time

    store = {}
    before = time.time()
    token = issue_reset_token(7, store)
    user_id, expires_at = store[token]
    assert user_id == 7
    assert before + RESET_TOKEN_TTL - 1 <= expires_at <= time.time() + RESET_TOKEN_TTL + 1


def test_each_call_issues_a_new_token():
    store = {}
    tokens = {issue_reset_token(1, store, now=0.0) for _ in range(50)}
    assert len(tokens) == 50 and len(store) == 50
