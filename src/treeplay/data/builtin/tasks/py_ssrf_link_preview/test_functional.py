import ipaddress
import socket

from solution import fetch_link_preview
from treeplay_judge import remote_module

# Fake DNS: the tests never touch the network. Names map to the addresses listed; IP literals (including the
# legacy forms inet_aton accepts, such as "2130706433" or "127.1") resolve to themselves, as real resolvers do.
DNS = {
    "example.com": ["93.184.216.34"],
    "www.example.com": ["93.184.216.34"],
    "blog.example.org": ["2606:2800:220:1:248:1893:25c8:1946"],
    "cdn.example.net": ["151.101.1.69"],
    "localhost": ["127.0.0.1", "::1"],
    "intranet.example.com": ["10.20.30.40"],
    "metadata.example.net": ["169.254.169.254"],
    "mixed.example.net": ["151.101.1.69", "192.168.1.10"],
}


def _fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if isinstance(host, bytes):
        host = host.decode()
    host = host.lower().strip("[]")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = [socket.inet_ntoa(socket.inet_aton(host))]
        except OSError:
            if host not in DNS:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            addresses = DNS[host]
    port = int(port or 0)
    out = []
    for addr in addresses:
        if ":" in addr:
            out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (addr, port, 0, 0)))
        else:
            out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, port)))
    return out


# The candidate runs in its own process: the judge patches that process through remote_module.
remote_module("socket").getaddrinfo = _fake_getaddrinfo


class FakeWeb:
    """Stands in for the HTTP client: records every URL fetched and serves canned responses."""

    def __init__(self, pages):
        self.pages, self.fetched = pages, []

    def __call__(self, url):
        self.fetched.append(url)
        return self.pages.get(url, (404, {}, b"not found"))


def test_title_of_public_page():
    web = FakeWeb({"https://example.com/post/1": (200, {"Content-Type": "text/html"},
                   b"<html><head><TITLE>\n  Fish &amp; Chips\n  recipes </TITLE></head><body>x</body></html>")})
    assert fetch_link_preview("https://example.com/post/1", web) == {
        "url": "https://example.com/post/1", "title": "Fish & Chips recipes"}
    assert web.fetched == ["https://example.com/post/1"]


def test_follows_public_redirects():
    web = FakeWeb({
        "http://example.com/a": (301, {"Location": "https://www.example.com/a"}, b""),
        "https://www.example.com/a": (302, {"Location": "/final?x=1"}, b""),
        "https://www.example.com/final?x=1": (200, {}, "<title>Ünïcode ok</title>".encode()),
        "http://blog.example.org/": (200, {}, b"<p>no title here</p>"),
    })
    assert fetch_link_preview("http://example.com/a", web) == {
        "url": "https://www.example.com/final?x=1", "title": "Ünïcode ok"}
    assert fetch_link_preview("http://blog.example.org/", web) == {"url": "http://blog.example.org/", "title": ""}


def test_redirect_loop_and_errors():
    web = FakeWeb({"https://cdn.example.net/loop": (302, {"Location": "/loop"}, b""),
                   "https://cdn.example.net/gone": (404, {}, b"<title>Not Found</title>")})
    try:
        fetch_link_preview("https://cdn.example.net/loop", web)
        raise AssertionError("redirect loop not stopped")
    except ValueError:
        pass
    assert len(web.fetched) == 4
    assert fetch_link_preview("https://cdn.example.net/gone", web)["title"] == ""
    try:
        fetch_link_preview("https://no-such-host.invalid/", web)
        raise AssertionError("unresolvable host accepted")
    except ValueError:
        pass
