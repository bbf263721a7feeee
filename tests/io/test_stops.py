"""Tests of flowpose.io.stops: stop signals unwind a run, and a stop whose exception was lost still stops it
before an output is moved into place."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from flowpose.io.atomic import atomic_path
from flowpose.io.outdir import check_output_file, check_output_folder, write_output_folder
from flowpose.io.stops import Stopped, check_stopped, raise_stopped, stop_signals_raise


def test_an_ignored_hangup_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with stop_signals_raise():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def _lose_a_stop() -> None:
    """What CPython did to one stop in twenty sent while an import compiled a module: the handler ran and
    raised, and the exception went nowhere."""
    try:
        raise_stopped(signal.SIGTERM, None)
    except Stopped:
        pass


def test_a_lost_stop_still_leaves_no_output_folder(tmp_path: Path) -> None:
    with stop_signals_raise():
        _lose_a_stop()
        with pytest.raises(Stopped, match="stopped by SIGTERM"):
            write_output_folder(tmp_path / "out", lambda tmp: (tmp / "a.txt").write_text("a"))
    assert os.listdir(tmp_path) == []  # neither the folder nor its temporary one


def test_a_lost_stop_still_leaves_no_output_file(tmp_path: Path) -> None:
    with stop_signals_raise():
        _lose_a_stop()
        with pytest.raises(Stopped, match="stopped by SIGTERM"), atomic_path(tmp_path / "poses.npz") as tmp:
            tmp.write_bytes(b"x")
    assert os.listdir(tmp_path) == []


def test_a_stop_lost_in_the_imports_ends_the_run_at_its_output_check(tmp_path: Path) -> None:
    """Every command checks its output before any work (after its imports, where the stops were lost)."""
    with stop_signals_raise():
        _lose_a_stop()
        with pytest.raises(Stopped):
            check_output_folder(tmp_path / "out", overwrite=False)
        with pytest.raises(Stopped):
            check_output_file(tmp_path / "poses.npz", overwrite=False, is_ours=lambda p: False)


def test_the_note_belongs_to_one_run(tmp_path: Path) -> None:
    with stop_signals_raise():
        _lose_a_stop()
    check_stopped()  # the run is over: nothing to raise
    with stop_signals_raise():
        check_stopped()  # a new run starts clean
        write_output_folder(tmp_path / "out", lambda tmp: (tmp / "a.txt").write_text("a"))
    assert (tmp_path / "out" / "a.txt").read_text() == "a"
