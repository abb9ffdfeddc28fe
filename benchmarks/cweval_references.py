"""Measurement: CWEval's reference solutions through treeplay's CWEval runner, per language.

Every task under ``--data`` (a CWEval ``benchmark`` folder, or any folder below it) is imported with treeplay's
importer; every task that has a test module runs its reference solution (the whole task file) against it in the
sandbox, as a candidate would. Per language it reports: task files, tasks with a test module, tasks run, tasks
whose reference passes every functionality test and every security test, and the tasks reported unsupported,
with the reason (a Go package that is not installed here, a language without a runner). A failing reference is
listed with its first error: with a sound runner and environment there should be none.

    .venv/bin/python benchmarks/cweval_references.py --data PATH/benchmark            # a table
    .venv/bin/python benchmarks/cweval_references.py --data PATH/benchmark --json     # one JSON object

The last line is ``RESULT cweval_references tasks=<n> run=<n> func=<n> sec=<n> unsupported=<n>``. The same
programs can be run with the command line: ``treeplay data import --format cweval PATH -o tasks.jsonl`` and then
``treeplay test tasks.jsonl`` (references are its default candidates).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from treeplay.data.cweval import import_cweval  # noqa: E402
from treeplay.oracles.cweval_runner import run_cweval_tests  # noqa: E402
from treeplay.oracles.native import TestOutcome  # noqa: E402
from treeplay.oracles.sandbox import Sandbox  # noqa: E402
from treeplay.records import Task  # noqa: E402


def measure(tasks: Sequence[Task], sandbox: Sandbox, workers: int) -> dict[str, dict]:
    """Per language: counts, plus the unsupported and failing tasks with their first error."""
    runnable = [t for t in tasks if t.tests is not None]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(lambda t: run_cweval_tests(t.tests, t.language, t.golden, sandbox=sandbox),
                                 runnable))
    by_id: dict[str, TestOutcome] = {t.id: o for t, o in zip(runnable, outcomes, strict=True)}
    report: dict[str, dict] = {}
    for task in tasks:
        row = report.setdefault(task.language, {"tasks": 0, "with_tests": 0, "run": 0, "pass_func": 0,
                                                "pass_sec": 0, "pass_both": 0, "unsupported": {}, "failed": {}})
        row["tasks"] += 1
        out = by_id.get(task.id)
        if out is None:
            continue
        row["with_tests"] += 1
        if not out.supported:
            row["unsupported"][task.id] = out.error
            continue
        row["run"] += 1
        row["pass_func"] += out.functional is not False
        row["pass_sec"] += out.secure_tests is not False
        row["pass_both"] += out.functional is not False and out.secure_tests is not False
        if out.functional is False or out.secure_tests is False:
            row["failed"][task.id] = out.error
    return report


def print_table(report: dict[str, dict]) -> None:
    """One line per language, then the unsupported and failing tasks."""
    print(f"{'language':<11}{'tasks':>6}{'tests':>7}{'run':>5}{'func':>6}{'sec':>5}{'both':>6}{'unsupp':>8}")
    for lang, row in sorted(report.items()):
        print(f"{lang:<11}{row['tasks']:>6}{row['with_tests']:>7}{row['run']:>5}{row['pass_func']:>6}"
              f"{row['pass_sec']:>5}{row['pass_both']:>6}{len(row['unsupported']):>8}")
    for _lang, row in sorted(report.items()):
        for kind in ("unsupported", "failed"):
            for task_id, error in row[kind].items():
                print(f"  {kind}: {task_id}: {error}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a CWEval benchmark folder (or one below it)")
    parser.add_argument("--workers", type=int, default=2, help="tasks tested at once (default: 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run without bubblewrap (the references are trusted code)")
    args = parser.parse_args(argv)
    tasks = import_cweval(args.data)
    report = measure(tasks, Sandbox(unsafe_no_sandbox=args.unsafe_no_sandbox), args.workers)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_table(report)
    totals = {k: sum(row[k] if isinstance(row[k], int) else len(row[k]) for row in report.values())
              for k in ("tasks", "run", "pass_func", "pass_sec", "unsupported")}
    print(f"RESULT cweval_references tasks={totals['tasks']} run={totals['run']} func={totals['pass_func']} "
          f"sec={totals['pass_sec']} unsupported={totals['unsupported']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
