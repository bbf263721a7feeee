"""Frames of a variable frame rate played at their own times from a constant-rate mp4.

An mp4 written with OpenCV has one frame rate. Frames whose presentation times are unevenly spaced (phone video,
``PoseSequence.times``) written one each would play evenly: a pause of the camera would vanish and the motion
around it would look faster than it was. Instead each frame is written as many times as its interval spans at a
rate fine enough for the shortest interval, so the video plays every frame at its own time (to one tick) and
drops none.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from flowpose.errors import InputError
from flowpose.pose import checked_times

MAX_TICKS_PER_FRAME = 4.0
"""The written rate is at most this many times the frames' mean rate (a cap on the file's size when one interval is
much shorter than the rest); a frame whose interval is shorter than a tick still shows for one tick."""


def playback_schedule(times: np.ndarray | None, fps: float) -> tuple[float, np.ndarray]:
    """The constant rate to write frames at, and how many times to write each, so they play at their own times.

    Args:
        times: (T,) seconds, each frame's presentation time, increasing; or None for frames evenly spaced at
            ``fps``.
        fps: frames per second of evenly spaced frames (used when ``times`` is None or has fewer than 2 frames).

    Returns:
        (the written video's frames per second, (T,) int64 counts >= 1: frame t is written counts[t] times).
        Frame t starts at tick sum(counts[:t]), which is ``round((times[t] - times[0]) * rate)`` wherever earlier
        intervals were at least a tick long; the last frame shows for one tick.

    Raises:
        InputError: for times that do not increase or a rate that is not positive.

    Example:
        >>> playback_schedule(np.array([0.0, 1 / 30, 2 / 30, 4 / 30, 5 / 30]), 30.0)
        (30.0, array([1, 1, 2, 1, 1]))
        >>> playback_schedule(None, 25.0)[0]
        25.0
    """
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a positive number, got {fps}")
    if times is None or len(times) < 2:
        return float(fps), np.ones(0 if times is None else len(times), np.int64)
    times = checked_times(times, len(times))
    dt = np.diff(times)
    mean_rate = len(dt) / (times[-1] - times[0])
    rate = round(float(min(1.0 / dt.min(), MAX_TICKS_PER_FRAME * mean_rate)), 3)
    starts = np.rint((times[1:] - times[0]) * rate).astype(np.int64)
    counts = np.ones(len(times), np.int64)
    shown = 0
    for t, start in enumerate(starts):
        counts[t] = max(1, int(start) - shown)
        shown += counts[t]
    return rate, counts


def repeat_frames(frames: Iterable[np.ndarray], counts: np.ndarray | None, where: str) -> Iterator[np.ndarray]:
    """Each frame of ``frames`` ``counts[t]`` times (each once when ``counts`` is None), one at a time.

    Raises:
        InputError: when ``frames`` and ``counts`` differ in length (the message begins with ``where``, the file
            being written).
    """
    n = 0
    for n, frame in enumerate(frames, start=1):
        if counts is not None and n > len(counts):
            raise InputError(f"{where}: more frames than the {len(counts)} frame times given")
        for _ in range(1 if counts is None else int(counts[n - 1])):
            yield frame
    if counts is not None and n != len(counts):
        raise InputError(f"{where}: {n} frames for {len(counts)} frame times")
