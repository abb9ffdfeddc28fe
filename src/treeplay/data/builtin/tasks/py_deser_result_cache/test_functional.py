import os
import tempfile

from solution import ResultCache


def test_round_trip_of_json_compatible_values():
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache(tmp)
        value = {"rows": [[1, "north", 12.5], [2, "south", None]], "total": 12.5, "complete": True}
        cache.set("report:sales/2024 Q1", value)
        assert cache.get("report:sales/2024 Q1") == value
        cache.set("count", 7)
        assert cache.get("count") == 7


def test_missing_key_returns_default():
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache(tmp)
        assert cache.get("nope") is None
        assert cache.get("nope", default={"empty": True}) == {"empty": True}


def test_values_are_shared_between_instances_and_can_be_replaced():
    with tempfile.TemporaryDirectory() as tmp:
        ResultCache(tmp).set("k", ["old"])
        ResultCache(tmp).set("k", ["new"])
        assert ResultCache(tmp).get("k") == ["new"]


def test_keys_stay_inside_cache_dir_and_do_not_collide():
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = os.path.join(tmp, "cache")
        os.makedirs(cache_dir)
        cache = ResultCache(cache_dir)
        cache.set("../a", 1)
        cache.set("a", 2)
        assert cache.get("../a") == 1 and cache.get("a") == 2
        assert os.listdir(tmp) == ["cache"]


def test_corrupt_file_is_a_miss():
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache(tmp)
        cache.set("k", {"a": 1})
        for name in os.listdir(tmp):
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(b"\x00\xffnot an entry")
        assert cache.get("k", "miss") == "miss"
