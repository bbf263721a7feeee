"""Runs of consecutive frames, and how a line for the user lists them (``3-5, 40, and 2 more runs``)."""

from __future__ import annotations

import numpy as np


def frame_runs(flags: np.ndarray, first_frame: int = 0) -> list[tuple[int, int]]:
    """Runs of consecutive True frames of a (T,) bool array, as inclusive (first, last) frame numbers counted from
    ``first_frame``.

    Example:
        >>> frame_runs(np.array([1, 1, 0, 1, 0, 0, 1], bool), first_frame=10)
        [(10, 11), (13, 13), (16, 16)]
    """
    padded = np.concatenate([[False], np.asarray(flags, bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(first_frame + int(a), first_frame + int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def runs_text(flags: np.ndarray, first_frame: int = 0, max_runs: int = 6) -> str:
    """The True frames of a (T,) bool array as a user reads them: each run ``a-b`` (or ``a``), up to ``max_runs``
    runs, the rest counted.

    Example:
        >>> runs_text(np.array([1, 1, 1, 0, 1, 0, 1, 0, 1], bool), first_frame=3, max_runs=2)
        '3-5, 7, and 2 more runs'
    """
    runs = frame_runs(flags, first_frame)
    shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs[:max_runs])
    return shown + (f", and {len(runs) - max_runs} more runs" if len(runs) > max_runs else "")
