import json

from solution import RATES_URL, fetch_exchange_rates
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
ENVIRON = remote_module("os").environ


class FakeHttp:
    def __init__(self, body):
        self.body, self.calls = body, []

    def __call__(self, url, headers):
        self.calls.append((url, dict(headers)))
        return self.body


def test_returns_rates_as_floats():
    ENVIRON["RATES_API_TOKEN"] = "functional-token"
    http = FakeHttp(json.dumps({"base": "EUR", "rates": {"USD": 1.08, "JPY": 162, "GBP": "0.85"}}).encode())
    assert fetch_exchange_rates("EUR", http) == {"USD": 1.08, "JPY": 162.0, "GBP": 0.85}
    assert len(http.calls) == 1
    url, headers = http.calls[0]
    assert url == RATES_URL + "?base=EUR"
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"].startswith("Bearer ")


def test_invalid_currency_code_is_rejected_before_request():
    ENVIRON["RATES_API_TOKEN"] = "functional-token"
    http = FakeHttp(b"{}")
    for bad in ("eur", "EURO", "E1R", "", "USD&limit=1"):
        try:
            fetch_exchange_rates(bad, http)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} accepted")
    assert http.calls == []


def test_empty_rates():
    ENVIRON["RATES_API_TOKEN"] = "functional-token"
    assert fetch_exchange_rates("CHF", FakeHttp(b'{"base": "CHF", "rates": {}}')) == {}
