import os


def find_duplicate_uploads(folder: str) -> list[list[str]]:
    """Find files under `folder` (recursively) whose contents are identical.

    Returns one list per set of identical files, holding their paths relative to `folder` with "/" as the
    separator, sorted; the groups themselves are sorted by their first path. Files without a duplicate are
    left out. Files are compared by a cryptographic digest of their content, read in chunks (uploads can be
    several GB). A cleanup job deletes all but one file of each group, and uploads are attacker-controlled,
    so files with different contents must never end up in the same group."""
