"""Atomic mp4 writing with OpenCV: a video appears whole, with every frame, or not at all."""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from flowpose.errors import InputError, OutputError, ShapeError
from flowpose.io.atomic import atomic_path
from flowpose.io.playback import playback_schedule, repeat_frames


def write_video(
    path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float, times: np.ndarray | None = None
) -> int:
    """Write RGB frames to an ``.mp4`` (MPEG-4 Part 2, fourcc ``mp4v``) atomically.

    Frames with their own presentation times (``times``: a variable frame rate) are written at a constant rate,
    each repeated for as many ticks as its interval spans (:func:`flowpose.io.playback.playback_schedule`), so the
    video plays them at their own times.

    MPEG-4 needs even frame sizes (OpenCV silently crops odd ones); an odd height or width is instead padded
    by repeating the last row or column, with a warning.

    Args:
        path: destination ending in ``.mp4``.
        frames: (H, W, 3) uint8 RGB frames, all the same size; consumed one at a time.
        fps: frames per second (of evenly spaced frames; with ``times`` the rate is chosen from them).
        times: (T,) seconds, each frame's presentation time, or None for frames evenly spaced at ``fps``.

    Returns:
        The number of frames in the file (with ``times``, repeats included).

    Raises:
        InputError: for another suffix, a bad fps, no frames, or a frame of another size; nothing is written.
        OutputError: when the file written does not hold every frame (a full disk); nothing is left.
        ShapeError: for a frame that is not (H, W, 3) uint8.
    """
    p = Path(path)
    if p.suffix.lower() != ".mp4":
        raise InputError(f"{p}: expected a video path ending in .mp4, got {p.suffix or 'no suffix'!r}")
    if not (math.isfinite(fps) and fps > 0):
        raise InputError(f"{p}: fps must be a positive number, got {fps}")
    counts = None
    if times is not None:
        try:
            fps, counts = playback_schedule(times, fps)
        except InputError as error:
            raise InputError(f"{p}: {error}") from None
    frames = repeat_frames(frames, counts, str(p))
    count, writer, size, pad = 0, None, None, (0, 0)
    with atomic_path(p) as tmp:
        try:
            for frame in frames:
                frame = np.asarray(frame)
                if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
                    raise ShapeError(f"frame {count}", "(H, W, 3) uint8", frame.shape, str(p))
                if writer is None:
                    size = frame.shape[:2]
                    pad = (size[0] % 2, size[1] % 2)
                    if any(pad):
                        warnings.warn(f"{p}: odd frame size {size} padded to even for MPEG-4", stacklevel=2)
                    width, height = size[1] + pad[1], size[0] + pad[0]
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
                    if not writer.isOpened():
                        raise InputError(f"{p}: OpenCV cannot write an mp4v video of size {size}")
                elif frame.shape[:2] != size:
                    raise InputError(f"{p}: frame {count} has size {frame.shape[:2]}, the first had {size}")
                if any(pad):
                    frame = np.pad(frame, ((0, pad[0]), (0, pad[1]), (0, 0)), mode="edge")
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
                count += 1
        finally:
            if writer is not None:
                writer.release()
        if count == 0:
            raise InputError(f"{p}: no frames to write")
        _check_written(tmp, p, count)
    return count


def _check_written(tmp: Path, final: Path, count: int) -> None:
    """OpenCV's writer reports no failed write (a full disk leaves a video cut short or without its index):
    read the written file's frame count back before it is moved into place."""
    capture = cv2.VideoCapture(str(tmp))
    try:
        found = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    finally:
        capture.release()
    if found != count:
        raise OutputError(final, f"OpenCV wrote {found} of its {count} frames, is the disk full?")
