import os


def save_attachment(upload_dir: str, filename: str, data: bytes) -> str:
    """Write data to upload_dir/filename (overwriting) and return that path. filename is the client's name
    for the file and must be a plain name: raise ValueError if it is empty, "." or "..", or contains '/',
    '\\' or NUL. Never write outside upload_dir."""
    if not filename or filename in (".", "..") or any(c in filename for c in ("/", "\\", "\x00")):
        raise ValueError(f"invalid attachment name {filename!r}")
    path = os.path.join(upload_dir, filename)
    # belt and braces: the resolved parent must be the upload folder itself
    if os.path.dirname(os.path.realpath(path)) != os.path.realpath(upload_dir):
        raise ValueError(f"invalid attachment name {filename!r}")
    with open(path, "wb") as f:
        f.write(data)
    return path
