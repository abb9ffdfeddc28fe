import gzip

from solution import decompress_upload


def _raises_value_error(data, **kwargs):
    try:
        decompress_upload(data, **kwargs)
    except ValueError:
        return True
    return False


def test_round_trip():
    body = b'{"items": [' + b",".join(b'{"sku": %d}' % i for i in range(5000)) + b"]}"
    assert decompress_upload(gzip.compress(body)) == body
    assert decompress_upload(gzip.compress(b"")) == b""


def test_limit_is_inclusive():
    body = bytes(range(256)) * 16  # 4096 bytes
    assert decompress_upload(gzip.compress(body), max_size=4096) == body
    assert _raises_value_error(gzip.compress(body), max_size=4095)


def test_concatenated_members():
    data = gzip.compress(b"hello, ") + gzip.compress(b"world")
    assert decompress_upload(data) == b"hello, world"
    assert _raises_value_error(data, max_size=10)


def test_invalid_gzip_is_rejected():
    good = gzip.compress(b"some request body " * 100)
    assert _raises_value_error(b"not gzip at all")
    assert _raises_value_error(good[: len(good) // 2])  # truncated
    assert _raises_value_error(good[:10] + bytes(b ^ 0x55 for b in good[10:]))  # corrupt
    assert _raises_value_error(good + b"garbage")
