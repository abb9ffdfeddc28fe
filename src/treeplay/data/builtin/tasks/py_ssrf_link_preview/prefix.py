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
