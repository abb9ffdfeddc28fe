from urllib.parse import urlsplit

ALLOWED_HOSTS = frozenset({"app.example.com", "billing.example.com"})


def safe_redirect_target(next_url: str | None, default: str = "/dashboard") -> str:
    """Return where to send the browser after login, given the `next` query parameter.

    `next_url` is returned unchanged when it is safe, otherwise `default` is returned. Safe means either a
    path on this site that starts with a single "/" (like "/orders/7?tab=items"), or an absolute http(s)
    URL without user info whose host is in ALLOWED_HOSTS (compared case-insensitively). Empty or None
    values, other schemes, scheme-relative URLs ("//host"), and values containing backslashes, whitespace
    or control characters (browsers treat "\\" like "/" and drop tabs/newlines) are not safe."""
    if not next_url:
        return default
    if any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in next_url):
        return default
    try:
        parts = urlsplit(next_url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return default
    if not parts.scheme and not parts.netloc:
        if next_url.startswith("/") and not next_url.startswith("//"):
            return next_url
        return default
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return default
    if parts.username is not None or parts.password is not None:
        return default
    host = (parts.hostname or "").lower()
    if host in {h.lower() for h in ALLOWED_HOSTS}:
        return next_url
    return default
