"""Scoring programs into verdicts files: the one resumable scoring loop (``score_programs``) that ``treeplay
score``, ``treeplay eval`` and a selfplay run's score stage share, and the one sandbox builder (``treeplay test``
uses it too).

``score`` is the library form of ``treeplay score``: every key of the ``score`` config section decides how the
candidates are judged (analyzers, severity, whether tests run, their time limit, workers, the sandbox).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treeplay.config import ScoreConfig
from treeplay.errors import DataError, UsageError
from treeplay.progress import OnProgress
from treeplay.records import Candidate, Task, Verdict, append_jsonl, load_jsonl, resume_jsonl

if TYPE_CHECKING:
    from treeplay.oracles.sandbox import Sandbox


@dataclass(frozen=True)
class ScoreResult:
    """What ``score`` did: the verdicts it wrote (those already in the output are not repeated here)."""

    output: Path
    candidates: int  # candidates asked for
    already: int  # of them, already scored in the output by an earlier run
    verdicts: tuple[Verdict, ...]  # the new verdicts, in candidate order
    secure: int = 0  # of the new verdicts: no finding at the severity, no failed security test
    functional: int = 0  # of the new verdicts with functional tests: those that pass them
    with_functional_tests: int = 0

    def message(self) -> str:
        """The line ``treeplay score`` prints."""
        if not self.verdicts:
            return f"all {self.candidates} candidate(s) are already scored in {self.output}"
        return (f"scored {len(self.verdicts)} candidate(s) into {self.output} ({self.already} already there): "
                f"parsed {sum(v.parsed for v in self.verdicts)}, secure {self.secure}, functional "
                f"{self.functional}/{self.with_functional_tests} with functional tests")


def score(tasks: Path, output: Path, *, settings: ScoreConfig | None = None, trees: Path | None = None,
          candidates: Path | None = None, runner_timeouts: bool = False, progress: bool = False,
          on_progress: OnProgress | None = None, golden: bool = False) -> ScoreResult:
    """Judge candidates (``candidates``, a JSONL file) or the branches of ``trees`` against ``tasks`` and append
    one Verdict per candidate to ``output``; those already there are skipped, so a re-run never duplicates one.

    ``settings`` (the ``score`` config section; default: its defaults) decides the analyzers, the severity,
    whether tests run, the workers, the sandbox and the time limit of one program's tests (``settings.timeout``;
    with ``runner_timeouts``, each test runner's own limit instead, as ``treeplay score`` without a config does).
    ``progress``: a bar on stderr; ``on_progress``: called with ("score", verdicts written, candidates to judge)
    (``treeplay.progress``). ``golden`` (with ``trees``): each tree's golden program is judged too, as candidate
    ``<task_id>/golden``; verified pairs with ``pairs.inherited_findings=ignore`` compare its branches with it."""
    settings = ScoreConfig() if settings is None else settings
    by_id = load_tasks(tasks)
    if (candidates is None) == (trees is None):
        raise UsageError("give either a CANDIDATES file or --trees TREES", fix="see `treeplay score --help`")
    if trees is not None:
        from treeplay.records import Tree
        from treeplay.tree.leaves import leaves

        todo_all = leaves(load_jsonl(trees, Tree), by_id, golden=golden)
    else:
        if golden:
            raise UsageError("--golden scores the golden programs of trees", fix="add --trees TREES, or drop --golden")
        todo_all = load_candidates(candidates)  # type: ignore[arg-type]
    check_tasks(todo_all, by_id, candidates or trees)  # type: ignore[arg-type]
    from treeplay.oracles.verdict import is_functional, is_secure

    limit = None if runner_timeouts else settings.timeout
    try:
        _, new = score_programs(by_id, todo_all, output, settings=settings, timeout=limit, progress=progress,
                                on_progress=on_progress)
    except DataError as err:
        if err.file == str(output):
            err.fix = "this is not a verdicts file written by treeplay score; pick another -o"
        raise
    verdicts = tuple(new)
    functional = [f for f in (is_functional(v) for v in verdicts) if f is not None]
    return ScoreResult(output, len(todo_all), len(todo_all) - len(verdicts), verdicts,
                       secure=sum(is_secure(v, settings.severity) for v in verdicts), functional=sum(functional),
                       with_functional_tests=len(functional))


def make_sandbox(*, run_tests: bool, timeout: float | None, unsafe_no_sandbox: bool,
                 tasks: Sequence[Task] | None = None) -> Sandbox | None:
    """The sandbox the tests run in: None when no test will run (``run_tests`` off, or none of ``tasks``, when
    given, has tests). ``timeout`` (seconds) is its wall-clock limit, the CPU limit raised to match."""
    if not run_tests or (tasks is not None and not any(t.tests is not None for t in tasks)):
        return None
    from treeplay.oracles.sandbox import Limits, Sandbox

    limits = Limits()
    if timeout is not None:
        limits = dataclasses.replace(limits, wall_seconds=timeout,
                                     cpu_seconds=max(limits.cpu_seconds, int(timeout) + 1))
    return Sandbox(limits, unsafe_no_sandbox=unsafe_no_sandbox)


def score_programs(tasks: Mapping[str, Task], candidates: Sequence[Candidate], verdicts_path: Path, *,
                   settings: ScoreConfig, timeout: float | None, progress: bool = False,
                   on_progress: OnProgress | None = None, **options: Any) -> tuple[list[Verdict], list[Verdict]]:
    """The resumable scoring loop of ``score`` and ``evaluate``: one Verdict per candidate, those already in
    ``verdicts_path`` reused (a torn last line repaired first), the others judged as ``settings`` says and each
    appended as soon as it is ready. Returns (the verdicts of all ``candidates``, in their order; the new ones).

    ``timeout`` (seconds) limits one program's tests (None: each runner's own limit). The sandbox is made only when
    a candidate left to judge has tests to run. ``options`` go to ``score_candidates`` (tests pass ``oracles`` and
    ``cache``). A verdicts file that is not one is a DataError naming it, and is left as it was."""
    from treeplay.oracles.verdict import score_candidates

    done = {v.candidate_id: v for v in resume_jsonl(verdicts_path, Verdict)}
    todo = [c for c in candidates if c.candidate_id not in done]
    if not todo:
        return [done[c.candidate_id] for c in candidates], []
    sandbox = make_sandbox(run_tests=settings.run_tests, timeout=timeout, unsafe_no_sandbox=settings.unsafe_no_sandbox,
                           tasks=[tasks[c.task_id] for c in todo if c.task_id in tasks])
    new = score_candidates(tasks, todo, sandbox=sandbox, analyzers=settings.analyzers, severity=settings.severity,
                           run_tests=settings.run_tests, workers=settings.workers, timeout=timeout, progress=progress,
                           on_verdict=lambda v: append_jsonl(verdicts_path, v), on_progress=on_progress, **options)
    done.update((v.candidate_id, v) for v in new)
    return [done[c.candidate_id] for c in candidates], new


def load_tasks(path: Path) -> dict[str, Task]:
    """The tasks of a tasks.jsonl by id; a repeated id is a DataError."""
    tasks: dict[str, Task] = {}
    for task in load_jsonl(path, Task):
        if task.id in tasks:
            raise DataError(f"task id {task.id!r} appears twice", file=path, fix="task ids must be unique")
        tasks[task.id] = task
    return tasks


def check_tasks(candidates: Sequence[Candidate], tasks: Mapping[str, Task], path: Path) -> None:
    """Every candidate's task is in ``tasks`` (else a DataError on ``path``)."""
    unknown = sorted({c.task_id for c in candidates} - set(tasks))
    if unknown:
        raise DataError(f"{len(unknown)} task id(s) are not in the task file, e.g. {unknown[0]!r}", file=path,
                        fix="pass the tasks.jsonl these candidates were generated for")


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
