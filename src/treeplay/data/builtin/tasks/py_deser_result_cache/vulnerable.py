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
        return os.path.join(self.cache_dir, digest + ".pickle")

    def set(self, key: str, value) -> None:
        import pickle

        with open(self._path(key), "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)

    def get(self, key: str, default=None):
        import pickle

        try:
            with open(self._path(key), "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            return default
        except Exception:
            return default  # corrupt entry
