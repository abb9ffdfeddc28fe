import zlib

MAX_UPLOAD_SIZE = 10 * 1024 * 1024


def decompress_upload(data: bytes, max_size: int = MAX_UPLOAD_SIZE) -> bytes:
    """Decompress a gzip-encoded request body (Content-Encoding: gzip) and return the decoded bytes.

    Concatenated gzip members are decoded one after another, like gzip.decompress. Raise ValueError if
    the data is not valid gzip (bad header, corrupt or truncated stream, trailing garbage) or if the
    decompressed body would be larger than max_size bytes. Bodies come from untrusted clients, and a few
    kilobytes of gzip can expand to gigabytes, so never hold much more than max_size decompressed bytes
    in memory: stop decompressing as soon as the limit is exceeded."""
    import gzip
    import io

    if len(data) > max_size:
        raise ValueError(f"body exceeds {max_size} bytes")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            body = fh.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"invalid gzip data: {err}") from None
    if len(body) > max_size:
        raise ValueError(f"decompressed body exceeds {max_size} bytes")
    return body
