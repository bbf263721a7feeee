"""Synthetic test images for the flow tests: a smooth analytic texture, translatable by any real amount."""

from __future__ import annotations

import numpy as np


def sinusoid_texture(
    height: int, width: int, shift: tuple[float, float] = (0.0, 0.0), seed: int = 0
) -> np.ndarray:
    """(H, W, 3) uint8 RGB sum of random plane waves (periods 10-30 px), translated by ``shift`` (x, y) px.

    Because the texture is analytic, ``sinusoid_texture(h, w, d)(x) == sinusoid_texture(h, w)(x - d)`` exactly
    (up to uint8 rounding), i.e. the forward flow from the unshifted image to the shifted one is ``d``
    everywhere.
    """
    rng = np.random.default_rng(seed)
    k = 12
    direction = rng.uniform(-1, 1, (k, 2))
    freq = direction / np.linalg.norm(direction, axis=1, keepdims=True) / rng.uniform(10, 30, k)[:, None]
    phase, amp = rng.uniform(0, 2 * np.pi, k), rng.uniform(5, 12, k)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    x, y = x - shift[0], y - shift[1]
    gray = 128 + sum(
        a * np.sin(2 * np.pi * (f[0] * x + f[1] * y) + p) for a, f, p in zip(amp, freq, phase, strict=True)
    )
    rgb = np.stack([gray, 0.8 * gray + 20, 1.1 * gray - 10], -1)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def translating_video(frames: int, size: int, velocity: tuple[float, float], seed: int = 0) -> np.ndarray:
    """(T, size, size, 3) uint8 frames of the texture moving by ``velocity`` (x, y) px per frame."""
    v = np.asarray(velocity, np.float64)
    return np.stack([sinusoid_texture(size, size, tuple(t * v), seed) for t in range(frames)])
