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
        assert list(tmp_path.glob("*.partial")) == []
    finally:
        ray.shutdown()
