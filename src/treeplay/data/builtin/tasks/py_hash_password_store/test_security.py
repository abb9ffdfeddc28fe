import base64
import hashlib
import time

from solution import hash_password, verify_password


def test_stored_value_is_not_a_plain_hash_lookup():
    # An attacker with the leaked table looks the value up in precomputed tables of common hashes.
    password = "Summer2024!"
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert password not in stored
    for name in ("md5", "sha1", "sha224", "sha256", "sha512"):
        digest = hashlib.new(name, password.encode()).digest()
        for encoded in (digest.hex(), base64.b64encode(digest).decode().rstrip("=")):
            assert encoded.lower() not in stored.lower(), f"stored value contains unsalted {name}"


def test_same_password_gets_different_salt():
    first, second = hash_password("letmein123"), hash_password("letmein123")
    assert first != second, "identical passwords produce identical stored values"
    assert verify_password("letmein123", first) and verify_password("letmein123", second)


def test_each_guess_is_expensive_for_an_attacker():
    # An offline attacker pays one hash computation per guess. A single SHA-256 costs about a microsecond;
    # PBKDF2-HMAC-SHA256 with 100_000 iterations costs tens of milliseconds.
    stored = hash_password("Tr0ub4dor&3")
    timings = []
    for guess in ("password1", "qwerty123", "dragon2024"):
        start = time.perf_counter()
        assert verify_password(guess, stored) is False
        timings.append(time.perf_counter() - start)
    assert min(timings) >= 0.005, f"a password guess costs only {min(timings) * 1e6:.0f} microseconds"
