"""The ``treeplay test`` and ``treeplay score`` commands: parser builders and handlers (wired in ``cli.py``).

``treeplay test TASKS`` runs the executable tests of a task file against its reference programs (the secure
golden path, or each vulnerable variant) or against a candidates file, and prints a table or JSON.
``treeplay score TASKS CANDIDATES -o verdicts.jsonl`` writes one Verdict per candidate (analyzers and tests),
appending as it goes; a re-run skips the candidates already in the output, so it never duplicates a verdict.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from treeplay.cli_args import count, output_file, seconds
from treeplay.errors import DataError, UsageError
from treeplay.oracles.base import SEVERITIES
from treeplay.records import Candidate, Task, Verdict, append_jsonl, load_jsonl, resume_jsonl

if TYPE_CHECKING:
    from treeplay.oracles.sandbox import Sandbox

_RESULT_KEYS = ("task_id", "candidate_id", "parsed", "functional", "secure_tests", "timed_out", "error")


# ------------------------------------------------------------------------------------------------ parsers


def add_test_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """``treeplay test``: run a task file's functional and security tests in the sandbox."""
    p = subparsers.add_parser(
        "test", help="run a task file's functional and security tests in the sandbox",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the executable tests of the tasks in TASKS (tasks.jsonl) against their reference "
                    "programs (--reference, default: secure) or against a candidates file. Tasks without "
                    "tests are skipped.",
        epilog="examples:\n"
               "  treeplay test eval/seccodeplt-dev.jsonl --reference vulnerable --json\n"
               "  treeplay test runs/x/tasks.jsonl --candidates generations.jsonl --workers 4")
    p.add_argument("tasks", type=Path, metavar="TASKS", help="tasks.jsonl")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--candidates", type=Path, metavar="FILE",
                       help='JSONL of candidates {"task_id", "completion", "candidate_id"}')
    which.add_argument("--reference", choices=("secure", "vulnerable"),
                       help="test the golden program (secure, the default) or every vulnerable variant")
    p.add_argument("--json", action="store_true",
                   help='print a JSON list: {"task_id", "candidate_id", "parsed", "functional", "secure_tests", '
                        '"timed_out", "error"} per program (null: the task has no such tests)')
    _add_run_options(p)
    p.set_defaults(func=run_test_command)
    return p


def add_score_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """``treeplay score``: write a Verdict per candidate (static analyzers plus sandboxed tests)."""
    p = subparsers.add_parser(
        "score", help="score candidates with analyzers and sandboxed tests",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Judge every candidate (task prefix + completion): does it parse, what the static analyzers "
                    "find, and whether its functional and security tests pass. Verdicts are appended to the "
                    "output as they are ready; a re-run skips the candidates already there.",
        epilog="examples:\n  treeplay score runs/x/tasks.jsonl runs/x/candidates.jsonl -o runs/x/verdicts.jsonl "
               "--analyzers bandit semgrep\n  treeplay score runs/x/tasks.jsonl --trees runs/x/iter_1/trees.jsonl "
               "-o runs/x/iter_1/verdicts.jsonl")
    p.add_argument("tasks", type=Path, metavar="TASKS", help="tasks.jsonl")
    p.add_argument("candidates", type=Path, metavar="CANDIDATES", nargs="?",
                   help='JSONL of candidates {"task_id", "completion", "candidate_id"}')
    p.add_argument("--trees", type=Path, metavar="TREES",
                   help="score the leaves (branches) of a trees.jsonl instead of a candidates file; candidate ids "
                        "are <task_id>/n<node>/b<branch>, as `treeplay pairs --mode verified` expects")
    p.add_argument("-o", "--output", type=output_file("-o"), required=True,
                   help="verdicts.jsonl to write (appended, resumable)")
    p.add_argument("--analyzers", nargs="+", metavar="NAME",
                   help="static analyzers (bandit semgrep cppcheck flawfinder codeql; default: all but codeql; "
                        "'none' for no static analysis)")
    p.add_argument("--severity", choices=SEVERITIES, default="medium",
                   help="lowest finding severity that makes a program insecure (default: medium)")
    p.add_argument("--no-tests", action="store_true", help="static analysis only; run no tests")
    _add_run_options(p)
    p.set_defaults(func=run_score_command)
    return p


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=count("--workers"), default=2, metavar="N",
                   help="programs tested at once (default: 2)")
    p.add_argument("--timeout", type=seconds("--timeout"), metavar="S",
                   help="wall-clock seconds for one program's tests (default: each runner's own)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run tests WITHOUT the sandbox (only for code you trust, such as reference solutions)")


# ----------------------------------------------------------------------------------------------- handlers


def run_test_command(args: argparse.Namespace) -> int:
    """Handler of ``treeplay test``."""
    from treeplay.oracles.verdict import score_candidates

    tasks = _load_tasks(args.tasks)
    with_tests = {tid: t for tid, t in tasks.items() if t.tests is not None}
    if args.candidates is not None:
        candidates = load_candidates(args.candidates)
        _check_tasks(candidates, tasks, args.candidates)
        candidates = [c for c in candidates if c.task_id in with_tests]
    else:
        candidates = reference_candidates(with_tests.values(), args.reference or "secure")
    skipped = len(tasks) - len(with_tests)
    verdicts = score_candidates(with_tests, candidates, sandbox=_sandbox(args, run_tests=True), analyzers=(),
                                workers=args.workers, timeout=args.timeout, progress=sys.stderr.isatty())
    rows = [{k: getattr(v, k) for k in _RESULT_KEYS} for v in verdicts]
    if args.json:
        print(json.dumps(rows, indent=1))
        if skipped:
            print(f"treeplay: {skipped} task(s) without tests skipped", file=sys.stderr)
        return 0
    _print_table(rows)
    print()
    print(summary(verdicts, skipped_tasks=skipped))
    return 0


def run_score_command(args: argparse.Namespace) -> int:
    """Handler of ``treeplay score``."""
    from treeplay.oracles.verdict import is_functional, is_secure, score_candidates

    tasks = _load_tasks(args.tasks)
    if (args.candidates is None) == (args.trees is None):
        raise UsageError("give either a CANDIDATES file or --trees TREES", fix="see `treeplay score --help`")
    if args.trees is not None:
        from treeplay.records import Tree, load_jsonl
        from treeplay.tree.leaves import leaves

        candidates = leaves(load_jsonl(args.trees, Tree), tasks)
    else:
        candidates = load_candidates(args.candidates)
    _check_tasks(candidates, tasks, args.candidates or args.trees)
    done = scored_ids(args.output)
    todo = [c for c in candidates if c.candidate_id not in done]
    if not todo:
        print(f"all {len(candidates)} candidate(s) are already scored in {args.output}")
        return 0
    analyzers = _analyzers(args.analyzers)
    run_tests = not args.no_tests
    sandbox = _sandbox(args, run_tests=run_tests)
    verdicts = score_candidates(tasks, todo, sandbox=sandbox, analyzers=analyzers, severity=args.severity,
                                run_tests=run_tests, workers=args.workers, timeout=args.timeout,
                                progress=sys.stderr.isatty(), on_verdict=lambda v: append_jsonl(args.output, v))
    secure = sum(is_secure(v, args.severity) for v in verdicts)
    functional = [f for f in (is_functional(v) for v in verdicts) if f is not None]
    print(f"scored {len(verdicts)} candidate(s) into {args.output}"
          f" ({len(candidates) - len(todo)} already there): parsed {sum(v.parsed for v in verdicts)}, "
          f"secure {secure}, functional {sum(functional)}/{len(functional)} with functional tests")
    return 0


# ---------------------------------------------------------------------------------------- shared pieces


def load_candidates(path: Path) -> list[Candidate]:
    """Candidates of a JSONL file, each with an id (``<task_id>#<n>``, n counting that task's candidates in the
    file, when the record has none); a repeated id is a DataError."""
    out: list[Candidate] = []
    seen: set[str] = set()
    per_task: dict[str, int] = {}
    for number, cand in enumerate(load_jsonl(path, Candidate), start=1):
        n = per_task.get(cand.task_id, 0)
        per_task[cand.task_id] = n + 1
        if not cand.candidate_id:
            cand = dataclasses.replace(cand, candidate_id=f"{cand.task_id}#{n}")
        if cand.candidate_id in seen:
            raise DataError(f"candidate_id {cand.candidate_id!r} appears twice (record {number})", file=path,
                            fix="give every candidate a unique candidate_id")
        seen.add(cand.candidate_id)
        out.append(cand)
    return out


def reference_candidates(tasks: Iterable[Task], which: str) -> list[Candidate]:
    """The tasks' own programs as candidates: the golden path (``secure``) or every vulnerable variant."""
    out = []
    for task in tasks:
        programs = ([task.golden] if task.golden is not None else []) if which == "secure" else list(task.vulnerable)
        for n, program in enumerate(programs):
            if not program.startswith(task.prefix):
                raise DataError(f"task {task.id}: its {which} program does not start with its prefix",
                                fix="a Task's golden and vulnerable programs are whole programs after the prefix")
            suffix = which if which == "secure" else f"{which}/{n}"
            out.append(Candidate(task_id=task.id, completion=program[len(task.prefix):],
                                 candidate_id=f"{task.id}/{suffix}"))
    return out


def scored_ids(path: Path) -> set[str]:
    """Candidate ids already in a verdicts file. A torn last line (a crash mid-write) is cut off, but only once
    every complete line has been read as a Verdict: a wrong -o is reported, never truncated."""
    try:
        return {v.candidate_id for v in resume_jsonl(path, Verdict)}
    except DataError as err:
        err.fix = "this is not a verdicts file written by treeplay score; pick another -o"
        raise


def summary(verdicts: Sequence[Verdict], *, skipped_tasks: int = 0) -> str:
    """Counts: programs, parsed, functional and security test outcomes, timeouts, errors."""
    def counts(field: str) -> str:
        values = [getattr(v, field) for v in verdicts]
        return (f"{values.count(True)} pass, {values.count(False)} fail, "
                f"{sum(x is None for x in values)} without such tests")

    tasks = len({v.task_id for v in verdicts})
    lines = [f"programs: {len(verdicts)} on {tasks} task(s)"
             + (f" ({skipped_tasks} task(s) without tests skipped)" if skipped_tasks else ""),
             f"parsed: {sum(v.parsed for v in verdicts)}",
             f"functional tests: {counts('functional')}",
             f"security tests: {counts('secure_tests')}",
             f"timed out: {sum(v.timed_out for v in verdicts)}"]
    return "\n".join(lines)


def _print_table(rows: Sequence[dict]) -> None:
    def mark(value: bool | None) -> str:
        return "-" if value is None else ("pass" if value else "FAIL")

    width = max([len("candidate"), *(len(r["candidate_id"]) for r in rows)])
    print(f"{'candidate':<{width}}  parsed  functional  security  timeout  error")
    for r in rows:
        error = (r["error"] or "").replace("\n", " ")
        error = error if len(error) <= 70 else error[:67] + "..."
        print(f"{r['candidate_id']:<{width}}  {'yes' if r['parsed'] else 'NO':<6}  {mark(r['functional']):<10}  "
              f"{mark(r['secure_tests']):<8}  {'yes' if r['timed_out'] else '':<7}  {error}")


def _load_tasks(path: Path) -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    for task in load_jsonl(path, Task):
        if task.id in tasks:
            raise DataError(f"task id {task.id!r} appears twice", file=path, fix="task ids must be unique")
        tasks[task.id] = task
    return tasks


def _check_tasks(candidates: Sequence[Candidate], tasks: dict[str, Task], path: Path) -> None:
    unknown = sorted({c.task_id for c in candidates} - set(tasks))
    if unknown:
        raise DataError(f"{len(unknown)} task id(s) are not in the task file, e.g. {unknown[0]!r}", file=path,
                        fix="pass the tasks.jsonl these candidates were generated for")


def _analyzers(names: Sequence[str] | None) -> tuple[str, ...] | None:
    if names is None:
        return None
    parts = [n.strip() for name in names for n in name.split(",") if n.strip()]
    if parts == ["none"]:
        return ()
    from treeplay.oracles.static import ANALYZERS

    unknown = [p for p in parts if p not in ANALYZERS]
    if unknown:
        raise UsageError(f"unknown analyzer {unknown[0]!r}",
                         fix=f"choose from {', '.join(ANALYZERS)}, or 'none' for no static analysis")
    return tuple(parts)


def _sandbox(args: argparse.Namespace, *, run_tests: bool) -> Sandbox | None:
    from treeplay.oracles.sandbox import Limits, Sandbox

    if not run_tests:
        return None
    limits = Limits()
    if args.timeout is not None:
        limits = dataclasses.replace(limits, wall_seconds=args.timeout,
                                     cpu_seconds=max(limits.cpu_seconds, int(args.timeout) + 1))
    return Sandbox(limits, unsafe_no_sandbox=args.unsafe_no_sandbox)
