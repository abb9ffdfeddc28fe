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
    blocked_hosts = {"localhost", "127.0.0.1", "0.0.0.0", "169.254.169.254", "metadata.google.internal"}
    blocked_prefixes = ("10.", "192.168.", "172.16.", "127.")

    def check(target: str) -> None:
        parts = urllib.parse.urlparse(target)
        if parts.scheme not in ("http", "https"):
            raise ValueError("only http(s) links can be previewed")
        host = (parts.hostname or "").lower()
        if not host or host in blocked_hosts or host.startswith(blocked_prefixes):
            raise ValueError("internal address")
        try:
            socket.getaddrinfo(host, None)
        except socket.gaierror as err:
            raise ValueError("unknown host") from err

    current = url
    redirects = 0
    while True:
        check(current)
        status, headers, body = fetch(current)
        if status in (301, 302, 303, 307, 308):
            location = headers.get("Location") or headers.get("location")
            if location:
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise ValueError("too many redirects")
                current = urllib.parse.urljoin(current, location)
                continue
        title = ""
        if status == 200:
            match = re.search(r"<title[^>]*>(.*?)</title>", body[:1048576].decode("utf-8", "replace"), re.I | re.S)
            if match:
                title = " ".join(html.unescape(match.group(1)).split())
        return {"url": current, "title": title}
