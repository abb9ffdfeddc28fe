"""The finding cache: re-scans start nothing, keys change with what matters, many processes can share it."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from treeplay.errors import ToolMissingError
from treeplay.oracles import proc
from treeplay.oracles.base import FakeOracle, Program
from treeplay.oracles.cache import FILENAME, FindingCache, cache_dir, cache_key
from treeplay.oracles.static import scan_programs
from treeplay.records import Finding

SHELL = "import subprocess\nsubprocess.call(x, shell=True)\n"
PROGS = [Program("a", "python", SHELL), Program("b", "python", "x = 1\n"), Program("c", "python", SHELL)]


def test_rescan_starts_no_analyzer(tmp_path):
    cache = FindingCache(tmp_path)
    first = FakeOracle({"CWE-78": r"shell=True"}, name="fake")
    before = scan_programs(PROGS, analyzers=["fake"], cache=cache, oracles={"fake": first})
    again = FakeOracle({"CWE-78": r"shell=True"}, name="fake")  # a fresh instance, as in a new process
    after = scan_programs(PROGS, analyzers=["fake"], cache=cache, oracles={"fake": again})
    assert after == before and first.calls == 1 and again.calls == 0


@pytest.mark.tools
def test_rescan_with_real_bandit_starts_no_process(tmp_path, monkeypatch):
    from treeplay.oracles.bandit import BanditOracle

    try:
        BanditOracle().version()
    except ToolMissingError as err:
        pytest.skip(str(err))
    cache = FindingCache(tmp_path)
    before = scan_programs(PROGS, analyzers=["bandit"], cache=cache)

    def no_process(argv, **kwargs):
        raise AssertionError(f"started {argv}")

    monkeypatch.setattr(proc, "run", no_process)
    assert scan_programs(PROGS, analyzers=["bandit"], cache=cache) == before
    assert any(f.cwe == "CWE-78" for f in before["a"])


def test_identical_code_under_two_keys_is_scanned_once(tmp_path):
    seen = []

    class Counting(FakeOracle):
        def scan(self, programs):
            seen.extend(p.key for p in programs)
            return super().scan(programs)

    found = scan_programs(PROGS, analyzers=["f"], cache=FindingCache(tmp_path), oracles={"f": Counting({})})
    assert sorted(seen) in (["a", "b"], ["b", "c"]) and set(found) == {"a", "b", "c"}


def test_cache_key_changes_with_tool_version_language_and_code():
    base = cache_key("bandit", "1.9.4", "python", "x = 1")
    others = [cache_key("semgrep", "1.9.4", "python", "x = 1"), cache_key("bandit", "1.9.5", "python", "x = 1"),
              cache_key("bandit", "1.9.4", "c", "x = 1"), cache_key("bandit", "1.9.4", "python", "x = 2")]
    assert base == cache_key("bandit", "1.9.4", "python", "x = 1") and base not in others
    assert len(set(others)) == 4


def test_cache_dir_prefers_parameter_then_env_then_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir(tmp_path / "param") == tmp_path / "param"
    assert cache_dir() == tmp_path / "env"
    monkeypatch.delenv("TREEPLAY_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "treeplay"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "treeplay"


def test_empty_result_is_cached_as_clean(tmp_path):
    cache = FindingCache(tmp_path)
    cache.put_many({"k": []})
    assert cache.get_many(["k", "missing"]) == {"k": ()} and len(cache) == 1


def test_corrupt_cache_file_is_set_aside_and_replaced(tmp_path):
    (tmp_path / FILENAME).write_bytes(b"this is not sqlite" * 100)
    cache = FindingCache(tmp_path)
    cache.put_many({"k": [Finding("t", "r", "CWE-1", 1, "low", "m")]})
    assert cache.get_many(["k"])["k"][0].rule == "r"
    assert list(tmp_path.glob(f"{FILENAME}.corrupt-*"))


def _writer(folder: str, worker: int, out: multiprocessing.Queue) -> None:
    try:
        cache = FindingCache(folder)
        for i in range(40):
            # overlapping keys: every worker writes k0..k39, each with its own finding
            cache.put_many({f"k{i}": [Finding(f"w{worker}", "r", None, i + 1, "low", "m")]})
            cache.get_many([f"k{i}", f"k{(i + 7) % 40}"])
        out.put(None)
    except BaseException as err:  # reported to the parent, which fails the test
        out.put(repr(err))


def test_concurrent_processes_share_the_cache_safely(tmp_path):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(str(tmp_path), w, out)) for w in range(4)]
    for w in workers:
        w.start()
    errors = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert errors == [None] * 4
    cache = FindingCache(tmp_path)
    got = cache.get_many([f"k{i}" for i in range(40)])
    assert len(cache) == 40 and all(len(v) == 1 and v[0].line == int(k[1:]) + 1 for k, v in got.items())


def test_unusable_user_cache_degrades_to_scanning_without_it(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("TREEPLAY_CACHE_DIR", str(blocker))
    fake = FakeOracle({"CWE-78": r"shell=True"}, name="fake")
    with pytest.warns(UserWarning, match="cache unavailable"):
        found = scan_programs(PROGS, analyzers=["fake"], oracles={"fake": fake})
    assert len(found["a"]) == 1 and fake.calls == 1
