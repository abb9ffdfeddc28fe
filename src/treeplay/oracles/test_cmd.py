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

from treeplay.cli_args import count, output_file, seconds
from treeplay.errors import DataError, UsageError
from treeplay.oracles.base import SEVERITIES
from treeplay.oracles.scoring import check_tasks, load_candidates, load_tasks
from treeplay.records import Candidate, Task, Verdict

__all__ = ["add_score_parser", "add_test_parser", "load_candidates", "reference_candidates", "summary"]

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
    p.add_argument("--golden", action="store_true",
                   help="with --trees: judge each tree's golden program too (candidate id <task_id>/golden), which "
                        "`treeplay pairs --mode verified` needs with pairs.inherited_findings=ignore")
    p.add_argument("-o", "--output", type=output_file("-o"), required=True,
                   help="verdicts.jsonl to write (appended, resumable)")
    p.add_argument("--analyzers", nargs="+", metavar="NAME",
                   help="static analyzers (bandit semgrep cppcheck flawfinder codeql; default: score.analyzers, "
                        "all but codeql; 'none' for no static analysis)")
    p.add_argument("--severity", choices=SEVERITIES,
                   help="lowest finding severity that makes a program insecure (default: score.severity, medium)")
    p.add_argument("--no-tests", action="store_true", help="static analysis only; run no tests")
    _add_run_options(p, workers=None, timeout_default="score.timeout with --config or overrides, else each "
                                                      "runner's own")
    p.add_argument("--config", metavar="FILE", help="YAML config: its score section (flags given here win)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides, e.g. score.workers=4")
    p.set_defaults(func=run_score_command)
    return p


def _add_run_options(p: argparse.ArgumentParser, *, workers: int | None = 2,
                     timeout_default: str = "each runner's own") -> None:
    p.add_argument("--workers", type=count("--workers"), default=workers, metavar="N",
                   help=f"programs tested at once (default: {workers or 'score.workers, 2'})")
    p.add_argument("--timeout", type=seconds("--timeout"), metavar="S",
                   help=f"wall-clock seconds for one program's tests (default: {timeout_default})")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run tests WITHOUT the sandbox (only for code you trust, such as reference solutions)")


# ----------------------------------------------------------------------------------------------- handlers


def run_test_command(args: argparse.Namespace) -> int:
    """Handler of ``treeplay test``."""
    from treeplay.oracles.scoring import make_sandbox
    from treeplay.oracles.verdict import score_candidates

    tasks = load_tasks(args.tasks)
    with_tests = {tid: t for tid, t in tasks.items() if t.tests is not None}
    if args.candidates is not None:
        candidates = load_candidates(args.candidates)
        check_tasks(candidates, tasks, args.candidates)
        candidates = [c for c in candidates if c.task_id in with_tests]
    else:
        candidates = reference_candidates(with_tests.values(), args.reference or "secure")
    skipped = len(tasks) - len(with_tests)
    sandbox = make_sandbox(run_tests=True, timeout=args.timeout, unsafe_no_sandbox=args.unsafe_no_sandbox)
    verdicts = score_candidates(with_tests, candidates, sandbox=sandbox, analyzers=(),
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
    """Handler of ``treeplay score``: the score config section, with the flags given on top."""
    from treeplay.config import load_config
    from treeplay.oracles.scoring import score

    settings = load_config(args.config, args.overrides).score
    flags = {"analyzers": _analyzers(args.analyzers), "severity": args.severity, "workers": args.workers,
             "timeout": args.timeout, "run_tests": False if args.no_tests else None,
             "unsafe_no_sandbox": True if args.unsafe_no_sandbox else None}
    settings = dataclasses.replace(settings, **{k: v for k, v in flags.items() if v is not None})
    runner_timeouts = args.timeout is None and args.config is None and not args.overrides
    result = score(args.tasks, args.output, settings=settings, trees=args.trees, candidates=args.candidates,
                   runner_timeouts=runner_timeouts, progress=sys.stderr.isatty(), golden=args.golden)
    print(result.message())
    return 0


# ---------------------------------------------------------------------------------------- shared pieces


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
