"""Reading and writing generations: the programs a model wrote for a benchmark's tasks.

Two input forms are read:

- native JSONL (what ``treeplay eval`` writes as ``generations.jsonl``): one ``Candidate`` per line,
  ``{"task_id", "completion", "candidate_id"}``; ``completion`` follows the task's prefix, so the program is
  ``prefix + completion``. A line without ``candidate_id`` gets ``<task_id>/s<k>`` (k counting that task's lines).
- the JSON list that the paper's code release writes: objects with ``ID`` (e.g. ``CWE-020_author_1.py``),
  ``Prompt`` and ``Generation``, where ``Generation`` is the whole program. IDs are matched to task ids the way
  the importers build them (``securityeval-CWE-020_author_1``; the task's own id and its ``meta.file_name`` work
  too), and the program must start with the task's prefix (the part after it is the completion).

Every problem raises DataError naming the file and the line (the entry's first line for the JSON list).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from treeplay.data.jsonio import iter_json_array, require
from treeplay.engine.generate import sample_id
from treeplay.errors import DataError
from treeplay.records import Candidate, Task, from_dict, iter_json_lines, write_jsonl


def read_generations(path: str | Path, tasks: Mapping[str, Task]) -> list[Candidate]:
    """Candidates of a generations file in either form (a file starting with ``[`` is the paper's JSON list)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("generations file not found" if not path.exists() else "not a file", file=path,
                        fix="check the path given to --generations")
    with path.open("rb") as fh:  # bytes: a binary file is reported by the reader, naming its line
        head = fh.read(4096).lstrip()
    if head.startswith(b"["):
        return read_paper_generations(path, tasks)
    return read_native_generations(path, tasks)


def read_native_generations(path: str | Path, tasks: Mapping[str, Task]) -> list[Candidate]:
    """Candidates of a native JSONL file; unknown task ids and repeated candidate ids are DataErrors."""
    out: list[Candidate] = []
    seen: set[str] = set()
    per_task: dict[str, int] = {}
    for number, data in iter_json_lines(path):
        cand = from_dict(Candidate, data, file=path, line=number)
        if cand.task_id not in tasks:
            raise DataError(f"task_id {cand.task_id!r} is not a task of this benchmark", file=path, line=number,
                            fix="evaluate generations against the benchmark they were made for (--benchmark)")
        k = per_task.get(cand.task_id, 0)
        per_task[cand.task_id] = k + 1
        if not cand.candidate_id:
            cand = dataclasses.replace(cand, candidate_id=sample_id(cand.task_id, k))
        if cand.candidate_id in seen:
            raise DataError(f"candidate_id {cand.candidate_id!r} appears twice", file=path, line=number,
                            fix="give every generation a unique candidate_id (or none: ids are then numbered)")
        seen.add(cand.candidate_id)
        out.append(cand)
    return out


def read_paper_generations(path: str | Path, tasks: Mapping[str, Task]) -> list[Candidate]:
    """Candidates of the paper's JSON list (``ID``, ``Prompt``, ``Generation`` = the whole program)."""
    path = Path(path)
    index = id_index(tasks.values())
    out: list[Candidate] = []
    per_task: dict[str, int] = {}
    for number, (line, obj) in enumerate(iter_json_array(path), start=1):
        require(obj, ("ID", "Generation"), path=path, line=line, types={"ID": str, "Generation": str})
        task_id = match_id(obj["ID"], index)
        if task_id is None:
            raise DataError(f"entry {number} (ID {obj['ID']!r}) matches no task of this benchmark", file=path,
                            line=line, fix="evaluate the file against the benchmark it was generated for, e.g. "
                                           "--benchmark securityeval --data prompts.json")
        prefix = tasks[task_id].prefix
        program = obj["Generation"]
        if not program.startswith(prefix):
            raise DataError(f"entry {number} (ID {obj['ID']!r}): Generation does not start with the task's prompt",
                            file=path, line=line, fix="this format holds whole programs (prompt + completion); "
                                                      "write native JSONL {task_id, completion} instead")
        k = per_task.get(task_id, 0)
        per_task[task_id] = k + 1
        out.append(Candidate(task_id=task_id, completion=program[len(prefix):], candidate_id=sample_id(task_id, k)))
    return out


def id_index(tasks: Iterable[Task]) -> dict[str, str]:
    """Every name a task is known by (its id, its source file name and that name's stem) -> its id."""
    index: dict[str, str] = {}
    for task in tasks:
        names = [task.id]
        file_name = task.meta.get("file_name") if isinstance(task.meta, Mapping) else None
        if isinstance(file_name, str):
            names += [file_name, Path(file_name).stem]
        for name in names:
            index.setdefault(name.lower(), task.id)
    return index


def match_id(entry_id: str, index: Mapping[str, str]) -> str | None:
    """The task id an entry's ``ID`` names: as given, without ``.py``, or as an imported SecurityEval id."""
    stem = entry_id.strip().removesuffix(".py")
    for name in (entry_id.strip(), stem, f"securityeval-{stem}"):
        found = index.get(name.lower())
        if found is not None:
            return found
    return None


def write_generations(path: str | Path, candidates: Iterable[Candidate]) -> int:
    """Write candidates as native JSONL, atomically (temporary file + rename). Returns the count."""
    return write_jsonl(path, candidates)
