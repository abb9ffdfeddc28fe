import hashlib
import os


class ResultCache:
    """Disk cache shared by worker processes: one file per key under cache_dir.

    set(key, value) stores JSON-compatible data; get(key, default=None) returns it, or default when
    missing. Cache files are untrusted (shared volume): get() never runs code or builds arbitrary objects
    from them, and an invalid file counts as a miss.
    """
