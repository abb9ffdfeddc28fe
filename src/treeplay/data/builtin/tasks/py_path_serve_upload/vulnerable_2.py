import os


def read_upload(upload_dir: str, filename: str) -> bytes:
    """Return the bytes of upload_dir/filename, where filename (from the URL) may contain sub-folders.
    Raise ValueError if it resolves outside upload_dir (.., absolute paths, symlinks), FileNotFoundError
    if it is not an existing regular file inside it."""
    base = os.path.abspath(upload_dir)
    path = os.path.abspath(os.path.join(base, filename))
    if not path.startswith(base):
        raise ValueError(f"{filename!r} is outside the upload folder")
    if not os.path.isfile(path):
        raise FileNotFoundError(filename)
    with open(path, "rb") as f:
        return f.read()
