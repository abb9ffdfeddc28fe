"""The builtin task set: realistic secure-coding tasks written by this project, shipped in the package.

Each task is a folder under ``tasks/`` named after its id::

    task.json              {"id", "language", "cwes": ["CWE-89"], "prompt", "entry_point"}
    prefix.<ext>           the code the model continues (imports, signature, docstring)
    secure.<ext>           the reference solution: a whole program that starts with the prefix
    vulnerable.<ext>       a functionally correct but vulnerable whole program (more: vulnerable_2.<ext>, ...)
    test_functional.<ext>  functional tests (native format, see treeplay.oracles.native)
    test_security.<ext>    exploit-style security tests: the secure program passes, every vulnerable one fails

It is the embedded default data set and the ground truth of many tests; ``tests/data/test_builtin.py`` checks
every task against its own tests.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from treeplay.data.cwe import canonical_cwe
from treeplay.errors import DataError
from treeplay.records import EXTENSION_OF_LANGUAGE, Task, TestSuite

EXT = {lang: EXTENSION_OF_LANGUAGE[lang] for lang in ("python", "c", "javascript")}  # native test languages
LICENSE = "Apache-2.0 (treeplay builtin task set)"


def tasks_root() -> Path:
    """Folder holding one sub-folder per builtin task."""
    return Path(str(resources.files("treeplay.data.builtin") / "tasks"))


def load_builtin(root: Path | None = None) -> list[Task]:
    """All builtin tasks, sorted by id."""
    root = root or tasks_root()
    tasks = [load_task_dir(d) for d in sorted(root.iterdir()) if (d / "task.json").exists()]
    return sorted(tasks, key=lambda t: t.id)


def load_task_dir(folder: Path) -> Task:
    """One task folder in the layout above; problems raise DataError naming the file."""
    meta_path = folder / "task.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"not valid JSON: {err.msg}", file=meta_path, line=err.lineno) from None
    missing = {"id", "language", "cwes", "prompt"} - set(meta)
    if missing:
        raise DataError(f"missing key(s) {', '.join(sorted(missing))}", file=meta_path)
    language = meta["language"]
    if language not in EXT:
        raise DataError(f"language {language!r} is not one of {sorted(EXT)}", file=meta_path)
    ext = EXT[language]

    def read(name: str) -> str:
        path = folder / name
        if not path.exists():
            raise DataError(f"missing file {name}", file=folder)
        return path.read_text(encoding="utf-8")

    prefix, golden = read(f"prefix.{ext}"), read(f"secure.{ext}")
    vulnerable = tuple(read(p.name) for p in sorted(folder.glob(f"vulnerable*.{ext}")))
    for name, program in [(f"secure.{ext}", golden)] + [(f"vulnerable*.{ext}", v) for v in vulnerable]:
        if not program.startswith(prefix):
            raise DataError(f"{name} does not start with prefix.{ext}", file=folder,
                            fix="every program of a task must begin with the exact prefix text")
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("test_*"))}
    try:
        suite = TestSuite(kind="native", files=files, module=f"solution.{ext}",
                          functional=f"test_functional.{ext}" in files, security=f"test_security.{ext}" in files,
                          entry_point=meta.get("entry_point"))
    except ValueError as err:  # a test file name that is not a plain relative name
        raise DataError(str(err), file=folder, fix="name test files test_<what>.<ext>") from None
    return Task(
        id=meta["id"], language=language, cwes=tuple(canonical_cwe(c) for c in meta["cwes"]),
        prompt=meta["prompt"], prefix=prefix, golden=golden, vulnerable=vulnerable, tests=suite,
        entry_point=meta.get("entry_point"), source="builtin", license=LICENSE,
        split=meta.get("split"), meta={k: v for k, v in meta.items()
                                       if k not in {"id", "language", "cwes", "prompt", "entry_point", "split"}},
    )
