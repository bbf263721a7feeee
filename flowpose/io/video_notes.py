"""What flowpose tells of a video whose frames another tool may have counted differently: its clock (a variable
frame rate), its rate against the poses', its rotation metadata, and the frames its container lists that do not
decode."""

from __future__ import annotations

import math

import numpy as np

from flowpose.io.video import VideoReader, VideoSegment

UNEVEN_INTERVAL = 0.1
"""A video file's frames are evenly spaced in time when its intervals between frames differ by at most this share of
the shortest (or by 1.5 ms, the rounding of containers that count milliseconds); phone videos often have a variable
frame rate, and then the per-second motion priors take each interval's own length from the timestamps."""


def uneven_timing(times_ms: np.ndarray) -> str | None:
    """How frames whose timestamps are not evenly spaced are spaced, or None when they are (or cannot say).

    Args:
        times_ms: (N,) the frames' presentation times, ms, NaN where unknown.

    Example:
        >>> uneven_timing(np.arange(5) * 33.3) is None
        True
        >>> uneven_timing(np.array([0.0, 33.3, 66.7, 133.3, 200.0]))
        'a variable frame rate: 33.3 to 66.7 ms between frames'
        >>> uneven_timing(np.array([0.0, 8.0, 17.0, 25.0, 33.0])) is None  # milliseconds, rounded
        True
    """
    dt = np.diff(np.asarray(times_ms, np.float64))
    if len(dt) < 2 or not np.isfinite(dt).all() or (dt <= 0).any():
        return None
    if dt.max() - dt.min() <= max(UNEVEN_INTERVAL * dt.min(), 1.5):
        return None
    return f"a variable frame rate: {dt.min():.1f} to {dt.max():.1f} ms between frames"


def frame_times(
    reader: VideoReader, start: int, stop: int, poses_times: np.ndarray | None = None
) -> tuple[np.ndarray | None, str | None]:
    """The times to refine frames ``[start, stop)`` of ``reader`` with, and a line for the user when they are uneven.

    A phone video's frames are often not evenly spaced in time (a variable frame rate); the pose stage's
    temporal terms are per second, so such frames are refined with each interval's own length
    (``PoseSequence.times``) rather than as evenly spaced at ``reader.fps``. Poses and video match frame for
    frame, so a video with a clock decides; one without (an image folder) keeps the poses' own; a rate given by
    the caller (``reader.rate_given``) spaces the frames evenly.

    Args:
        reader: the video.
        start: first frame.
        stop: one past the last.
        poses_times: the poses' own times (their file's ``times``), seconds, or None.

    Returns:
        ((stop - start,) seconds from the video's start, or None for evenly spaced frames; None or the line).
    """
    if reader.rate_given:
        return None, None
    ms = reader.times_ms(start, stop)
    if ms is None:
        return poses_times, None
    problem = uneven_timing(ms)
    if problem is None:
        return None, None
    return ms / 1000.0, (f"{reader.path}: {problem}; the poses carry each frame's time from its timestamps "
                         "(times), and the motion priors take each interval's own length from them")


def rotation_note(reader: VideoReader) -> str | None:
    """A line for a video stored rotated (phone video's rotation metadata), or None for one stored upright.

    flowpose reads such frames upright, as players show them; poses, 2D keypoints and a camera K that another tool
    made from the stored frames, ignoring the rotation, do not match them, and nothing else would tell.
    """
    if reader.rotation == 0:
        return None
    H, W = reader.size
    ignored = "upside down" if reader.rotation == 180 else f"for {H}x{W} frames"
    return (f"{reader.path}: stored rotated by {reader.rotation}° (its rotation metadata); flowpose reads its frames "
            f"upright, {W}x{H}: poses, keypoints and K of another tool must be of upright frames too (one that "
            f"ignored the rotation gives them {ignored})")


def listed_note(reader: VideoReader) -> str:
    """What ends a message that gives a video's frame count where its container lists more frames than decode (a cut
    or damaged file; :attr:`~flowpose.io.video.VideoReader.listed_frames`): another tool counts those; else ``""``.

    Example:
        >>> from pathlib import Path
        >>> class Cut(VideoReader):
        ...     listed_frames = 120
        ...     def __len__(self): return 73
        ...     def _frame(self, index): return np.zeros((2, 2, 3), np.uint8)
        >>> listed_note(Cut(Path("cut.avi"), 50.0, (2, 2)))
        '; its container lists 120 frames: a cut or damaged file?'
    """
    if reader.listed_frames is None:
        return ""
    return f"; its container lists {reader.listed_frames} frames: a cut or damaged file?"


def truncation_note(reader: VideoReader) -> str | None:
    """A line for a video whose container lists more frames than decode (a cut or damaged file), or None.

    Poses or keypoints another tool made from the whole file have its listed count; flowpose reads the frames that
    decode, and says so before a run's results are taken for the whole video's.
    """
    if reader.listed_frames is None:
        return None
    decoded = len(reader.reader) if isinstance(reader, VideoSegment) else len(reader)
    return (f"{reader.path}: its container lists {reader.listed_frames} frames, and {decoded} decode (a cut or damaged "
            f"file?); flowpose reads those {decoded}")


def rate_for(fps: float, reader: VideoReader, source: str) -> tuple[float, str | None]:
    """The frame rate of poses refined on ``reader``'s frames, and a note when it is not the poses' own.

    Poses and video match frame for frame, so the video's rate is the poses' too; it sets the strength of the
    pose stage's temporal terms, which are per second (at half the true rate, L_vel is 4 and L_acc 16 times
    weaker). Where the video has no rate of its own (an image folder), the poses' is kept.

    Args:
        fps: the poses' frame rate (their file's ``fps``; 30 where it has none).
        reader: the video.
        source: the poses' file, named in the note.

    Returns:
        (frames per second, None or a line for the user).
    """
    if not reader.fps_known or math.isclose(fps, reader.fps, rel_tol=2e-3):
        return fps, None
    return reader.fps, (f"{source}: {fps:g} fps (its fps; 30 where it gives none), but {reader.path} plays at "
                        f"{reader.fps:g}: the video's rate is used (the motion priors are per second)")
