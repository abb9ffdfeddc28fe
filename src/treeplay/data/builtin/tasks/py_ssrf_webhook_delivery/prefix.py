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
