"""Benchmark: static analyzers batched (one call per analyzer for all files) vs one analyzer call per file.

Same run, same files: a fixed sample of the builtin set's secure and vulnerable programs (every language), scored
by bandit, semgrep (CodeShield's rules + treeplay's), cppcheck and flawfinder, one analyzer after the other and
semgrep with ``--jobs 1`` (DESIGN section 6: one thread). Repeats are interleaved (batched, per-file, batched,
...) and the median is reported. The batched and per-file findings are compared: they must be identical.

Also measured: the cache-hit path (``scan_programs`` with a warm finding cache: no analyzer starts) against a
cold batched scan of the same files, and batched throughput on the whole builtin set.

    .venv/bin/python benchmarks/bench_oracles.py            # 40 files, 2 repeats (about 6 minutes)
    .venv/bin/python benchmarks/bench_oracles.py --quick    # 5 files, 1 repeat (under a minute)

Writes benchmarks/results/bench_oracles.json; the last line is
``RESULT bench_oracles ratio=<batched vs per-file speed-up> cache_ratio=<cold vs cache hit> files=<n>``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from treeplay.data.builtin import load_builtin  # noqa: E402
from treeplay.oracles.bandit import BanditOracle  # noqa: E402
from treeplay.oracles.base import Oracle, Program  # noqa: E402
from treeplay.oracles.cache import FindingCache  # noqa: E402
from treeplay.oracles.cppcheck import CppcheckOracle  # noqa: E402
from treeplay.oracles.flawfinder import FlawfinderOracle  # noqa: E402
from treeplay.oracles.semgrep import SemgrepOracle  # noqa: E402
from treeplay.oracles.static import scan_programs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bench_oracles.json"


def builtin_programs() -> list[Program]:
    """Every secure reference and vulnerable variant of the builtin set."""
    progs = []
    for task in load_builtin():
        progs.append(Program(f"{task.id}/secure", task.language, task.golden or ""))
        progs += [Program(f"{task.id}/vulnerable{i}", task.language, v) for i, v in enumerate(task.vulnerable)]
    return progs


def sample(programs: Sequence[Program], n: int) -> list[Program]:
    """n programs spread over the languages (round-robin), deterministic."""
    by_lang: dict[str, list[Program]] = {}
    for p in programs:
        by_lang.setdefault(p.language, []).append(p)
    out: list[Program] = []
    while len(out) < n and any(by_lang.values()):
        for lang in sorted(by_lang):
            if by_lang[lang] and len(out) < n:
                out.append(by_lang[lang].pop(0))
    return out


def analyzers() -> list[Oracle]:
    """The default analyzers, each reporting every severity, semgrep on one thread."""
    return [BanditOracle(severity="low"), SemgrepOracle(jobs=1), CppcheckOracle(), FlawfinderOracle()]


def run_batched(oracles: Sequence[Oracle], progs: Sequence[Program]) -> tuple[float, dict]:
    start = time.perf_counter()
    found: dict = {}
    for oracle in oracles:
        mine = [p for p in progs if p.language in oracle.languages]
        if mine:
            for key, findings in oracle.scan(mine).items():
                found.setdefault(key, []).extend(findings)
    return time.perf_counter() - start, found


def run_per_file(oracles: Sequence[Oracle], progs: Sequence[Program]) -> tuple[float, dict]:
    start = time.perf_counter()
    found: dict = {}
    for oracle in oracles:
        for prog in progs:
            if prog.language in oracle.languages:
                found.setdefault(prog.key, []).extend(oracle.scan([prog])[prog.key])
    return time.perf_counter() - start, found


def cache_path(progs: Sequence[Program], repeats: int) -> tuple[float, float]:
    """(median cold scan_programs seconds, median cache-hit seconds) on the same files."""
    with tempfile.TemporaryDirectory(prefix="treeplay-bench-cache-") as tmp:
        cache = FindingCache(tmp)
        oracles = {o.name: o for o in analyzers()}
        cold, hit = [], []
        for _ in range(repeats):
            cache.clear()
            start = time.perf_counter()
            first = scan_programs(progs, severity="low", cache=cache, oracles=oracles)
            cold.append(time.perf_counter() - start)
            start = time.perf_counter()
            again = scan_programs(progs, severity="low", cache=cache, oracles=oracles)
            hit.append(time.perf_counter() - start)
            assert again == first, "cache returned different findings"
    return statistics.median(cold), statistics.median(hit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 files, 1 repeat (under a minute)")
    parser.add_argument("--files", type=int, help="programs in the compared sample (default 40, quick 5)")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (default 2, quick 1)")
    args = parser.parse_args(argv)
    n = args.files or (5 if args.quick else 40)
    repeats = args.repeats or (1 if args.quick else 2)
    everything = builtin_programs()
    progs = sample(everything, n)
    oracles = analyzers()
    versions = {o.name: o.version() for o in oracles}  # start-up costs that both modes share, paid once here

    # Untimed warm-up: the first scan of a session pays one-time costs (semgrep compiling its rules, files
    # entering the page cache) that neither mode should be charged for.
    run_batched(oracles, progs)
    batched, per_file, identical = [], [], True
    for _ in range(repeats):
        t, found_b = run_batched(oracles, progs)
        batched.append(t)
        t, found_f = run_per_file(oracles, progs)
        per_file.append(t)
        identical &= all(sorted(found_b.get(p.key, []), key=repr) == sorted(found_f.get(p.key, []), key=repr)
                         for p in progs)
    t_b, t_f = statistics.median(batched), statistics.median(per_file)
    cold, hit = cache_path(progs, repeats)
    t_all, _ = run_batched(oracles, everything)

    result = {
        "files": len(progs), "languages": sorted({p.language for p in progs}), "repeats": repeats,
        "analyzers": versions, "batched_s": batched, "per_file_s": per_file,
        "batched_programs_per_s": len(progs) / t_b, "per_file_programs_per_s": len(progs) / t_f,
        "ratio": t_f / t_b, "identical_findings": identical,
        "cache_cold_s": cold, "cache_hit_s": hit, "cache_ratio": cold / hit,
        "all_builtin_programs": len(everything), "all_builtin_batched_s": t_all,
        "all_builtin_programs_per_s": len(everything) / t_all,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, RESULTS)
    print(f"{len(progs)} files x {repeats} repeats: batched {t_b:.2f} s ({len(progs) / t_b:.2f} programs/s), "
          f"per file {t_f:.2f} s ({len(progs) / t_f:.3f} programs/s), identical findings: {identical}")
    print(f"cache: cold {cold:.2f} s, hit {hit * 1000:.1f} ms; whole builtin set ({len(everything)} programs) "
          f"batched in {t_all:.2f} s = {len(everything) / t_all:.1f} programs/s")
    print(f"RESULT bench_oracles ratio={t_f / t_b:.1f} cache_ratio={cold / hit:.0f} files={len(progs)}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
