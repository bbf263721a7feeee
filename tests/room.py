"""A room drawn through a placed camera, for reading the camera's tilt from its lines (:mod:`flowpose.vertical_lines`)."""

from __future__ import annotations

import cv2
import numpy as np

from flowpose.camera_place import placed_frame
from flowpose.lens import distort_pixels


def room_image(K: np.ndarray, size: tuple[int, int], pitch: float, roll: float, dist: np.ndarray | None = None,
               poles: int = 24, seed: int = 0, shelves: bool = False) -> np.ndarray:
    """A room seen by the camera ``K`` 1.8 m up at ``pitch``, ``roll`` degrees (:func:`placed_frame`): vertical poles
    (0 to 2.5 m high, 2.5 to 8 m ahead) and a floor grid (lines along both of the floor's axes, which recede and so
    lean in the image), drawn dark on grey through the lens ``dist``; with ``shelves``, a cross of horizontal edges
    (0.8 m, along the floor's two axes) on each pole 1 m up, as furniture gives.

    Returns:
        (H, W, 3) uint8 RGB, ``size`` = (H, W).
    """
    frame = placed_frame(1.8, pitch, roll)
    rng = np.random.default_rng(seed)
    segments = [((x, y, 0.0), (x, y, 2.5)) for x, y in zip(rng.uniform(-3, 3, poles), rng.uniform(2.5, 8, poles))]
    segments += [((x, 2.0, 0.0), (x, 9.0, 0.0)) for x in np.linspace(-3, 3, 7)]
    segments += [((-4.0, y, 0.0), (4.0, y, 0.0)) for y in np.linspace(2.5, 9, 6)]
    if shelves:
        segments += [((x - 0.4, y, 1.0), (x + 0.4, y, 1.0)) for (x, y, _), _ in segments[:poles]]
        segments += [((x, y - 0.4, 1.0), (x, y + 0.4, 1.0)) for (x, y, _), _ in segments[:poles]]
    image = np.full(size, 170, np.uint8)
    for a, b in segments:
        points = np.linspace(a, b, 60) @ frame.R.T + frame.t
        points = points[points[:, 2] > 0.1]
        pixels = points[:, :2] / points[:, 2:] * K[[0, 1], [0, 1]] + K[:2, 2]
        if dist is not None:
            pixels = distort_pixels(pixels, K, dist)
        cv2.polylines(image, [np.round(pixels * 16).astype(np.int32)], False, 40, 3, cv2.LINE_AA, shift=4)
    return np.repeat(image[..., None], 3, axis=-1)
