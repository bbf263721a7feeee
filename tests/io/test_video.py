"""Tests for flowpose.io.video: reading files and image folders, segments, rotation, errors and a real clip's metadata."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.video import FileVideoReader, ImageFolderReader, VideoSegment, open_video
from flowpose.io.video_notes import frame_times, listed_note, rotation_note, truncation_note
from flowpose.io.video_writer import write_video
from tests.conftest import shared_path


def _clip(n: int = 5, size: int = 32) -> np.ndarray:
    """Smooth frames (colour gradients and a moving square) that survive lossy coding."""
    yy, xx = np.mgrid[0:size, 0:size]
    frames = np.zeros((n, size, size, 3), np.uint8)
    for t in range(n):
        frames[t, ..., 0] = 4 * xx + 20 * t
        frames[t, ..., 1] = 4 * yy
        frames[t, ..., 2] = 60
        frames[t, 8 + t : 16 + t, 8:16] = [250, 250, 250]
    return frames


def test_write_then_read(tmp_path: Path) -> None:
    frames = _clip()
    path = tmp_path / "clip.mp4"
    assert write_video(path, iter(frames), fps=12.0) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]
    with open_video(path) as video:
        assert isinstance(video, FileVideoReader)
        assert len(video) == 5 and video.size == (32, 32) and video.fps == pytest.approx(12.0)
        assert repr(video) == f"FileVideoReader({str(path)!r}, 5 frames of 32x32 px, 12 fps)"
        assert repr(video.segment(1, 3)) == (
            f"VideoSegment({str(path)!r}, 2 frames of 32x32 px, 12 fps, frames 1 to 2 of FileVideoReader)")
        decoded = video.read()
        assert decoded.shape == (5, 32, 32, 3) and decoded.dtype == np.uint8
        err = np.abs(decoded.astype(int) - frames.astype(int))
        assert err.mean() < 6.0  # lossy mp4v
        # RGB order survives: the red channel carries the horizontal ramp
        assert decoded[0, 16, 30, 0] > decoded[0, 16, 1, 0] + 80
        # random access, backwards and negative, gives the same frames as the sequential read
        np.testing.assert_array_equal(video[3], decoded[3])
        np.testing.assert_array_equal(video[1], decoded[1])
        np.testing.assert_array_equal(video[-1], decoded[4])
        np.testing.assert_array_equal(np.stack(list(video)), decoded)
        np.testing.assert_array_equal(video.read(2, 4), decoded[2:4])
        with pytest.raises(IndexError, match="frame 5 out of range for a video of 5 frames"):
            video[5]
        with pytest.raises(InputError, match=r"cannot read frames \[3, 9\) of a video of 5 frames"):
            video.read(3, 9)


def test_a_segment_is_a_lazy_video_of_its_own(tmp_path: Path) -> None:
    """Frames [2, 6) of a video: its frames, rate, size and clock, decoded on demand by the video's reader."""
    variable_rate_mp4(tmp_path / "vfr.mp4", _clip(n=8))
    with open_video(tmp_path / "vfr.mp4") as video:
        whole = video.read()
        assert video.segment(0, 8) is video
        part = video.segment(2, 6)
        assert isinstance(part, VideoSegment) and len(part) == 4
        assert (part.path, part.fps, part.size, part.fps_known, part.rotation) == (
            video.path, video.fps, video.size, True, 0)
        np.testing.assert_array_equal(part[0], whole[2])
        np.testing.assert_array_equal(part[-1], whole[5])
        np.testing.assert_array_equal(part.read(), whole[2:6])
        np.testing.assert_array_equal(part.read(1, 3), whole[3:5])
        np.testing.assert_allclose(part.times_ms(0, 4), video.times_ms(2, 6))
        np.testing.assert_allclose(frame_times(part, 0, 4)[0], VFR_TIMES[2:6], atol=1e-3)
        with pytest.raises(IndexError, match="frame 4 out of range for a video of 4 frames"):
            part[4]
        part.close()  # the segment's reader stays open: its owner closes it
        np.testing.assert_array_equal(video[7], whole[7])
        for start, stop in ((3, 3), (-1, 2), (5, 9)):
            with pytest.raises(InputError, match=rf"vfr\.mp4: no frames \[{start}, {stop}\) in a video of 8 frames"):
                video.segment(start, stop)
    with open_video(tmp_path / "vfr.mp4", fps=24.0) as video:  # a rate given holds for the segment too
        part = video.segment(1, 3)
        assert part.rate_given and part.fps == 24.0 and frame_times(part, 0, 2) == (None, None)


def test_folder_of_pngs_in_natural_order(tmp_path: Path) -> None:
    frames = _clip(n=3)
    for t, name in enumerate(["f2.png", "f10.png", "f100.jpg"]):
        path = str(tmp_path / name)
        cv2.imwrite(path, cv2.cvtColor(frames[t], cv2.COLOR_RGB2BGR))
    (tmp_path / "notes.txt").write_text("ignored")
    with open_video(tmp_path, fps=25.0) as video:
        assert isinstance(video, ImageFolderReader)
        assert len(video) == 3 and video.size == (32, 32) and video.fps == 25.0
        np.testing.assert_array_equal(video[0], frames[0])  # png is lossless, and RGB
        np.testing.assert_array_equal(video[1], frames[1])
        assert np.abs(video[2].astype(int) - frames[2]).mean() < 3  # jpg
    assert open_video(tmp_path).fps == 30.0
    assert repr(open_video(tmp_path)) == f"ImageFolderReader({str(tmp_path)!r}, 3 frames of 32x32 px, 30 fps (assumed))"
    assert open_video(tmp_path, fps=25.0).fps_known and not open_video(tmp_path).fps_known  # a folder has no rate


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no images \(\.png, \.jpg, \.jpeg, \.bmp\) in this folder") as info:
        open_video(tmp_path)
    assert str(info.value).startswith(str(tmp_path))
    cv2.imwrite(str(tmp_path / "a1.png"), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "a2.png"), np.zeros((8, 9, 3), np.uint8))
    (tmp_path / "a3.png").write_bytes(b"not a png")
    video = open_video(tmp_path)
    with pytest.raises(InputError, match=r"a2\.png: image size \(8, 9\) differs from the first, \(8, 8\)"):
        video[1]
    with pytest.raises(InputError, match=r"a3\.png: not a readable image"):
        video[2]


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"none\.mp4: no such video file or image folder"):
        open_video(tmp_path / "none.mp4")
    bad = tmp_path / "random.mp4"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(InputError, match=r"random\.mp4: not a readable video") as info:
        open_video(bad)
    assert str(info.value).startswith(str(bad))
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match="a single image, not a video; pass the folder"):
        open_video(image)
    with pytest.raises(InputError, match="fps must be a positive number, got -1"):
        open_video(tmp_path, fps=-1)


@pytest.mark.needs_shared
def test_h36m_clip_metadata() -> None:
    with open_video(shared_path("data", "video", "h36m_clip.mp4")) as video:
        assert len(video) == 399
        assert video.fps == pytest.approx(50.0)
        assert video.size == (1002, 1000)
        frame = video[1]
        assert frame.shape == (1002, 1000, 3) and frame.dtype == np.uint8
        assert 10 < frame.mean() < 245  # a real picture, not a blank frame


def _box(data: bytearray, name: bytes, start: int = 0, end: int | None = None, parents: tuple = ()) -> tuple:
    """(offset, size, offsets of its parent boxes) of the first MP4 box ``name`` (depth first)."""
    end = len(data) if end is None else end
    while start < end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        if kind == name:
            return start, size, parents
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"):
            found = _box(data, name, start + 8, start + size, (*parents, start))
            if found:
                return found
        start += size
    return ()


def variable_rate_mp4(path: Path, frames: np.ndarray) -> None:
    """An mp4 whose second half plays at half the first's rate: its time-to-sample table (``stts``) given two
    entries, the durations stretched to match. OpenCV writes the index after the frames, so no offset moves."""
    write_video(path, frames, fps=30.0)
    data = bytearray(path.read_bytes())
    at, size, parents = _box(data, b"stts")
    count, delta = struct.unpack(">II", data[at + 16 : at + 24])
    half = count // 2
    data[at : at + size] = struct.pack(">I4sIIIIII", 32, b"stts", 0, 2, half, delta, count - half, 2 * delta)
    for parent in parents:
        data[parent : parent + 4] = struct.pack(">I", struct.unpack(">I", data[parent : parent + 4])[0] + 8)
    stretch = (half + 2 * (count - half)) / count
    for name, field in ((b"mdhd", 24), (b"mvhd", 24), (b"tkhd", 28), (b"elst", 16)):
        at = _box(data, name)[0]
        value = struct.unpack(">I", data[at + field : at + field + 4])[0]
        data[at + field : at + field + 4] = struct.pack(">I", round(value * stretch))
    path.write_bytes(bytes(data))


ROTATIONS = {90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}
"""Degrees -> the (a, b, c, d) of an MP4 track header's display matrix [[a, b], [c, d]] (16.16 fixed point)."""


def rotated_mp4(path: Path, frames: np.ndarray, degrees: int) -> None:
    """An mp4 of ``frames`` whose track header says to show them turned by ``degrees``, as phones store
    portrait video: the display matrix in ``tkhd`` (version 0) set, the frames left as coded."""
    write_video(path, frames, fps=30.0)
    data = bytearray(path.read_bytes())
    at = _box(data, b"tkhd")[0]
    matrix = at + 48  # size, type, version/flags, 2 times, track, reserved, duration, 8 reserved, 4 shorts
    a, b, c, d = (v * 0x10000 for v in ROTATIONS[degrees])
    data[matrix : matrix + 36] = struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))


def test_a_rotated_video_is_read_upright_and_told(tmp_path: Path) -> None:
    frames = np.zeros((4, 32, 48, 3), np.uint8)
    frames[:, :, :8] = 250  # a bright band down the stored frames' left edge
    rotated_mp4(tmp_path / "r90.mp4", frames, 90)
    with open_video(tmp_path / "r90.mp4") as video:
        assert video.rotation == 90 and video.size == (48, 32)  # upright: portrait
        assert repr(video).endswith("4 frames of 32x48 px, 30 fps, stored turned by 90°, read upright)")
        upright = video[0][..., 0] > 128
        assert upright[:8].all() and not upright[12:].any()  # the band turned a quarter: along the top
        assert rotation_note(video) == (
            f"{tmp_path / 'r90.mp4'}: stored rotated by 90° (its rotation metadata); flowpose reads its frames upright, "
            "32x48: poses, keypoints and K of another tool must be of upright frames too (one that ignored the "
            "rotation gives them for 48x32 frames)")
    rotated_mp4(tmp_path / "r180.mp4", frames, 180)
    with open_video(tmp_path / "r180.mp4") as video:
        assert video.rotation == 180 and video.size == (32, 48) and rotation_note(video).endswith("upside down)")
    write_video(tmp_path / "plain.mp4", frames, fps=30.0)
    with open_video(tmp_path / "plain.mp4") as video:
        assert video.rotation == 0 and rotation_note(video) is None


def cut_avi(path: Path, frames: np.ndarray, share: float, fps: float = 10.0) -> None:
    """(T, H, W, 3) RGB ``frames`` as an MJPG AVI cut after ``share`` of its bytes, as a download that stopped: its
    header lists all T frames, the frames past the cut do not decode."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (frames.shape[2], frames.shape[1]))
    for frame in frames:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])


def test_a_cut_video_reads_the_frames_that_decode_and_tells_what_its_container_lists(tmp_path: Path) -> None:
    frames = _clip(20)
    cut_avi(tmp_path / "cut.avi", frames, 0.7)
    with open_video(tmp_path / "cut.avi") as video:
        n = len(video)
        assert 2 <= n < 20 and video.listed_frames == 20
        assert video.read().shape == (n, 32, 32, 3)
        told = (f"{tmp_path / 'cut.avi'}: its container lists 20 frames, and {n} decode (a cut or damaged file?); "
                f"flowpose reads those {n}")
        assert truncation_note(video) == told and truncation_note(video.segment(1, 2)) == told
        assert listed_note(video) == "; its container lists 20 frames: a cut or damaged file?"
    cut_avi(tmp_path / "whole.avi", frames, 1.0)
    with open_video(tmp_path / "whole.avi") as video:
        assert len(video) == 20 and video.listed_frames is None
        assert truncation_note(video) is None and listed_note(video) == ""


VFR_TIMES = np.array([0, 1, 2, 3, 4, 6, 8, 10]) / 30.0
"""The frame times of ``variable_rate_mp4`` of 8 frames, seconds: 4 frames at 30 fps, then 4 at 15."""


