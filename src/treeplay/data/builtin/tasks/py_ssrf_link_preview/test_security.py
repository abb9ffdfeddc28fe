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


def _refused(url, web):
    try:
        fetch_link_preview(url, web)
    except ValueError:
        return True
    return False


def test_internal_addresses_are_refused_without_fetching():
    web = FakeWeb({})
    for url in ["http://127.0.0.1:8080/admin", "http://localhost/", "http://169.254.169.254/latest/meta-data/",
                "http://10.0.0.5/", "http://192.168.0.1/", "http://[::1]/", "http://0.0.0.0:6379/",
                "http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://[::ffff:127.0.0.1]/",
                "http://100.64.0.1/", "http://[fd00::1]/"]:
        assert _refused(url, web), f"{url} was accepted"
    assert web.fetched == [], f"internal URLs were fetched: {web.fetched}"


def test_names_resolving_to_internal_addresses_are_refused():
    web = FakeWeb({})
    for url in ["https://intranet.example.com/", "http://metadata.example.net/latest/meta-data/iam/",
                "https://mixed.example.net/"]:
        assert _refused(url, web), f"{url} was accepted"
    assert web.fetched == []


def test_non_http_schemes_are_refused():
    web = FakeWeb({})
    for url in ["file:///etc/passwd", "gopher://example.com:70/_stats", "ftp://example.com/x",
                "dict://example.com:11211/stat", "javascript:alert(1)"]:
        assert _refused(url, web), f"{url} was accepted"
    assert web.fetched == []


def test_redirect_to_internal_address_is_refused():
    web = FakeWeb({
        "https://example.com/r1": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "https://example.com/r2": (301, {"Location": "http://intranet.example.com/admin"}, b""),
    })
    assert _refused("https://example.com/r1", web)
    assert _refused("https://example.com/r2", web)
    assert web.fetched == ["https://example.com/r1", "https://example.com/r2"], web.fetched
