"""How many threads torch may use in this process: the cores actually free, re-checked as other work comes and goes.

torch starts one compute thread per core. Two treeplay processes on a 2-core machine then run four busy threads
on two cores, and each slows down far more than twice (the demo's evaluation took 34 s alone and 703 s beside two
other runs). Here each process takes the cores that are free: the cores it may run on minus the threads of other
processes that are running right now (``/proc/loadavg``'s runnable count, less this process's own running
threads), at least one. ``ThreadGovernor.tick()``, called from the decoding and training loops, re-checks every
few seconds, so a long run gives cores back when a second one starts and takes them again when it ends.

``TREEPLAY_THREADS=N`` (or ``treeplay --threads N``; else ``OMP_NUM_THREADS``) fixes the count instead.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "TREEPLAY_THREADS"
RECHECK_SECONDS = 5.0


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def requested_threads() -> int | None:
    """``TREEPLAY_THREADS``, else ``OMP_NUM_THREADS``, as a positive int; None when neither is set (a bad value is
    ignored: a thread count is not worth a crash)."""
    for name in (ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _runnable_total() -> int | None:
    try:
        field = Path("/proc/loadavg").read_text().split()[3]
        return int(field.split("/")[0])
    except (OSError, IndexError, ValueError):
        return None


def _own_running() -> int:
    count = 0
    try:
        for task in Path("/proc/self/task").iterdir():
            stat = (task / "stat").read_text()
            if stat[stat.rindex(")") + 2:].startswith("R"):
                count += 1
    except (OSError, ValueError):
        return 1
    return max(1, count)


def free_cores(samples: int = 5, pause: float = 0.01) -> int:
    """Cores not taken by other processes' running threads (median of a few looks), at least 1."""
    cores = usable_cores()
    others = []
    for i in range(samples):
        total = _runnable_total()
        if total is None:
            return cores
        others.append(max(0, total - _own_running()))
        if i + 1 < samples:
            time.sleep(pause)
    busy = sorted(others)[len(others) // 2]
    return max(1, min(cores, cores - busy))


def choose_threads() -> int:
    """The thread count for this process now: ``TREEPLAY_THREADS`` if set, else the free cores."""
    return requested_threads() or free_cores()


class ThreadGovernor:
    """Sets torch's thread count to ``choose_threads()`` now, and again at most every ``RECHECK_SECONDS``."""

    def __init__(self) -> None:
        self.current = 0
        self.checked = 0.0

    def tick(self, *, force: bool = False) -> int:
        now = time.monotonic()
        if not force and now - self.checked < RECHECK_SECONDS:
            return self.current
        self.checked = now
        wanted = choose_threads()
        if wanted != self.current:
            import torch

            torch.set_num_threads(wanted)
            self.current = wanted
        return self.current


GOVERNOR = ThreadGovernor()
