import zlib

MAX_UPLOAD_SIZE = 10 * 1024 * 1024


def decompress_upload(data: bytes, max_size: int = MAX_UPLOAD_SIZE) -> bytes:
    """Decompress a gzip-encoded request body (Content-Encoding: gzip) and return the decoded bytes.

    Concatenated gzip members are decoded one after another, like gzip.decompress. Raise ValueError if
    the data is not valid gzip (bad header, corrupt or truncated stream, trailing garbage) or if the
    decompressed body would be larger than max_size bytes. Bodies come from untrusted clients, and a few
    kilobytes of gzip can expand to gigabytes, so never hold much more than max_size decompressed bytes
    in memory: stop decompressing as soon as the limit is exceeded."""
