import html
import ipaddress
import re
import socket
import urllib.parse
from typing import Callable

MAX_REDIRECTS = 3


def fetch_link_preview(url: str, fetch: Callable[[str], tuple[int, dict, bytes]]) -> dict:
    """Build the preview card for a link pasted into a chat message: {"url": final_url, "title": title}.

    fetch(url) performs one HTTP GET without following redirects and returns (status, headers, body).
    Follow 301/302/303/307/308 responses (Location may be relative) up to MAX_REDIRECTS times, then raise
    ValueError. The title is the text of the first <title> element, HTML-unescaped with runs of whitespace
    collapsed to one space and stripped, or "" if there is none or the final status is not 200.

    The server sits inside our cloud network, so every URL that would be fetched, including redirect
    targets, must be checked first: only http and https are allowed, and the host (resolved with
    socket.getaddrinfo) must resolve only to public addresses; loopback, private, link-local (cloud
    metadata), reserved and other non-global addresses, or a host that does not resolve, raise ValueError
    before the URL is fetched."""

    def check(target: str) -> None:
        parts = urllib.parse.urlsplit(target)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"scheme not allowed: {parts.scheme!r}")
        host = parts.hostname
        if not host:
            raise ValueError("URL has no host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
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

    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check(current)
        status, headers, body = fetch(current)
        location = next((v for k, v in headers.items() if k.lower() == "location"), None)
        if status in (301, 302, 303, 307, 308) and location:
            current = urllib.parse.urljoin(current, location)
            continue
        title = ""
        if status == 200:
            match = re.search(rb"<title[^>]*>(.*?)</title\s*>", body[: 1 << 20], re.IGNORECASE | re.DOTALL)
            if match:
                text = html.unescape(match.group(1).decode("utf-8", errors="replace"))
                title = " ".join(text.split())
        return {"url": current, "title": title}
    raise ValueError("too many redirects")
