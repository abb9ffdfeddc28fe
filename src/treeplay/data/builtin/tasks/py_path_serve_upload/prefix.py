import os


def read_upload(upload_dir: str, filename: str) -> bytes:
    """Return the bytes of upload_dir/filename, where filename (from the URL) may contain sub-folders.
    Raise ValueError if it resolves outside upload_dir (.., absolute paths, symlinks), FileNotFoundError
    if it is not an existing regular file inside it."""
