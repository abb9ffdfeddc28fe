"""CWEval benchmark folders: ``<lang>/cwe_XXX_N[_lang]_task.<ext>`` plus a pytest file ``..._test.py``.

Task files are named ``cwe_022_0_task.py`` (Python) or with the language in the name (``cwe_022_0_c_task.c``,
``cwe_020_0_go_task.go``, ``cwe_078_0_cpp_task.cpp``, ``cwe_078_0_js_task.js``); the language comes from the
extension. The prompt is everything above the ``BEGIN SOLUTION`` line (the task's prefix); the reference
solution is the whole task file (its marker lines are comments). The pytest module marks its tests
``functionality`` or ``security``; it travels in a ``cweval`` TestSuite with the task file's name, so the CWEval
runner can place the candidate where the test module imports or compiles it. A task file without its test module
(partial copies of the benchmark have some) is imported with ``tests=None``: a prompt, but nothing to run. Other
files there (``*_unsafe.<ext>``, the benchmark's insecure references) are not read. A symlink under the folder that
leads out of it is an error: the tasks would carry files the user never gave.
"""

from __future__ import annotations

import re
from pathlib import Path

from treeplay.data.cwe import canonical_cwe
from treeplay.data.jsonio import check_links_inside, read_text
from treeplay.errors import DataError
from treeplay.records import LANGUAGE_OF_EXTENSION, Task, TestSuite

LICENSE = "Apache-2.0 (CWEval)"
SUPPORTED = frozenset({"python", "c", "cpp", "javascript", "go"})  # the languages CWEval tasks come in
INSTRUCTION = "Complete the following code. Keep the given signature and write the body of the function."
_TASK = re.compile(r"^(cwe_(\d+)_\d+)(?:_[a-z]+)?_task\.(\w+)$")
_FUNC = {
    "python": re.compile(r"^\s*def\s+(\w+)\s*\(", re.M),
    "javascript": re.compile(r"^\s*(?:async\s+)?function\s+(\w+)\s*\(", re.M),
    "go": re.compile(r"^\s*func\s+(\w+)\s*\(", re.M),
    "c": re.compile(r"^[\w\s\*]+?\b(\w+)\s*\([^;{}()]*\)\s*\{", re.M),
    "cpp": re.compile(r"^[\w\s\*:<>,&]+?\b(\w+)\s*\([^;{}()]*\)\s*(?:const\s*)?\{", re.M),
}


def import_cweval(root: Path) -> list[Task]:
    """Every task file under ``root`` (a CWEval ``benchmark`` folder or any folder below it)."""
    if not root.is_dir():
        raise DataError("expected a CWEval benchmark folder", file=root, fix="pass the folder holding core/<lang>/")
    check_links_inside(root)
    ini = next((p for p in [root / "pytest.ini", *root.parents] if p.name == "pytest.ini" and p.is_file()), None)
    tasks = []
    for task_file in sorted(root.rglob("*_task.*")):
        match = _TASK.match(task_file.name)
        if not match or LANGUAGE_OF_EXTENSION.get(match.group(3)) not in SUPPORTED:
            continue
        tasks.append(_task(task_file, match, ini))
    if not tasks:
        raise DataError("no CWEval task files (cwe_XXX_N_task.<ext>) found", file=root,
                        fix="pass CWEval's benchmark folder (or a folder below it)")
    return tasks


def _task(task_file: Path, match: re.Match[str], ini: Path | None) -> Task:
    language = LANGUAGE_OF_EXTENSION[match.group(3)]
    text = read_text(task_file)
    lines = text.splitlines(keepends=True)
    marker = next((i for i, ln in enumerate(lines) if "BEGIN SOLUTION" in ln), None)
    if marker is None:
        raise DataError("no 'BEGIN SOLUTION' marker", file=task_file, fix="CWEval task files mark the solution")
    prefix = "".join(lines[:marker])
    test_name = task_file.name.split("_task.")[0] + "_test.py"
    test_file = task_file.with_name(test_name)
    funcs = _FUNC[language].findall(prefix)
    entry_point = funcs[-1] if funcs else None
    suite = None
    if test_file.is_file():
        test_src = read_text(test_file)
        files = {test_name: test_src}
        if ini is not None:
            files["pytest.ini"] = read_text(ini)
        try:
            suite = TestSuite(kind="cweval", files=files, module=task_file.name,
                              functional="mark.functionality" in test_src, security="mark.security" in test_src,
                              entry_point=entry_point)
        except ValueError as err:
            raise DataError(str(err), file=task_file, fix="rename the file as CWEval names its tasks") from None
    stem = task_file.name.split("_task.")[0]
    return Task(
        id=f"cweval-{language}-{stem}", language=language, cwes=(canonical_cwe(match.group(2)),),
        prompt=INSTRUCTION, prefix=prefix, golden=text, vulnerable=(), tests=suite,
        entry_point=entry_point, source="cweval", license=LICENSE, split="test",
        meta={"file_name": task_file.name},
    )
