"""Tests for flowpose.io.video_writer: odd sizes, bad frames, a full disk, and frames with their own times."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.io.video import open_video
from flowpose.io.video_notes import frame_times
from flowpose.io.video_writer import write_video
from tests.io.test_video import VFR_TIMES, _clip


def test_write_pads_odd_sizes(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=r"odd frame size \(9, 7\) padded to even"):
        write_video(tmp_path / "odd.mp4", [np.full((9, 7, 3), 128, np.uint8)] * 2, fps=5)
    with open_video(tmp_path / "odd.mp4") as video:
        assert video.size == (10, 8) and len(video) == 2


def test_write_errors_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"x\.avi: expected a video path ending in \.mp4, got '\.avi'"):
        write_video(tmp_path / "x.avi", _clip(), fps=10)
    with pytest.raises(InputError, match="no frames to write"):
        write_video(tmp_path / "x.mp4", [], fps=10)
    with pytest.raises(InputError, match=r"frame 1 has size \(16, 16\), the first had \(32, 32\)"):
        write_video(tmp_path / "x.mp4", [_clip()[0], _clip(size=16)[0]], fps=10)
    with pytest.raises(ShapeError, match=r"frame 0 must have shape \(H, W, 3\) uint8, got \(32, 32\)"):
        write_video(tmp_path / "x.mp4", [np.zeros((32, 32), np.uint8)], fps=10)
    with pytest.raises(InputError, match="fps must be a positive number, got 0"):
        write_video(tmp_path / "x.mp4", _clip(), fps=0)
    assert not list(tmp_path.iterdir())


def test_a_video_cut_short_by_the_device_is_not_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenCV's writer reports no failed write; a file that does not hold every frame is an OutputError."""
    from flowpose.errors import OutputError

    real = cv2.VideoWriter

    class DropsFrames:  # as a full disk would: the later frames never reach the file (wraps: no cv2 subclass)
        def __init__(self, *args: object) -> None:
            self.writer, self.written = real(*args), 0

        def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
            return self.writer.isOpened()

        def write(self, image: np.ndarray) -> None:
            self.written += 1
            if self.written <= 2:
                self.writer.write(image)

        def release(self) -> None:
            self.writer.release()

    monkeypatch.setattr(cv2, "VideoWriter", DropsFrames)
    with pytest.raises(OutputError, match=r"x\.mp4: could not be written \(OpenCV wrote 2 of its 5 frames"):
        write_video(tmp_path / "x.mp4", _clip(), fps=10)
    assert not list(tmp_path.iterdir())


def test_frames_with_their_own_times_play_at_them(tmp_path: Path) -> None:
    frames = np.stack([np.full((16, 16, 3), 30 * t, np.uint8) for t in range(8)])
    assert write_video(tmp_path / "v.mp4", iter(frames), fps=20.0, times=VFR_TIMES) == 11  # the 15 fps half twice
    with open_video(tmp_path / "v.mp4") as video:
        assert video.fps == pytest.approx(30.0) and frame_times(video, 0, len(video)) == (None, None)
        shown = np.rint(video.read()[:, 8, 8, 0].astype(float) / 30).astype(int).tolist()
    assert shown == [0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7]
    with pytest.raises(InputError, match=r"w\.mp4: 5 frames for 8 frame times"):
        write_video(tmp_path / "w.mp4", frames[:5], fps=30.0, times=VFR_TIMES)
    assert not (tmp_path / "w.mp4").exists()
