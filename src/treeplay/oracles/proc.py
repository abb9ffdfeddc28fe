"""The one place where treeplay starts subprocesses.

``run`` takes an argv list (never a shell string), starts the child in its own process group, enforces a
wall-clock timeout by killing the whole group, and caps the output it keeps. (Limits on what the child may
consume while it runs, memory, processes, files, belong to the sandbox, not to this helper.) It never raises
for a non-zero exit: callers decide what an exit code means. It raises ``ToolMissingError`` when the program
itself does not exist.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from treeplay.errors import ToolMissingError

DEFAULT_OUTPUT_LIMIT = 1 << 20  # bytes kept per stream


@dataclass(frozen=True)
class ProcResult:
    """Outcome of one subprocess. ``returncode`` is None when it was killed for the timeout."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def run(argv: Sequence[str], *, cwd: str | Path | None = None, timeout: float = 60.0,
        env: Mapping[str, str] | None = None, stdin: str | None = None,
        output_limit: int = DEFAULT_OUTPUT_LIMIT, install_hint: str | None = None) -> ProcResult:
    """Run ``argv`` to completion or until ``timeout`` seconds; kill its whole process group on timeout."""
    try:
        child = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
    except FileNotFoundError:
        raise ToolMissingError(f"'{argv[0]}' is not installed or not on PATH", tool=str(argv[0]),
                               fix=install_hint or f"install {argv[0]}") from None
    timed_out = False
    try:
        out, err = child.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(child.pid)
        out, err = child.communicate()
    finally:
        # A child may have left grandchildren in the group (daemons, forks): end them all.
        _kill_group(child.pid)
    return ProcResult(
        returncode=None if timed_out else child.returncode,
        stdout=_cap(out, output_limit), stderr=_cap(err, output_limit), timed_out=timed_out,
    )


def exchange(argv: Sequence[str], lines: Sequence[str], *, answers: Callable[[str], bool], count: int,
             timeout: float = 60.0, cwd: str | Path | None = None, install_hint: str | None = None) -> ProcResult:
    """Talk to a line-based server (``recheck agent``): send ``lines``, keep its input open until ``count`` output
    lines satisfy ``answers`` (a server that reads EOF may drop the work it has not finished), then end it.

    Writing happens in a thread, so a server that answers before it has read everything cannot deadlock us. The
    whole exchange is bounded by ``timeout``; ``stdout`` holds the lines read so far.
    """
    try:
        child = subprocess.Popen(list(argv), cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
    except FileNotFoundError:
        raise ToolMissingError(f"'{argv[0]}' is not installed or not on PATH", tool=str(argv[0]),
                               fix=install_hint or f"install {argv[0]}") from None
    assert child.stdin is not None and child.stdout is not None

    def feed() -> None:
        with suppress(OSError):
            for line in lines:
                child.stdin.write(line.encode() + b"\n")
            child.stdin.flush()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    deadline = time.monotonic() + timeout
    got: list[str] = []
    found, buffer, timed_out = 0, b"", False
    fd = child.stdout.fileno()
    while found < count:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            timed_out = True
            break
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            line = raw.decode("utf-8", errors="replace")
            got.append(line)
            found += bool(answers(line))
    with suppress(OSError):
        child.stdin.close()
    _kill_group(child.pid)
    child.wait()
    writer.join(timeout=1)
    return ProcResult(returncode=None if timed_out else child.returncode, stdout="\n".join(got), stderr="",
                      timed_out=timed_out)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _cap(data: bytes, limit: int) -> str:
    text = data[:limit].decode("utf-8", errors="replace")
    if len(data) > limit:
        text += f"\n[... {len(data) - limit} more bytes cut]"
    return text
