"""Tests of flowpose.app.ray_tasks: stop signals noted, not raised, while the driver waits; tasks stopped cleanly."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from flowpose.app.ray_tasks import _stops_noted, run_on_ray
from flowpose.io.stops import Stopped
from tests.app.test_workers import write_then_wait


def test_a_stop_signal_is_noted_in_the_block_and_the_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with _stops_noted() as stops:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)  # the handler runs at the next bytecode of the main thread
        assert stops == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) == before


def _failed(item: object, error: Exception) -> str:
    return f"lost: {type(error).__name__}"


def deaf_then_wait(task: tuple[Path, int]) -> int:
    """Task 0 ends at once; the others write their process id and then go on through a minute's interrupts, as a task
    does whose interrupt Ray lost."""
    folder, k = task
    if k == 0:
        return k
    (folder / f"{k}.pid").write_text(str(os.getpid()))
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            time.sleep(0.1)
        except KeyboardInterrupt:
            pass
    return k


def ended(pid: int, within_s: float = 5.0) -> bool:
    """Whether process ``pid`` is gone, or goes within ``within_s`` seconds (a worker killed is reaped a moment later)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def die_on_two(k: int) -> str:
    if k == 2:
        os._exit(1)  # the worker dies, as the out-of-memory killer would end it
    return f"ok {k}"


@pytest.mark.slow
def test_a_task_ray_cannot_finish_gets_the_error_result_and_the_others_go_on() -> None:
    ray = pytest.importorskip("ray", reason="Ray is the optional extra flowpose[cluster]; not installed here")
    try:
        results = dict(run_on_ray(die_on_two, [0, 1, 2, 3], "local", on_error=_failed))
    finally:
        ray.shutdown()
    assert results[0] == "ok 0" and results[1] == "ok 1" and results[3] == "ok 3"
    assert results[2].startswith("lost: ") and "Error" in results[2]


@pytest.mark.slow
def test_a_stop_cancels_the_tasks_which_unwind(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is the optional extra flowpose[cluster]; not installed here")
    try:
        results = run_on_ray(write_then_wait, [(tmp_path, k) for k in range(3)], "local", on_error=_failed)
        assert next(results) == (0, 0)
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob("*.partial")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(tmp_path.glob("*.partial")), "a second task should be running"
        os.kill(os.getpid(), signal.SIGTERM)  # noted by the generator, which is waiting at its yield
        start = time.monotonic()
        with pytest.raises(Stopped, match="SIGTERM"):
            next(results)
        assert time.monotonic() - start < 30  # not the tasks' minute
        # Each task unwound (its file removed), or, where Ray lost its interrupt (its cancel is best-effort: one full
        # run of the suite in three), was ended by force: no task goes on writing after a stop
        for partial in tmp_path.glob("*.partial"):
            assert ended(int(partial.read_text())), partial
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_a_task_still_running_after_the_cancel_is_ended_by_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray", reason="Ray is the optional extra flowpose[cluster]; not installed here")
    import flowpose.app.ray_tasks

    monkeypatch.setattr(flowpose.app.ray_tasks, "CANCEL_WAIT_S", 1.0)
    try:
        results = run_on_ray(deaf_then_wait, [(tmp_path, k) for k in range(3)], "local", on_error=_failed)
        assert next(results) == (0, 0)
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
        assert len(pids) == 2, "both tasks should be running"
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(Stopped, match="SIGTERM"):
            next(results)
        assert all(ended(pid) for pid in pids)  # the workers are gone, before Ray is shut down
    finally:
        ray.shutdown()
