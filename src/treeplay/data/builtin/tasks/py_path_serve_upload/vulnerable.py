import os


def read_upload(upload_dir: str, filename: str) -> bytes:
    """Return the bytes of upload_dir/filename, where filename (from the URL) may contain sub-folders.
    Raise ValueError if it resolves outside upload_dir (.., absolute paths, symlinks), FileNotFoundError
    if it is not an existing regular file inside it."""
    path = os.path.join(upload_dir, filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(filename)
    with open(path, "rb") as f:
        return f.read()
