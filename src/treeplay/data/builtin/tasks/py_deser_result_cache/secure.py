import hashlib
import os


class ResultCache:
    """Disk cache shared by worker processes: one file per key under cache_dir.

    set(key, value) stores JSON-compatible data; get(key, default=None) returns it, or default when
    missing. Cache files are untrusted (shared volume): get() never runs code or builds arbitrary objects
    from them, and an invalid file counts as a miss.
    """

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir

    def _path(self, key: str) -> str:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return os.path.join(self.cache_dir, digest + ".json")

    def set(self, key: str, value) -> None:
        import json

        path = self._path(key)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"key": key, "value": value}, f)
        os.replace(tmp, path)  # atomic, so readers never see half a file

    def get(self, key: str, default=None):
        import json

        # JSON can only ever produce dicts, lists, strings, numbers, booleans and None.
        try:
            with open(self._path(key), encoding="utf-8") as f:
                entry = json.load(f)
        except (OSError, ValueError):
            return default
        if not isinstance(entry, dict) or entry.get("key") != key or "value" not in entry:
            return default
        return entry["value"]
