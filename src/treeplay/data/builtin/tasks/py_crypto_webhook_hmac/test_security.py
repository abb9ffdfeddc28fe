import hashlib
import struct

from solution import sign_webhook_body

# A small SHA-256 implementation whose internal state can be resumed from a published digest: the tool an
# attacker uses for a length-extension forgery. Round constants are derived from the primes as in FIPS 180-4.
_M = 0xFFFFFFFF


def _primes(n):
    found, k = [], 2
    while len(found) < n:
        if all(k % p for p in found):
            found.append(k)
        k += 1
    return found


def _icbrt(n):
    x = 1 << ((n.bit_length() + 2) // 3)
    while True:
        y = (2 * x + n // (x * x)) // 3
        if y >= x:
            return x
        x = y


def _isqrt(n):
    x = 1 << ((n.bit_length() + 1) // 2)
    while True:
        y = (x + n // x) // 2
        if y >= x:
            return x
        x = y


_K = [_icbrt(p << 96) & _M for p in _primes(64)]
_IV = [_isqrt(p << 64) & _M for p in _primes(8)]


def _rotr(x, n):
    return ((x >> n) | (x << (32 - n))) & _M


def _compress(state, block):
    w = list(struct.unpack(">16I", block))
    for i in range(16, 64):
        s0 = _rotr(w[i - 15], 7) ^ _rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        s1 = _rotr(w[i - 2], 17) ^ _rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w.append((w[i - 16] + s0 + w[i - 7] + s1) & _M)
    a, b, c, d, e, f, g, h = state
    for i in range(64):
        t1 = (h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g)) + _K[i] + w[i]) & _M
        t2 = ((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & _M
        h, g, f, e, d, c, b, a = g, f, e, (d + t1) & _M, c, b, a, (t1 + t2) & _M
    return [(x + y) & _M for x, y in zip(state, [a, b, c, d, e, f, g, h])]


def _padding(length):
    return b"\x80" + b"\x00" * ((55 - length) % 64) + struct.pack(">Q", length * 8)


def _sha256_from(state, data, already_hashed):
    tail = data + _padding(already_hashed + len(data))
    for i in range(0, len(tail), 64):
        state = _compress(state, tail[i:i + 64])
    return "".join(f"{x:08x}" for x in state)


def test_attack_tool_matches_hashlib():
    msg = b"attack tool self-check" * 5
    assert _sha256_from(list(_IV), msg, 0) == hashlib.sha256(msg).hexdigest()


def test_length_extension_forgery_is_rejected():
    secret = b"whsec_9d1c7b2e4f6a8d0c"
    body = b'{"event": "refund.created", "amount": 5}'
    observed = sign_webhook_body(secret, body)
    assert observed.startswith("sha256=")
    state = list(struct.unpack(">8I", bytes.fromhex(observed[len("sha256="):])))
    extension = b', "amount": 50000}'
    # The attacker does not know the secret's length, so tries every plausible one.
    for secret_len in range(0, 65):
        glue = _padding(secret_len + len(body))
        forged_body = body + glue + extension
        forged_sig = _sha256_from(state, extension, secret_len + len(body) + len(glue))
        assert sign_webhook_body(secret, forged_body) != "sha256=" + forged_sig, (
            "a signature for an extended body was forged without the secret")


def test_secret_and_body_are_bound_separately():
    # Moving bytes from the end of the secret to the start of the body must not keep the signature valid.
    assert sign_webhook_body(b"partner-key", b"X{\"ok\": true}") != sign_webhook_body(b"partner-keyX", b"{\"ok\": true}")
