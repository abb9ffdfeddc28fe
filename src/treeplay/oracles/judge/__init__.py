"""The judge: Python tests run in a process that never loads the candidate (see ``tp_judge.py``).

The ``tp_*.py`` files beside this one are scripts that run inside the sandbox (standard library only, plus pytest
for CWEval). ``run_judge`` copies them into ``<work>/.treeplay/`` (a name no task file can have: task file names
may not start with a dot), starts ``tp_judge.py`` with the work folder read-only, hands it a random token on
standard input and a random hash seed (shared with the candidate's process, so ``str()`` of a set orders alike
in both), and returns the records it reported under that token.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from treeplay.oracles.proc import ProcResult
from treeplay.oracles.sandbox import Sandbox

HARNESS_FOLDER = ".treeplay"
_SCRIPTS = ("tp_rpc.py", "tp_judge.py", "tp_candidate.py", "tp_native.py", "tp_pytest.py", "tp_seccodeplt.py")
_HERE = Path(__file__).parent


def install(work: Path) -> Path:
    """Copy the judge's scripts into ``work``; returns the folder that holds them."""
    folder = Path(work) / HARNESS_FOLDER
    folder.mkdir()
    for name in _SCRIPTS:
        (folder / name).write_text((_HERE / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


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
    res = sandbox.run([sandbox.python, "-s", "-P", str(folder / "tp_judge.py"), json.dumps(settings)],
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
