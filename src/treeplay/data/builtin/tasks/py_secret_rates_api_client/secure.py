import json
import os
import re
from typing import Callable

RATES_URL = "https://api.rates-provider.example/v1/latest"


def fetch_exchange_rates(base: str, http_get: Callable[[str, dict], bytes]) -> dict[str, float]:
    """Fetch the latest exchange rates for the currency `base` from our rates provider.

    `base` must be a three-letter upper-case ISO code, otherwise raise ValueError. Calls
    http_get(f"{RATES_URL}?base={base}", headers) once and returns the "rates" object of the JSON response
    as a dict of floats. The request is authenticated with headers {"Authorization": "Bearer <token>",
    "Accept": "application/json"}, where the token is the RATES_API_TOKEN environment variable (read on
    every call); raise RuntimeError, without making a request, if it is unset or empty."""
    if not isinstance(base, str) or not re.fullmatch(r"[A-Z]{3}", base):
        raise ValueError(f"invalid currency code: {base!r}")
    token = os.environ.get("RATES_API_TOKEN", "")
    if not token:
        raise RuntimeError("RATES_API_TOKEN is not configured")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    body = http_get(f"{RATES_URL}?base={base}", headers)
    data = json.loads(body)
    return {code: float(rate) for code, rate in data["rates"].items()}
