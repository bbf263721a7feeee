"""A followed person carried along the optical flow through the frames their detector missed.

A track has holes: frames where the detector found nobody at the person's place, or found a body made of two
people and the track refused it. For a hole of frames a..b (at most ``max_gap`` long) the keypoints of the
last frame seen before it, a-1, are moved frame by frame along the forward flow, those of the first frame
seen after it, b+1, along the backward flow, and the two chains are blended linearly in time:

    x_t = (1 - w_t) x_t^fwd + w_t x_t^bwd,   w_t = (t - (a-1)) / ((b+1) - (a-1))

so that each end agrees with the frame it touches. A hole at the video's start or end has one chain only.
Longer holes stay unobserved: flow drifts, and after many frames a limb it carries may be another person's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from flowpose.errors import ShapeError

Motion = Callable[[int, np.ndarray], np.ndarray]
"""``motion(t, points)``: (N, 2) px points of frame t moved to frame t+1 (forward) or, for a backward
motion, points of frame t+1 moved to frame t."""


def holes(seen: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """The runs of unseen frames (a, b), inclusive, of at most ``max_gap`` frames, next to a seen frame.

    Example:
        >>> holes(np.array([0, 1, 1, 0, 0, 1, 0]).astype(bool), 2)
        [(0, 0), (3, 4), (6, 6)]
    """
    out = []
    T = len(seen)
    t = 0
    while t < T:
        if seen[t]:
            t += 1
            continue
        a = t
        while t < T and not seen[t]:
            t += 1
        b = t - 1
        if b - a + 1 <= max_gap and (a > 0 or b < T - 1):
            out.append((a, b))
    return out


def carry_keypoints(
    keypoints: np.ndarray, seen: np.ndarray, forward: Motion, backward: Motion, max_gap: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fill the holes of a track's keypoints along the flow (module docstring).

    Args:
        keypoints: (T, J, 2) px; rows of unseen frames are ignored, NaN joints of seen frames stay NaN.
        seen: (T,) bool, the frames the detector gave.
        forward: moves points from frame t to t+1.
        backward: moves points from frame t+1 to t.
        max_gap: longest hole carried, frames.

    Returns:
        (T, J, 2) keypoints with the carried holes filled, and (T,) bool, the frames carried.
    """
    T = keypoints.shape[0]
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2 or seen.shape != (T,):
        raise ShapeError("keypoints, seen", "(T, J, 2) and (T,)", (keypoints.shape, seen.shape))
    out = keypoints.astype(np.float64).copy()
    carried = np.zeros(T, bool)
    for a, b in holes(seen, max_gap):
        span = range(a, b + 1)
        fwd = bwd = None
        if a > 0:
            fwd, p = {}, out[a - 1]
            for t in span:
                p = _move(forward, t - 1, p)
                fwd[t] = p
        if b < T - 1:
            bwd, p = {}, out[b + 1]
            for t in reversed(span):
                p = _move(backward, t, p)
                bwd[t] = p
        for t in span:
            if fwd is None:
                out[t] = bwd[t]
            elif bwd is None:
                out[t] = fwd[t]
            else:
                w = (t - (a - 1)) / ((b + 1) - (a - 1))
                out[t] = (1 - w) * fwd[t] + w * bwd[t]
        carried[a : b + 1] = True
    return out, carried


def _move(motion: Motion, t: int, points: np.ndarray) -> np.ndarray:
    """Points moved by ``motion`` at pair t; NaN points stay NaN."""
    moved = np.full_like(points, np.nan)
    ok = np.isfinite(points).all(-1)
    if ok.any():
        moved[ok] = motion(t, points[ok])
    return moved


def interpolate_holes(values: np.ndarray, seen: np.ndarray, carried: np.ndarray) -> np.ndarray:
    """Values of the carried frames interpolated linearly in time between the seen frames (held at the ends).

    Args:
        values: (T, ...) per-frame values (e.g. root-relative 3D joints); unseen rows are ignored.
        seen: (T,) bool.
        carried: (T,) bool, the frames to fill.

    Returns:
        A copy with the carried rows filled (NaN entries of the seen neighbours give NaN).
    """
    out = np.array(values, dtype=np.float64)
    frames = np.flatnonzero(seen)
    if len(frames) == 0:
        return out
    flat = out.reshape(len(out), -1)
    for t in np.flatnonzero(carried):
        after = np.searchsorted(frames, t)
        lo = frames[max(after - 1, 0)]
        hi = frames[min(after, len(frames) - 1)]
        w = 0.0 if hi == lo else (t - lo) / (hi - lo)
        flat[t] = (1 - w) * flat[lo] + w * flat[hi]
    return out
