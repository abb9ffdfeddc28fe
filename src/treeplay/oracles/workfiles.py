"""Writing task files into a work folder without ever writing outside it.

Task files come from data sets downloaded from the internet: a test file named ``../../x`` or ``/abs/x`` must not
become a file on the host. ``records.check_relative_path`` rejects such names when a task is imported; the runners
check again here, at the moment they write (a task file may have been edited since): the name must be a plain
relative path, its resolved location must lie inside the work folder, every folder on the way is created here
(never an existing symlink followed), and the file is created new (``O_EXCL | O_NOFOLLOW``), so neither a name
that repeats nor a symlink planted earlier can redirect the write.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from treeplay.errors import DataError
from treeplay.records import check_relative_path


def safe_path(work: Path, name: str) -> Path:
    """``work / name``, checked: a plain relative name whose resolved path stays inside ``work``."""
    try:
        check_relative_path(name)
    except ValueError as err:
        raise DataError(f"unsafe file name in a task's tests: {err}",
                        fix="fix or drop that task (file names must be plain relative paths)") from None
    root = Path(work).resolve()
    target = (root / name).resolve()
    if target != root and root not in target.parents:
        raise DataError(f"task file {name!r} resolves outside the work folder ({target})",
                        fix="fix or drop that task")
    return root / name


def write_files(work: Path, files: Mapping[str, str], *, reserved: Iterable[str] = ()) -> None:
    """Write ``files`` (name -> text) under ``work``; a name in ``reserved`` (the runner's own) is a DataError."""
    taken = {r.split("/")[0] for r in reserved}
    for name, text in files.items():
        if name.split("/")[0] in taken:
            raise DataError(f"task file {name!r} uses a name the test runner needs ({', '.join(sorted(taken))})",
                            fix="rename that file in the task")
        write_new(work, name, text)


def write_new(work: Path, name: str, text: str | bytes, *, mode: int = 0o644) -> Path:
    """Create the file ``name`` under ``work`` (it must not exist yet), making its folders; never follows a link."""
    path = safe_path(work, name)
    folder = Path(work).resolve()
    for part in name.split("/")[:-1]:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise DataError(f"task file {name!r}: {part!r} is not a folder", fix="fix or drop that task")
        folder.mkdir(exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except FileExistsError:
        raise DataError(f"task file {name!r} is written twice (it repeats, or clashes with the candidate's file)",
                        fix="rename that file in the task") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path
