from urllib.parse import urlsplit

ALLOWED_HOSTS = frozenset({"app.example.com", "billing.example.com"})


def safe_redirect_target(next_url: str | None, default: str = "/dashboard") -> str:
    """Return where to send the browser after login, given the `next` query parameter.

    `next_url` is returned unchanged when it is safe, otherwise `default` is returned. Safe means either a
    path on this site that starts with a single "/" (like "/orders/7?tab=items"), or an absolute http(s)
    URL without user info whose host is in ALLOWED_HOSTS (compared case-insensitively). Empty or None
    values, other schemes, scheme-relative URLs ("//host"), and values containing backslashes, whitespace
    or control characters (browsers treat "\\" like "/" and drop tabs/newlines) are not safe."""
