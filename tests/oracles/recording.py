"""Record the argv of every process the oracles start (through ``treeplay.oracles.proc.run``), still running them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from treeplay.oracles import proc

T = TypeVar("T")


def run_recording(action: Callable[[], T]) -> tuple[T, list[list[str]]]:
    """``action()``'s result and the argv of every process it started, in order."""
    started: list[list[str]] = []
    real_run = proc.run

    def recording_run(argv: Any, **kwargs: Any) -> proc.ProcResult:
        started.append(list(argv))
        return real_run(argv, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(proc, "run", recording_run)
    try:
        return action(), started
    finally:
        mp.undo()
