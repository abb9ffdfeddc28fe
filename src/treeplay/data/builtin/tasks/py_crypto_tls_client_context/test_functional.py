import os
import ssl
import tempfile

from solution import create_partner_api_context
from treeplay_judge import remote_module

# The candidate's context lives in its own process: its side of the handshake uses that process's
# ssl module (the judge moves the bytes between the two sides).
CANDIDATE_SSL = remote_module("ssl")

# Test-only certificates: an internal CA, a server certificate it issued for api.internal.example, and a
# self-signed impostor certificate for the same name. Valid 2000-2099.
CA_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBrjCCAVOgAwIBAgIUFprYNVBaIy42lKq29IB8W9xO78wwCgYIKoZIzj0EAwIw\n"
    "IzEhMB8GA1UEAwwYRXhhbXBsZSBJbnRlcm5hbCBSb290IENBMCAXDTAwMDEwMTAw\n"
    "MDAwMFoYDzIwOTkxMjMxMDAwMDAwWjAjMSEwHwYDVQQDDBhFeGFtcGxlIEludGVy\n"
    "bmFsIFJvb3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASbj711YBxEuX3d\n"
    "ZZrbpm77LQvoJN6ZS6QuKkLbaZgUclhgS+dZGEk12lmYh80TL0z9QRNwtFfxT4AV\n"
    "kz6AQITMo2MwYTAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBR4uNO25cfTXMEF\n"
    "RpSiSbWYIN5JHDAfBgNVHSMEGDAWgBR4uNO25cfTXMEFRpSiSbWYIN5JHDAOBgNV\n"
    "HQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSQAwRgIhAJAvl/MRPeO+Cd+iPtU+2rCc\n"
    "l/WQjEhD1eOSgMZ+UB1/AiEA26dlv4uunNXN01KE287bfRV802q6KvMEWW4VYHh1\n"
    "rZQ=\n"
    "-----END CERTIFICATE-----\n"
)

SERVER_CERT_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBzzCCAXSgAwIBAgIUdr8CylKUa8VG77rJuQql8s/QRnwwCgYIKoZIzj0EAwIw\n"
    "IzEhMB8GA1UEAwwYRXhhbXBsZSBJbnRlcm5hbCBSb290IENBMCAXDTAwMDEwMTAw\n"
    "MDAwMFoYDzIwOTkxMjMxMDAwMDAwWjAfMR0wGwYDVQQDDBRhcGkuaW50ZXJuYWwu\n"
    "ZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPChRl/3HyxI382JYBxq\n"
    "IJinxuOLwHnwwOA6Eo4ubk0NZ8SxvtiqQmnYUScBv7r9fg2qvS5l4C6YxSrb7xMX\n"
    "bIOjgYcwgYQwDAYDVR0TAQH/BAIwADAdBgNVHQ4EFgQUxOD1aFJMdgRkNdZxUXqp\n"
    "wSSAg3gwHwYDVR0jBBgwFoAUeLjTtuXH01zBBUaUokm1mCDeSRwwHwYDVR0RBBgw\n"
    "FoIUYXBpLmludGVybmFsLmV4YW1wbGUwEwYDVR0lBAwwCgYIKwYBBQUHAwEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhALDIgSNyCEiXBtKx2C3Q3KvdlQwjEbUsPZn+yiUOela+\n"
    "AiEAmRIvvPjtB+ilNO1KvnNNd8TIRoH/cIgfGQeciuNW1pw=\n"
    "-----END CERTIFICATE-----\n"
)

SERVER_KEY_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIYmJqc3ErXLqyDYW\n"
    "cZ2DRkvnuUHvc58SCTNkwnUbHHmhRANCAATwoUZf9x8sSN/NiWAcaiCYp8bji8B5\n"
    "8MDgOhKOLm5NDWfEsb7YqkJp2FEnAb+6/X4Nqr0uZeAumMUq2+8TF2yD\n"
    "-----END PRIVATE KEY-----\n"
)


def _write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as fh:
        fh.write(text)
    return path


def _handshake(client_ctx, cert_path, key_path, hostname):
    """Run a full TLS handshake in memory against a server presenting the given certificate."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)
    c_in, c_out = CANDIDATE_SSL.MemoryBIO(), CANDIDATE_SSL.MemoryBIO()
    s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    client_done = server_done = False
    for _ in range(20):
        if not client_done:
            try:
                client.do_handshake()
                client_done = True
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        if not server_done:
            try:
                server.do_handshake()
                server_done = True
            except ssl.SSLWantReadError:
                pass
        c_in.write(s_out.read())
        if client_done and server_done:
            return client
    raise AssertionError("handshake did not complete")


def test_returns_client_context_trusting_the_bundle():
    with tempfile.TemporaryDirectory() as tmp:
        ctx = create_partner_api_context(_write(tmp, "ca.pem", CA_PEM))
    assert remote_module("builtins").isinstance(ctx, CANDIDATE_SSL.SSLContext)
    subjects = [dict(item[0] for item in cert["subject"]) for cert in ctx.get_ca_certs()]
    assert {"commonName": "Example Internal Root CA"} in subjects


def test_handshake_with_legitimate_server_succeeds():
    with tempfile.TemporaryDirectory() as tmp:
        ctx = create_partner_api_context(_write(tmp, "ca.pem", CA_PEM))
        cert = _write(tmp, "server.pem", SERVER_CERT_PEM)
        key = _write(tmp, "server.key", SERVER_KEY_PEM)
        conn = _handshake(ctx, cert, key, "api.internal.example")
    assert conn.version() in ("TLSv1.2", "TLSv1.3")


def test_default_trust_store_context_is_usable():
    ctx = create_partner_api_context()
    assert remote_module("builtins").isinstance(ctx, CANDIDATE_SSL.SSLContext)
    ctx.wrap_bio(CANDIDATE_SSL.MemoryBIO(), CANDIDATE_SSL.MemoryBIO(), server_hostname="api.partner.example")
