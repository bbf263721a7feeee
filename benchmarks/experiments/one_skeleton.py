"""Ways of giving a video refined in parts one skeleton, for ``refine_parts.py`` and ``parts_long_clip.py``.

:func:`flowpose.refinement.parts.one_body` lays each bone at its median length along its joined direction from the
root. Beside it: the parts as joined (:func:`bones_as_joined`), and two other layings with the same median lengths,
tried and not kept (:func:`least`, :func:`rays`).
"""

from __future__ import annotations

import contextlib

import numpy as np

from flowpose.refinement import parts as parts_module
from flowpose.skeleton import H36M17


@contextlib.contextmanager
def bones_as_joined():
    """Parts joined without :func:`~flowpose.refinement.parts.one_body` (the refinement in parts before it)."""
    kept = parts_module.one_body
    parts_module.one_body = lambda joints, parents: np.asarray(joints, np.float64)
    try:
        yield
    finally:
        parts_module.one_body = kept


def median_lengths(X: np.ndarray) -> np.ndarray:
    """(J,) each joint's bone's median length over the frames, m (0 for the root)."""
    return np.array([np.nanmedian(np.linalg.norm(X[:, j] - X[:, p], axis=-1)) if p >= 0 else 0.0
                     for j, p in enumerate(H36M17.parents)])


def least(X: np.ndarray, sweeps: int = 50) -> np.ndarray:
    """One skeleton by the least displacement of the joints: every bone's two ends moved by half its excess."""
    L, Y = median_lengths(X), X.copy()
    for _ in range(sweeps):
        for j, p in enumerate(H36M17.parents):
            if p >= 0:
                d = Y[:, j] - Y[:, p]
                n = np.linalg.norm(d, axis=-1, keepdims=True)
                step = np.nan_to_num(0.5 * (n - L[j]) / n * d)
                Y[:, j] -= step
                Y[:, p] += step
    return Y


def rays(X: np.ndarray) -> np.ndarray:
    """One skeleton along the rays of the joined joints' pixels (the camera at the origin), the root kept."""
    L, Y = median_lengths(X), X.copy()
    for j, p in enumerate(H36M17.parents):
        if p >= 0:
            depth = np.linalg.norm(X[:, j], axis=-1)
            ray = X[:, j] / depth[:, None]
            b = (ray * Y[:, p]).sum(-1)
            root = np.sqrt(np.maximum(b * b - (Y[:, p] ** 2).sum(-1) + L[j] ** 2, 0.0))
            s = np.where(np.abs(b + root - depth) < np.abs(b - root - depth), b + root, b - root)
            Y[:, j] = s[:, None] * ray
    return Y
