"""Tests of flowpose.app.workers: every result, and a stop that ends the running tasks cleanly and at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from flowpose.app.workers import WorkerLost, run_in_workers


def square(x: int) -> int:
    return x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def killed_on_three(x: int) -> int:
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer ends a process
    return x


def write_then_wait(task: tuple[Path, int]) -> int:
    """Task 0 ends at once; the others hold a half-written file (their process id) for a minute and remove it when
    unwound."""
    folder, k = task
    if k == 0:
        return k
    partial = folder / f"{k}.partial"
    try:
        partial.write_text(str(os.getpid()))
        for _ in range(600):  # short sleeps: Ray's cancel interrupts at the next bytecode, not within one sleep
            time.sleep(0.1)
    finally:
        partial.unlink(missing_ok=True)
    return k


def test_every_result_comes_with_its_index() -> None:
    assert sorted(run_in_workers(square, [1, 2, 3, 4, 5], jobs=2, threads=1)) == [(0, 1), (1, 4), (2, 9), (3, 16),
                                                                                  (4, 25)]


def test_a_task_s_exception_is_raised_and_the_workers_end() -> None:
    before = set(multiprocessing.active_children())
    with pytest.raises(ValueError, match="three"):
        list(run_in_workers(fail_on_three, [1, 2, 3, 4], jobs=2, threads=1))
    assert set(multiprocessing.active_children()) <= before


def test_a_killed_worker_is_worker_lost_and_the_others_end() -> None:
    before = set(multiprocessing.active_children())
    with pytest.raises(WorkerLost, match="a worker process ended abruptly"):
        list(run_in_workers(killed_on_three, [1, 2, 3, 4], jobs=2, threads=1))
    assert set(multiprocessing.active_children()) <= before


@pytest.mark.slow
def test_leaving_early_stops_the_running_tasks_and_their_finally_blocks_run(tmp_path: Path) -> None:
    before = set(multiprocessing.active_children())
    results = run_in_workers(write_then_wait, [(tmp_path, k) for k in range(4)], jobs=2, threads=1)
    assert next(results) == (0, 0)
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("*.partial"))) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob("*.partial")), "a second task should be running"
    start = time.monotonic()
    results.close()  # what a stop signal or an exception in the caller does to the generator
    assert time.monotonic() - start < 30  # not the running task's minute, nor the queued ones'
    assert list(tmp_path.glob("*.partial")) == []  # SIGTERM unwound the task: its finally block ran
    assert set(multiprocessing.active_children()) <= before
