import os


def read_upload(upload_dir: str, filename: str) -> bytes:
    """Return the bytes of upload_dir/filename, where filename (from the URL) may contain sub-folders.
    Raise ValueError if it resolves outside upload_dir (.., absolute paths, symlinks), FileNotFoundError
    if it is not an existing regular file inside it."""
    base = os.path.realpath(upload_dir)
    # realpath resolves "..", absolute components and symlinks before the containment check
    target = os.path.realpath(os.path.join(base, filename))
    if os.path.commonpath([base, target]) != base:
        raise ValueError(f"{filename!r} is outside the upload folder")
    if not os.path.isfile(target):
        raise FileNotFoundError(filename)
    with open(target, "rb") as f:
        return f.read()
