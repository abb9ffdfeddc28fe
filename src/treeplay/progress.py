"""Progress of a stage's long loop: a bar on stderr for the commands, a callback for library callers.

``OnProgress`` is what the stage functions (``grow``, ``score``, ``evaluate``, ``train_model``) accept as
``on_progress``: it is called with ``(stage, done, total)`` once when a loop starts and after every unit of work
(a tree, a candidate, a generated task, an optimizer step), from the thread that runs the stage. The numbers are
those of the bar: a loop that resumes counts only the work left (grow, score, generate), except train, whose
steps count from where the run resumed to the end of the run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

OnProgress = Callable[[str, int, int], None]  # (stage, done, total)


class StageProgress:
    """One loop's progress: a tqdm bar on stderr when ``bar`` is set, and ``on_progress`` when given.

    ``stage`` names the loop to the callback (grow, generate, score, train); ``desc`` is the bar's label (default:
    the stage). Use as a context manager; ``advance`` after each unit of work."""

    def __init__(self, stage: str, total: int, *, done: int = 0, unit: str = "task", bar: bool = False,
                 on_progress: OnProgress | None = None, desc: str | None = None, leave: bool = True) -> None:
        from tqdm import tqdm

        self.stage, self.total, self.done, self.on_progress = stage, total, done, on_progress
        self.bar = tqdm(total=total, initial=done, desc=desc or stage, unit=unit, file=sys.stderr,
                        disable=not bar, dynamic_ncols=True, leave=leave)
        self._tell()

    def advance(self, n: int = 1, **postfix: Any) -> None:
        """``n`` more units done; ``postfix`` (figures shown after the bar) is shown from now on."""
        self.done += n
        if postfix:
            self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(n)
        self._tell()

    def close(self) -> None:
        self.bar.close()

    def _tell(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stage, self.done, self.total)

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
