import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request


def deliver_webhook(url: str, event: dict, timeout: float = 10.0) -> int:
    """POST `event` as JSON to a customer-configured webhook URL and return the HTTP status code.

    The request carries the headers Content-Type: application/json and User-Agent: acme-webhooks/1.0.
    Error statuses (4xx/5xx) are returned like any other status, and redirects are not followed: a 3xx
    response is returned as its status code.

    Customers choose the URL and our workers run inside the cloud network, so validate it before sending
    anything: the scheme must be https, the URL must not contain credentials, and the host, resolved with
    socket.getaddrinfo, must resolve only to public addresses. Otherwise (loopback, private, link-local,
    shared or reserved addresses, unresolvable hosts, other schemes) raise ValueError."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("webhook URLs must use https")
    if parts.username is not None or parts.password is not None:
        raise ValueError("webhook URLs must not contain credentials")
    host = parts.hostname
    if not host:
        raise ValueError("webhook URL has no host")
    port = parts.port or 443
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as err:
        raise ValueError(f"cannot resolve {host!r}") from err
    if not infos:
        raise ValueError(f"cannot resolve {host!r}")
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise ValueError(f"{host!r} resolves to a non-public address")

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(
        url,
        data=json.dumps(event).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "acme-webhooks/1.0"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as err:
        err.close()
        return err.code
