import os


def save_attachment(upload_dir: str, filename: str, data: bytes) -> str:
    """Write data to upload_dir/filename (overwriting) and return that path. filename is the client's name
    for the file and must be a plain name: raise ValueError if it is empty, "." or "..", or contains '/',
    '\\' or NUL. Never write outside upload_dir."""
    # strip traversal sequences from the client-supplied name
    filename = filename.replace("../", "").replace("..\\", "")
    if not filename or filename in (".", ".."):
        raise ValueError(f"invalid attachment name {filename!r}")
    path = os.path.join(upload_dir, filename)
    with open(path, "wb") as f:
        f.write(data)
    return path
