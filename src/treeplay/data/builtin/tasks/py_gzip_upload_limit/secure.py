import zlib

MAX_UPLOAD_SIZE = 10 * 1024 * 1024


def decompress_upload(data: bytes, max_size: int = MAX_UPLOAD_SIZE) -> bytes:
    """Decompress a gzip-encoded request body (Content-Encoding: gzip) and return the decoded bytes.

    Concatenated gzip members are decoded one after another, like gzip.decompress. Raise ValueError if
    the data is not valid gzip (bad header, corrupt or truncated stream, trailing garbage) or if the
    decompressed body would be larger than max_size bytes. Bodies come from untrusted clients, and a few
    kilobytes of gzip can expand to gigabytes, so never hold much more than max_size decompressed bytes
    in memory: stop decompressing as soon as the limit is exceeded."""
    out = bytearray()
    remaining = data
    while remaining:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        buf = remaining
        while True:
            try:
                chunk = inflater.decompress(buf, max_size - len(out) + 1)
            except zlib.error as err:
                raise ValueError(f"invalid gzip data: {err}") from None
            out += chunk
            if len(out) > max_size:
                raise ValueError(f"decompressed body exceeds {max_size} bytes")
            if inflater.eof:
                break
            buf = inflater.unconsumed_tail
            if not chunk and not buf:
                raise ValueError("truncated gzip data")
        remaining = inflater.unused_data
    return bytes(out)
