"""Sandbox for running untrusted generated code.

API (stable; the test runners code against it)::

    sb = Sandbox(Limits(wall_seconds=20), unsafe_no_sandbox=False)
    with sb.workdir() as work:            # a fresh folder the sandboxed process may write
        (work / "solution.py").write_text(code)
        res = sb.run([sb.python, "-I", "x.py"], workdir=work, timeout=10)   # -> proc.ProcResult

INTERIM IMPLEMENTATION: only the unsafe path exists yet (plain subprocess with a timeout); constructing a
Sandbox without ``unsafe_no_sandbox=True`` raises until the bubblewrap implementation lands.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from treeplay.errors import NotAvailableError
from treeplay.oracles import proc


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 10
    memory_mb: int = 1024
    file_size_mb: int = 64
    processes: int = 64
    wall_seconds: float = 20.0
    output_bytes: int = 1 << 20


class Sandbox:
    def __init__(self, limits: Limits = Limits(), *, unsafe_no_sandbox: bool = False) -> None:
        if not unsafe_no_sandbox:
            raise NotAvailableError("the bubblewrap sandbox is not implemented yet",
                                    fix="pass unsafe_no_sandbox=True for trusted code only")
        self.limits = limits
        self.unsafe = unsafe_no_sandbox
        self.python = sys.executable
        self.node = shutil.which("node") or "node"

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="treeplay-sb-") as tmp:
            yield Path(tmp)

    def run(self, argv: Sequence[str], *, workdir: Path, timeout: float | None = None,
            env: Mapping[str, str] | None = None, stdin: str | None = None) -> proc.ProcResult:
        return proc.run(argv, cwd=workdir, timeout=timeout or self.limits.wall_seconds, env=env, stdin=stdin,
                        output_limit=self.limits.output_bytes)
