"""Tests for flowpose.io.video_notes: the poses take the video's rate, and a variable frame rate's times."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.io.video import open_video
from flowpose.io.video_notes import frame_times, rate_for, uneven_timing
from flowpose.io.video_writer import write_video
from tests.io.test_video import VFR_TIMES, _clip, variable_rate_mp4


def test_the_poses_take_the_video_s_rate(tmp_path: Path) -> None:
    write_video(tmp_path / "v.mp4", _clip(), fps=12.0)
    with open_video(tmp_path / "v.mp4") as video:
        assert video.fps_known
        assert rate_for(12.0, video, "p.npz") == (12.0, None)
        fps, note = rate_for(30.0, video, "p.npz")
        assert fps == pytest.approx(12.0)
        assert note == f"p.npz: 30 fps (its fps; 30 where it gives none), but {tmp_path / 'v.mp4'} plays at " \
            f"{video.fps:g}: the video's rate is used (the motion priors are per second)"
    cv2.imwrite(str(tmp_path / "f0.png"), _clip()[0])
    with open_video(tmp_path) as folder:
        assert rate_for(30.0, folder, "p.npz") == (30.0, None)  # a folder: the poses' rate stands


def test_frame_times_of_a_variable_frame_rate(tmp_path: Path) -> None:
    variable_rate_mp4(tmp_path / "vfr.mp4", _clip(n=8))
    with open_video(tmp_path / "vfr.mp4") as video:
        assert len(video) == 8
        times, note = frame_times(video, 0, 8)  # before any frame is decoded: a pass of its own
        np.testing.assert_allclose(times, VFR_TIMES, atol=1e-3)
        assert note == (f"{tmp_path / 'vfr.mp4'}: a variable frame rate: 33.3 to 66.7 ms between frames; the poses "
                        "carry each frame's time from its timestamps (times), and the motion priors take each "
                        "interval's own length from them")
        video.read(2, 7)  # the times recorded while decoding are the same
        np.testing.assert_allclose(video.times_ms(2, 7), 1000 * VFR_TIMES[2:7], atol=1)
        np.testing.assert_allclose(frame_times(video, 3, 8)[0], VFR_TIMES[3:], atol=1e-3)
        assert frame_times(video, 0, 4) == (None, None)  # the first four are evenly spaced
    with open_video(tmp_path / "vfr.mp4", fps=24.0) as video:  # a rate given spaces them evenly
        assert video.rate_given and frame_times(video, 0, 8, VFR_TIMES) == (None, None)
    write_video(tmp_path / "cfr.mp4", _clip(n=8), fps=30.0)
    with open_video(tmp_path / "cfr.mp4") as video:
        assert frame_times(video, 0, 8, VFR_TIMES) == (None, None)  # the video's clock decides


def test_image_folders_keep_the_poses_times(tmp_path: Path) -> None:
    for t, frame in enumerate(_clip(n=4)):
        cv2.imwrite(str(tmp_path / f"f{t}.png"), frame)
    with open_video(tmp_path) as folder:
        assert folder.times_ms(0, 4) is None
        assert frame_times(folder, 0, 4) == (None, None)
        own = np.array([0.0, 0.1, 0.3, 0.4])
        assert frame_times(folder, 0, 4, own)[0] is own
    with open_video(tmp_path, fps=24.0) as folder:  # unless a rate is given
        assert frame_times(folder, 0, 4, own) == (None, None)


def test_uneven_timing_needs_usable_timestamps() -> None:
    assert uneven_timing(np.array([0.0, 33.3])) is None  # one interval says nothing
    assert uneven_timing(np.array([0.0, np.nan, 66.7, 100.0])) is None
    assert uneven_timing(np.array([0.0, 33.3, 33.3, 66.7])) is None  # a repeated timestamp: not a clock
    assert uneven_timing(np.array([0.0, 33.3, 70.0, 103.3])) is not None
