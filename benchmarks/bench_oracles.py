"""Benchmark: static analyzers batched (one call per analyzer for all files) vs one analyzer call per file.

Same run, same files: a fixed sample of the builtin set's secure and vulnerable programs (every language), scored
by bandit, semgrep (CodeShield's rules + treeplay's), cppcheck and flawfinder, one analyzer after the other and
semgrep with ``--jobs 1`` (DESIGN section 6: one thread). Repeats are interleaved (batched, per-file, batched,
...) and the median is reported. The batched and per-file findings are compared: they must be identical.

Also measured: the cache-hit path (``scan_programs`` with a warm finding cache: no analyzer starts) against a
cold batched scan of the same files, and batched throughput on the whole builtin set.

``--programs N`` measures instead what scoring a tree's branches costs: N branch-sized programs (tens of lines)
scored cold (``cache=None``) by ``scan_programs`` with the default analyzers and their default settings, exactly
as scoring calls it. The programs are the builtin set's secure and vulnerable programs taken in turn, in a fixed
shuffled order (so any N has the set's mix: about 72% Python, 14% JavaScript, 14% C), each made distinct by a
small helper function appended at its end, named and numbered after the program's index (``_branch_<i>``): no
two programs are equal, so no cache or de-duplication can serve one from another. The helper is plain arithmetic
that no analyzer flags, and the lines above it keep their numbers. Reported: the median wall time of the whole
scan (analyzers in parallel threads, as ``scan_programs`` runs them) and the CPU seconds it used, programs/s,
and for each analyzer its own ``scan`` of its programs timed alone, beside its scan of one program (start-up:
what a call costs whatever the batch) and the per-program cost derived from the two. The findings of every
repeat must be equal; their digest is printed (compare it across code versions; ``--findings FILE`` writes them
out).

    .venv/bin/python benchmarks/bench_oracles.py            # 40 files, 2 repeats (about 3 minutes)
    .venv/bin/python benchmarks/bench_oracles.py --quick    # 5 files, 1 repeat (under a minute)
    .venv/bin/python benchmarks/bench_oracles.py --programs 1000   # 1,000 branches, 3 repeats (about 2 minutes)

Writes benchmarks/results/bench_oracles.json (``--programs``: bench_oracles_programs.json); the last line is
``RESULT bench_oracles ratio=<batched vs per-file speed-up> cache_ratio=<cold vs cache hit> files=<n>
programs_per_s=<batched>``, or with ``--programs``
``RESULT bench_oracles programs=<n> seconds=<median wall> programs_per_s=<n / seconds> findings=<digest>``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from treeplay.data.builtin import load_builtin  # noqa: E402
from treeplay.oracles.bandit import BanditOracle  # noqa: E402
from treeplay.oracles.base import DEFAULT_ANALYZERS, Oracle, Program, as_module  # noqa: E402
from treeplay.oracles.cache import FindingCache  # noqa: E402
from treeplay.oracles.cppcheck import CppcheckOracle  # noqa: E402
from treeplay.oracles.flawfinder import FlawfinderOracle  # noqa: E402
from treeplay.oracles.semgrep import SemgrepOracle  # noqa: E402
from treeplay.oracles.static import make_oracle, scan_programs  # noqa: E402
from treeplay.records import Finding, write_text_atomic  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bench_oracles.json"
PROGRAMS_RESULTS = RESULTS.with_name("bench_oracles_programs.json")


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


# ------------------------------------------------------------------------------ --programs: scoring branches

# A helper appended to each program, numbered by its index: plain arithmetic no analyzer flags.
_BRANCH_TAIL = {
    "python": "\n\ndef _branch_{i}(value):\n    return value + {i}\n",
    "javascript": "\nfunction _branch_{i}(value) {{\n  return value + {i};\n}}\n",
    "c": "\nint _branch_{i}(int value) {{\n  return value + {i};\n}}\n",
    "cpp": "\nint _branch_{i}(int value) {{\n  return value + {i};\n}}\n",
}


def branch_programs(n: int) -> list[Program]:
    """n distinct branch-sized programs: the builtin programs in turn, each with its own numbered helper."""
    base = [p for p in builtin_programs() if p.language in _BRANCH_TAIL]
    random.Random(0).shuffle(base)  # any n gets the set's mix of languages
    out = []
    for i in range(n):
        prog = base[i % len(base)]
        code = prog.code.rstrip("\n") + "\n" + _BRANCH_TAIL[prog.language].format(i=i)
        out.append(Program(f"{prog.key}#{i}", prog.language, code))
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the analyzers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(fn, *args, **kwargs):
    """(wall seconds, CPU seconds, value) of ``fn(*args, **kwargs)``."""
    wall, cpu = time.perf_counter(), _cpu()
    value = fn(*args, **kwargs)
    return time.perf_counter() - wall, _cpu() - cpu, value


def findings_digest(found: dict[str, Sequence[Finding]]) -> str:
    rows = sorted((key, [repr(f) for f in sorted(fs, key=repr)]) for key, fs in found.items())
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def run_programs(n: int, repeats: int, findings_out: Path | None) -> int:
    """Score n branches cold as scoring does; time the whole scan and each analyzer alone."""
    progs = branch_programs(n)
    assert len({p.code for p in progs}) == n, "programs must be distinct"
    # What scan_programs hands each analyzer (a Python program indented as a whole loses its margin).
    ready = [Program(p.key, p.language, as_module(p.language, p.code)) for p in progs]
    oracles = {}
    for name in DEFAULT_ANALYZERS:
        oracle = make_oracle(name)
        mine = [p for p in ready if p.language in oracle.languages]
        if mine:
            oracle.version()  # found and versioned once, as a scoring process does on its first batch
            oracles[name] = (oracle, mine)
    # severity low: every finding is compared (the threshold only filters after the scan)
    scan_programs(progs[:20], severity="low", cache=None)  # untimed warm-up: page cache, rule files written
    walls, cpus, digests, alone = [], [], [], {name: [] for name in oracles}
    single = {name: [] for name in oracles}
    found: dict = {}
    for _ in range(repeats):
        wall, cpu, again = _timed(scan_programs, progs, severity="low", cache=None)
        walls.append(wall)
        cpus.append(cpu)
        digests.append(findings_digest(again))
        for key in sorted(k for k in again if found and set(again[k]) != set(found[k]))[:5]:
            print(f"findings of {key} changed between repeats:\n  was {sorted(found[key], key=repr)}\n"
                  f"  now {sorted(again[key], key=repr)}")
        found = found or again
        for name, (oracle, mine) in oracles.items():
            alone[name].append(_timed(oracle.scan, mine)[:2])
            single[name].append(_timed(oracle.scan, mine[:1])[:2])
    same = len(set(digests)) == 1
    t = statistics.median(walls)
    per_analyzer = {}
    for name, (_, mine) in oracles.items():
        t_all = statistics.median(w for w, _ in alone[name])
        t_one = statistics.median(w for w, _ in single[name])
        per_analyzer[name] = {
            "programs": len(mine), "seconds": t_all, "cpu_s": statistics.median(c for _, c in alone[name]),
            "one_program_s": t_one,
            "per_program_ms": max(0.0, t_all - t_one) / max(1, len(mine) - 1) * 1000,
            "seconds_all": [w for w, _ in alone[name]],
        }
    result = {
        "programs": n, "languages": {lang: sum(p.language == lang for p in progs) for lang in sorted(_BRANCH_TAIL)},
        "mean_lines": statistics.mean(p.code.count("\n") + 1 for p in progs), "repeats": repeats,
        "analyzers": {name: oracle.version() for name, (oracle, _) in oracles.items()},
        "seconds": t, "seconds_all": walls, "cpu_s": statistics.median(cpus), "cpu_s_all": cpus,
        "programs_per_s": n / t, "per_analyzer": per_analyzer,
        "findings": sum(len(f) for f in found.values()), "findings_digest": digests[0], "same_findings": same,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    write_text_atomic(PROGRAMS_RESULTS, json.dumps(result, indent=2) + "\n")
    if findings_out is not None:
        findings_out.write_text(json.dumps({k: [repr(f) for f in v] for k, v in sorted(found.items())}, indent=1))
    langs = ", ".join(f"{lang} {count}" for lang, count in result["languages"].items() if count)
    print(f"{n} programs ({langs}; {result['mean_lines']:.0f} lines on average), {repeats} repeats, cache off")
    print(f"{'analyzer':<18} {'programs':>8} {'alone s':>8} {'cpu s':>7} {'1 program s':>12} {'per program ms':>15}")
    for name, row in per_analyzer.items():
        print(f"{name:<18} {row['programs']:>8} {row['seconds']:>8.2f} {row['cpu_s']:>7.2f} "
              f"{row['one_program_s']:>12.2f} {row['per_program_ms']:>15.2f}")
    print(f"scan_programs (analyzers in parallel): {t:.2f} s wall, {result['cpu_s']:.2f} s CPU "
          f"(repeats: {', '.join(f'{w:.2f}' for w in walls)}) = {n / t:.1f} programs/s; "
          f"{result['findings']} findings, digest {digests[0]}, same in every repeat: {same}")
    print(f"RESULT bench_oracles programs={n} seconds={t:.2f} programs_per_s={n / t:.1f} findings={digests[0]}")
    return 0 if same else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 files, 1 repeat (under a minute)")
    parser.add_argument("--files", type=int, help="programs in the compared sample (default 40, quick 5)")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (default 2, quick 1; --programs: 3)")
    parser.add_argument("--programs", type=int, metavar="N",
                        help="instead: score N distinct branch-sized programs cold, as scoring does")
    parser.add_argument("--findings", type=Path, metavar="FILE", help="with --programs: write the findings here")
    args = parser.parse_args(argv)
    if args.programs:
        return run_programs(args.programs, args.repeats or 3, args.findings)
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
    write_text_atomic(RESULTS, json.dumps(result, indent=2) + "\n")
    print(f"{len(progs)} files x {repeats} repeats: batched {t_b:.2f} s ({len(progs) / t_b:.2f} programs/s), "
          f"per file {t_f:.2f} s ({len(progs) / t_f:.3f} programs/s), identical findings: {identical}")
    print(f"cache: cold {cold:.2f} s, hit {hit * 1000:.1f} ms; whole builtin set ({len(everything)} programs) "
          f"batched in {t_all:.2f} s = {len(everything) / t_all:.1f} programs/s")
    print(f"RESULT bench_oracles ratio={t_f / t_b:.1f} cache_ratio={cold / hit:.0f} files={len(progs)} "
          f"programs_per_s={len(progs) / t_b:.2f}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
