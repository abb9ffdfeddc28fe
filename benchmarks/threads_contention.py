"""Benchmark: does a run collapse when another run shares the cores?

The same ``treeplay eval`` (the demo's: the embedded model on the 14 held-out builtin tasks, generation and
scoring) is timed three ways, one after the other on an otherwise idle machine:

- ``alone``: by itself;
- ``beside``: while a second, identical eval runs next to it, each process picking its torch threads from the
  cores the other leaves free (the default, ``treeplay.threads``);
- ``beside_all_cores``: the same pair with ``--threads <all cores>`` in both (what every process did before:
  twice as many busy threads as cores).

``ratio`` = beside / alone (target: at most 2.5 on 2 cores, where a fair share is 2); ``ratio_all_cores`` =
beside_all_cores / alone. Writes benchmarks/results/threads_contention.json; the last line is
``RESULT threads_contention ratio=<...> ratio_all_cores=<...> alone_s=<...>``.

    .venv/bin/python benchmarks/threads_contention.py            # about 5 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "threads_contention.json"


def command(out: Path, args: argparse.Namespace, threads: int | None) -> list[str]:
    argv = [sys.executable, "-m", "treeplay"]
    if threads is not None:
        argv += ["--threads", str(threads)]
    return argv + ["eval", "--benchmark", args.benchmark, "--config", str(args.config), "--model", "default",
                   "--no-progress", "--out", str(out)]


def timed(argv: list[str], log: Path) -> float:
    start = time.perf_counter()
    with log.open("w") as handle:
        subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - start


def pair(root: Path, name: str, args: argparse.Namespace, threads: int | None) -> float:
    """Seconds of one eval while an identical eval runs beside it (started first, waited for after)."""
    with (root / f"{name}-other.log").open("w") as handle:
        other = subprocess.Popen(command(root / f"{name}-other", args, threads), stdout=handle,
                                 stderr=subprocess.STDOUT)
        try:
            return timed(command(root / name, args, threads), root / f"{name}.log")
        finally:
            other.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", help="tasks.jsonl to evaluate (default: the 14 held-out builtin tasks)")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "demo.yaml")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.benchmark is None:
            args.benchmark = str(root / "tasks.jsonl")
            subprocess.run([sys.executable, "-m", "treeplay", "data", "builtin", "--split", "test", "-o",
                            args.benchmark], check=True, stdout=subprocess.DEVNULL)
        results = {"cores": cores, "alone_s": round(timed(command(root / "alone", args, None), root / "alone.log"), 1)}
        results["beside_s"] = round(pair(root, "beside", args, None), 1)
        results["beside_all_cores_s"] = round(pair(root, "beside_all", args, cores), 1)
    results["ratio"] = round(results["beside_s"] / results["alone_s"], 2)
    results["ratio_all_cores"] = round(results["beside_all_cores_s"] / results["alone_s"], 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))
    print(f"RESULT threads_contention ratio={results['ratio']:.2f} ratio_all_cores={results['ratio_all_cores']:.2f} "
          f"alone_s={results['alone_s']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
