import secrets

from solution import fetch_exchange_rates
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
ENVIRON = remote_module("os").environ


class FakeHttp:
    def __init__(self):
        self.calls = []

    def __call__(self, url, headers):
        self.calls.append((url, dict(headers)))
        return b'{"base": "USD", "rates": {"EUR": 0.92}}'


def test_sends_the_token_configured_for_this_deployment():
    for _ in range(2):  # rotating the secret takes effect without a restart
        token = "rk_" + secrets.token_hex(16)
        ENVIRON["RATES_API_TOKEN"] = token
        http = FakeHttp()
        fetch_exchange_rates("USD", http)
        assert http.calls[0][1]["Authorization"] == f"Bearer {token}"


def test_no_request_without_configured_token():
    ENVIRON.pop("RATES_API_TOKEN", None)
    http = FakeHttp()
    try:
        fetch_exchange_rates("USD", http)
        raised = False
    except RuntimeError:
        raised = True
    sent = [headers.get("Authorization") for _url, headers in http.calls]
    assert raised and not http.calls, f"request sent with a credential built into the code: {sent}"


def test_no_request_with_empty_token():
    ENVIRON["RATES_API_TOKEN"] = ""
    http = FakeHttp()
    try:
        fetch_exchange_rates("USD", http)
        raised = False
    except RuntimeError:
        raised = True
    finally:
        del ENVIRON["RATES_API_TOKEN"]
    assert raised and not http.calls
