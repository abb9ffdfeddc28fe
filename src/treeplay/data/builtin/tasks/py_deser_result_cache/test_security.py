import os
import pickle
import tempfile

from solution import ResultCache


class _CreatesFile:
    """Unpickling this calls open(path, "w"), i.e. runs attacker-chosen code."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


class _MakesSet:
    def __reduce__(self):
        return (set, ([1, 2, 3],))


def _poison_all(cache_dir, payload):
    # another service with write access to the shared volume replaces every cache file
    for name in os.listdir(cache_dir):
        path = os.path.join(cache_dir, name)
        if os.path.isfile(path):
            with open(path, "wb") as f:
                f.write(payload)


def test_poisoned_cache_file_does_not_execute_code():
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = os.path.join(tmp, "cache")
        os.makedirs(cache_dir)
        marker = os.path.join(tmp, "pwned")
        cache = ResultCache(cache_dir)
        cache.set("report", {"total": 1})
        _poison_all(cache_dir, pickle.dumps(_CreatesFile(marker)))
        try:
            cache.get("report")
        except Exception:
            pass
        assert not os.path.exists(marker)


def test_poisoned_cache_file_cannot_construct_objects():
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache(tmp)
        cache.set("report", [1, 2, 3])
        _poison_all(tmp, pickle.dumps(_MakesSet()))
        value = cache.get("report", "miss")
        assert not isinstance(value, set)


def test_protocol_0_pickle_payload_is_a_miss():
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = os.path.join(tmp, "cache")
        os.makedirs(cache_dir)
        marker = os.path.join(tmp, "pwned0")
        cache = ResultCache(cache_dir)
        cache.set("report", "cached")
        _poison_all(cache_dir, pickle.dumps(_CreatesFile(marker), protocol=0))
        assert cache.get("report", "miss") == "miss"
        assert not os.path.exists(marker)
