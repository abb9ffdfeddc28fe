import io
import ipaddress
import json
import socket

from solution import deliver_webhook
from treeplay_judge import remote_module

# Fake network: DNS answers come from the table below (IP literals, including legacy forms such as
# "2130706433", resolve to themselves) and HTTP connections are served from canned responses, so the real
# urllib/http.client code runs but nothing leaves the process.
DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "api.customer.example": ["151.101.65.69", "2606:2800:220:1:248:1893:25c8:1946"],
    "localhost": ["127.0.0.1", "::1"],
    "jenkins.internal.example": ["10.0.8.15"],
    "metadata.example.net": ["169.254.169.254"],
    "mixed.example.net": ["151.101.1.69", "192.168.1.10"],
    "carrier.example.net": ["100.64.3.7"],
}
CONNECTIONS = []  # (host, port) of every connection opened
REQUESTS = []  # dicts describing every request sent
RESPONSES = {}  # (host, path) -> raw HTTP response bytes
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _resolve(host):
    host = (host.decode() if isinstance(host, bytes) else host).lower().strip("[]")
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        return [socket.inet_ntoa(socket.inet_aton(host))]
    except OSError:
        pass
    if host not in DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return DNS[host]


def _fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    port = int(port or 0)
    return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0)) if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in _resolve(host)]


def _fake_gethostbyname(host):
    v4 = [a for a in _resolve(host) if ":" not in a]
    if not v4:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return v4[0]


class _FakeSocket:
    def __init__(self, host, port):
        self.host, self.port, self.sent = host, port, b""

    def sendall(self, data):
        self.sent += bytes(data)

    def makefile(self, *args, **kwargs):
        head, _, body = self.sent.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        REQUESTS.append({"host": self.host, "port": self.port, "method": method, "path": path,
                         "headers": headers, "body": body})
        return io.BytesIO(RESPONSES.get((self.host, path), OK))

    def close(self):
        pass


def _fake_connect(self):
    CONNECTIONS.append((self.host, self.port))
    self.sock = _FakeSocket(self.host, self.port)


# The candidate runs in its own process: the judge patches that process through remote_module.
remote_module("socket").getaddrinfo = _fake_getaddrinfo
remote_module("socket").gethostbyname = _fake_gethostbyname
remote_module("http.client").HTTPConnection.connect = _fake_connect
remote_module("http.client").HTTPSConnection.connect = _fake_connect


def test_posts_json_to_public_https_url():
    REQUESTS.clear()
    event = {"type": "invoice.paid", "id": 981, "amount": 12.5}
    assert deliver_webhook("https://hooks.example.com/acme/in?src=billing", event) == 200
    assert len(REQUESTS) == 1
    req = REQUESTS[0]
    assert (req["host"], req["port"], req["method"]) == ("hooks.example.com", 443, "POST")
    assert req["path"] == "/acme/in?src=billing"
    assert req["headers"]["content-type"] == "application/json"
    assert req["headers"]["user-agent"] == "acme-webhooks/1.0"
    assert json.loads(req["body"]) == event


def test_error_statuses_are_returned():
    RESPONSES[("hooks.example.com", "/broken")] = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
    RESPONSES[("api.customer.example", "/missing")] = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    assert deliver_webhook("https://hooks.example.com/broken", {"x": 1}) == 500
    assert deliver_webhook("https://api.customer.example:8443/missing", {"x": 1}) == 404
    assert CONNECTIONS[-1] == ("api.customer.example", 8443)


def test_unresolvable_host_is_rejected():
    try:
        deliver_webhook("https://does-not-exist.invalid/hook", {})
    except ValueError:
        return
    raise AssertionError("unresolvable host accepted")
