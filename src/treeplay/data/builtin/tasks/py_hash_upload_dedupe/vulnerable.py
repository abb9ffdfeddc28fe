import os


def find_duplicate_uploads(folder: str) -> list[list[str]]:
    """Find files under `folder` (recursively) whose contents are identical.

    Returns one list per set of identical files, holding their paths relative to `folder` with "/" as the
    separator, sorted; the groups themselves are sorted by their first path. Files without a duplicate are
    left out. Files are compared by a cryptographic digest of their content, read in chunks (uploads can be
    several GB). A cleanup job deletes all but one file of each group, and uploads are attacker-controlled,
    so files with different contents must never end up in the same group."""
    import hashlib

    by_digest: dict[str, list[str]] = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            digest = hashlib.md5()
            with open(path, "rb") as fh:
                while True:
                    chunk = fh.read(65536)
                    if not chunk:
                        break
                    digest.update(chunk)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            by_digest.setdefault(digest.hexdigest(), []).append(rel)
    groups = [sorted(paths) for paths in by_digest.values() if len(paths) > 1]
    groups.sort(key=lambda group: group[0])
    return groups
