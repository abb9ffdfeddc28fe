"""The judge: Python tests run in a process that never loads the candidate (see ``tp_judge.py``).

The ``tp_*.py`` files beside this one are scripts that run inside the sandbox (standard library only, plus pytest
for CWEval). ``run_judge`` copies them into ``<work>/.treeplay/`` (a name no task file can have: task file names
may not start with a dot), starts ``tp_judge.py`` with the work folder read-only, hands it a random token on
standard input and a random hash seed (shared with the candidate's process, so ``str()`` of a set orders alike
in both), and returns the records it reported under that token.
"""

from __future__ import annotations

import functools
import json
import py_compile
import secrets
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from treeplay.oracles.proc import ProcResult
from treeplay.oracles.sandbox import Sandbox

HARNESS_FOLDER = ".treeplay"
_SCRIPTS = ("tp_rpc.py", "tp_judge.py", "tp_candidate.py", "tp_native.py", "tp_pytest.py", "tp_seccodeplt.py")
_HERE = Path(__file__).parent


def install(work: Path) -> Path:
    """Copy the judge's scripts, and their bytecode, into ``work``; returns the folder that holds them.

    The bytecode is compiled once per process, as unchecked-hash .pyc files (PEP 552), so that neither the judge
    nor the candidate's process compiles these scripts at every start (the work folder is read-only to them).
    A sandbox Python of another version ignores them and compiles the sources.
    """
    folder = Path(work) / HARNESS_FOLDER
    (folder / "__pycache__").mkdir(parents=True)
    for name, (source, bytecode) in _scripts().items():
        (folder / name).write_text(source, encoding="utf-8")
        if bytecode is not None:
            (folder / "__pycache__" / f"{Path(name).stem}.{sys.implementation.cache_tag}.pyc").write_bytes(bytecode)
    return folder


def judge_command(python: str, folder: Path, module: str) -> list[str]:
    """argv that runs ``module.main()`` from the judge's folder (a script run directly is never cached)."""
    return [python, "-s", "-P", "-c", f"import sys; sys.path.insert(0, {str(folder)!r}); import {module}; "
                                      f"{module}.main()"]


@functools.lru_cache(maxsize=1)
def _scripts() -> dict[str, tuple[str, bytes | None]]:
    out: dict[str, tuple[str, bytes | None]] = {}
    with tempfile.TemporaryDirectory(prefix="treeplay-judge-") as tmp:
        for name in _SCRIPTS:
            source = (_HERE / name).read_text(encoding="utf-8")
            target = Path(tmp) / (name + "c")
            try:
                py_compile.compile(str(_HERE / name), cfile=str(target), doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                out[name] = (source, target.read_bytes())
            except (py_compile.PyCompileError, OSError):
                out[name] = (source, None)
    return out


def run_judge(sandbox: Sandbox, work: Path, config: Mapping[str, Any], *, timeout: float,
              env: Mapping[str, str] | None = None) -> tuple[list[dict], ProcResult]:
    """Run the judge in ``sandbox`` over ``work`` (read-only to it); returns (its token-tagged records, the run).

    ``config`` is the mode's settings (``tp_judge.main``); ``budget`` is set here to leave the judge time to
    report before the wall clock (``timeout``) ends the sandbox.
    """
    folder = Path(work) / HARNESS_FOLDER
    if not folder.is_dir():
        install(work)
    token = "@@treeplay-judge-" + secrets.token_hex(16) + "@@"
    settings = {"budget": max(1.0, timeout - 2.0), "folder": str(Path(work).resolve()), **config}
    environment = {"PYTHONHASHSEED": str(secrets.randbelow(4294967295) + 1), "PYTHONDONTWRITEBYTECODE": "1",
                   **(env or {})}
    res = sandbox.run([*judge_command(sandbox.python, folder, "tp_judge"), json.dumps(settings)],
                      workdir=work, timeout=timeout, env=environment, stdin=token + "\n", writable_work=False)
    return tagged_records(res.stdout, token), res


def tagged_records(stdout: str, token: str) -> list[dict]:
    """The JSON objects a harness printed on lines starting with ``token`` (a per-run random tag that only the
    judge knows, so nothing else can pass for a result line)."""
    out = []
    for line in stdout.splitlines():
        if line.startswith(token):
            try:
                record = json.loads(line[len(token):])
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                out.append(record)
    return out
