"""``flowpose estimate`` (and ``refine --estimate``): without the optional MediaPipe, and with it, one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.common import T, assert_user_error, refine_args, run, snapshot


def test_estimate_without_mediapipe(work: Path) -> None:
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("mediapipe is installed here")
    (work / "video.poses.npz").unlink()
    before = snapshot(work)
    assert_user_error(run(*refine_args(work, "--estimate")), "flowpose[estimate]")
    assert_user_error(run("estimate", work / "video.mp4"), "flowpose[estimate]")
    assert snapshot(work) == before


@pytest.mark.slow
def test_estimate_error_is_one_line_in_a_real_process(work: Path) -> None:
    """With MediaPipe: its C++ log lines (absl, to file descriptor 2) do not reach the terminal either."""
    pytest.importorskip("mediapipe", reason="the optional estimator flowpose[estimate]")
    proc = subprocess.run(
        [sys.executable, "-m", "flowpose.cli", "estimate", str(work / "video.mp4"), "--quiet", "--out",
         str(work / "found.npz")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"error: {work / 'video.mp4'}: MediaPipe found no person followed through any of its {T} frames "
        "(try --track or a lower --min-confidence)"
    ]
    assert not (work / "found.npz").exists()


def test_a_person_with_everyone_is_refused_before_anything_runs(work: Path) -> None:
    before = snapshot(work)
    assert_user_error(run("estimate", work / "video.mp4", "--all-people", "--person", "1"),
                      "--person: not used with --all-people")
    assert snapshot(work) == before


@pytest.mark.parametrize("value", ["2", "-0.1"])
def test_a_confidence_outside_0_to_1_names_its_option(work: Path, value: str) -> None:
    before = snapshot(work)
    assert_user_error(run("estimate", work / "video.mp4", "--min-confidence", value), "'--min-confidence'",
                      "0<=x<=1")
    assert snapshot(work) == before
