"""The thread governor: a fixed count when asked for one, else the cores other processes leave free."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from treeplay import threads


def test_an_explicit_count_wins(monkeypatch) -> None:
    monkeypatch.setenv("TREEPLAY_THREADS", "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads.choose_threads() == 3
    monkeypatch.delenv("TREEPLAY_THREADS")
    assert threads.choose_threads() == 1
    monkeypatch.setenv("TREEPLAY_THREADS", "lots")  # ignored, not a crash
    assert threads.requested_threads() == 1


def test_free_cores_stay_between_one_and_the_usable_cores(monkeypatch) -> None:
    monkeypatch.delenv("TREEPLAY_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cores = threads.usable_cores()
    assert 1 <= threads.free_cores() <= cores
    monkeypatch.setattr(threads, "_runnable_total", lambda: 100)  # a machine flooded with other work
    assert threads.free_cores(samples=1) == 1
    monkeypatch.setattr(threads, "_runnable_total", lambda: None)  # no /proc: every core
    assert threads.free_cores(samples=1) == cores


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_busy_process_beside_us_takes_its_core_from_our_count(monkeypatch) -> None:
    monkeypatch.delenv("TREEPLAY_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cores = threads.usable_cores()
    if cores < 2:
        pytest.skip("needs two cores")
    alone = threads.free_cores(samples=7)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        beside = threads.free_cores(samples=7)
    finally:
        spinner.kill()
        spinner.wait()
    assert beside <= alone - 1 or beside == 1


def test_governor_sets_torch_and_rechecks_only_after_a_while(monkeypatch) -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    governor = threads.ThreadGovernor()
    try:
        monkeypatch.setenv("TREEPLAY_THREADS", "1")
        assert governor.tick() == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("TREEPLAY_THREADS", "2")
        assert governor.tick() == 1  # within RECHECK_SECONDS: unchanged
        assert governor.tick(force=True) == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
