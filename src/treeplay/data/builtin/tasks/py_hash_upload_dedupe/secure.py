import os


def find_duplicate_uploads(folder: str) -> list[list[str]]:
    """Find files under `folder` (recursively) whose contents are identical.

    Returns one list per set of identical files, holding their paths relative to `folder` with "/" as the
    separator, sorted; the groups themselves are sorted by their first path. Files without a duplicate are
    left out. Files are compared by a cryptographic digest of their content, read in chunks (uploads can be
    several GB). A cleanup job deletes all but one file of each group, and uploads are attacker-controlled,
    so files with different contents must never end up in the same group."""
    import hashlib

    by_digest: dict[tuple[int, str], list[str]] = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            path = os.path.join(root, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            key = (os.path.getsize(path), digest.hexdigest())
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            by_digest.setdefault(key, []).append(rel)
    groups = [sorted(paths) for paths in by_digest.values() if len(paths) > 1]
    return sorted(groups, key=lambda group: group[0])
