"""The camera's tilt read from the scene's vertical lines: ``--camera-tilt auto``.

:mod:`flowpose.camera_place` stands a person on the floor from the camera's height and tilt, and the tilt must be
right to a degree or two (on the real set, 2 degrees of pitch off cost a third of what the floor earns). Rooms hold
vertical lines: door frames, wall corners, cupboards, poles. In the camera's frame each image segment from pixel
``a`` to pixel ``b`` spans a plane through the camera's centre with normal

    n = (K^-1 a) x (K^-1 b) / |(K^-1 a) x (K^-1 b)|,

and a 3D line of direction ``v`` lies in that plane only if n . v = 0. Every vertical line shares v = up, the world's
up in the camera's frame (their vanishing point is K up), so up is the direction most segments' planes contain:
found by RANSAC over pairs of segments (v = n_i x n_j), each candidate scored by a soft vote (:data:`SOFT_DEG`),
and refined as the weighted least-squares null vector of the normals, each weighted by the square root of its
length times its vote, reweighted until it settles. Pitch and roll follow from up as in
:func:`flowpose.camera_place.camera_tilt`.

The segments are OpenCV's line segment detector's (LSD), found in the median of :data:`BACKGROUND_FRAMES` frames
spread over the video (:class:`SceneLines`: once a video, for the tilt and the focal length alike), which removes
people who move, with their limbs' edges; endpoints are undistorted through the lens when one is known. Kept:
segments at least :data:`MIN_LENGTH_FRACTION` of the image's diagonal long, not touching the image's border (a
letterbox's edge is no line of the scene), and within :data:`MAX_LEAN_DEG` of the image's vertical. Since a receding
horizontal line (a floor's edge, a table's) can look as steep as a vertical one, up must lie within
:data:`MAX_LEAN_DEG` of the image's up (-y): with the roll small, a camera looking more than about 40 degrees down
cannot have its tilt read, and one whose scene has fewer than :data:`MIN_LINES` vertical lines is refused, naming
the option that gives the tilt instead.

On the real set's four cameras (``benchmarks/experiments/vertical_lines.py``) the pitch read lies 0.1 to 1.1 degrees
from the calibration's and the roll within 0.4, whether the lens is known or not; the bootstrap spread (0.1 to 0.2
degrees) says how well the lines agree, not how far the scene's "vertical" lines (and the calibration's floor) are
from each other. Through a guessed focal length the pitch is 7 to 62 degrees off: ``refine`` asks for one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import cv2
import numpy as np

from flowpose.camera_place import tilt_of_up
from flowpose.errors import InputError
from flowpose.lens import undistort_pixels

BACKGROUND_FRAMES = 15
"""Frames, spread evenly over the video, whose per-pixel median the lines are found in."""
MIN_LENGTH_FRACTION = 0.02
"""A segment shorter than this fraction of the image's diagonal is dropped (40 px of a 1080 x 1920 frame)."""
BORDER_PX = 8
"""A segment with an end this close to the image's border is dropped: a letterbox's or a crop's edge."""
MAX_LEAN_DEG = 50.0
"""A segment leaning more than this from the image's vertical is dropped, and up must lie within it of -y."""
SOFT_DEG = 0.5
"""The scale of a segment's vote: a segment whose plane passes at angle a from a candidate up votes for it with its
weight times exp(-(a / SOFT_DEG)^2). A hard count (within 1 degree or not) left one real camera's pitch to a tie
between two directions 4.7 degrees apart."""
INLIER_DEG = 1.0
"""A segment is vertical when its plane passes within this angle of up: the segments counted and resampled."""
REFINE_STEPS = 10
MIN_LINES = 12
"""Fewer vertical segments than this read no tilt."""
RANSAC_PAIRS = 2000
BOOTSTRAP = 200


@dataclass(frozen=True)
class LineTilt:
    """The tilt read from the scene.

    Attributes:
        pitch_deg: degrees the camera looks below the horizon (:mod:`flowpose.camera_place`).
        roll_deg: degrees the camera is rolled (positive: the horizon rises to the right of the image).
        lines: the vertical segments it was read from.
        spread_deg: (2,) the bootstrap standard deviation of the pitch and the roll over those segments, degrees.
    """

    pitch_deg: float
    roll_deg: float
    lines: int
    spread_deg: tuple[float, float]


def background(frames: Sequence[np.ndarray], count: int = BACKGROUND_FRAMES) -> np.ndarray:
    """The per-pixel median grey of ``count`` frames spread evenly over ``frames`` (all of them if fewer).

    Args:
        frames: T frames, each (H, W, 3) uint8 RGB (a :class:`~flowpose.io.video.VideoReader` is read only there).

    Returns:
        (H, W) uint8.
    """
    picks = np.unique(np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int))
    grey = np.stack([cv2.cvtColor(np.ascontiguousarray(frames[int(i)]), cv2.COLOR_RGB2GRAY) for i in picks])
    return np.median(grey, axis=0).astype(np.uint8)


def line_segments(grey: np.ndarray) -> np.ndarray:
    """The image's straight line segments (OpenCV's LSD) at least :data:`MIN_LENGTH_FRACTION` of its diagonal long,
    none with an end within :data:`BORDER_PX` of its border.

    Args:
        grey: (H, W) uint8 image.

    Returns:
        (N, 2, 2) float64 px: each segment's two ends, (x, y).
    """
    H, W = grey.shape
    found = cv2.createLineSegmentDetector().detect(grey)[0]
    if found is None:
        return np.zeros((0, 2, 2))
    ends = found.reshape(-1, 2, 2).astype(np.float64)
    inside = ((ends[..., 0] >= BORDER_PX) & (ends[..., 0] <= W - 1 - BORDER_PX) & (ends[..., 1] >= BORDER_PX)
              & (ends[..., 1] <= H - 1 - BORDER_PX)).all(-1)
    long = np.linalg.norm(ends[:, 1] - ends[:, 0], axis=-1) >= MIN_LENGTH_FRACTION * math.hypot(H, W)
    return ends[inside & long]


class SceneLines:
    """A still camera's scene's straight segments (:func:`line_segments` of the :func:`background` of its frames),
    found on first use and then kept: ``--focal-px auto`` and ``--camera-tilt auto`` read them once between them.

    Args:
        frames: T frames, each (H, W, 3) uint8 RGB, of a camera that does not move (a
            :class:`~flowpose.io.video.VideoReader` is read only where the segments are first needed).
    """

    def __init__(self, frames: Sequence[np.ndarray]) -> None:
        self._frames = frames

    @cached_property
    def _grey(self) -> np.ndarray:
        return background(self._frames)

    @property
    def size(self) -> tuple[int, int]:
        """(H, W) px of the frames."""
        return (self._grey.shape[0], self._grey.shape[1])

    @cached_property
    def segments(self) -> np.ndarray:
        """(N, 2, 2) float64 px: :func:`line_segments` of the frames' background."""
        return line_segments(self._grey)


def segment_planes(ends: np.ndarray, K: np.ndarray, dist: np.ndarray | None,
                   max_lean_deg: float = MAX_LEAN_DEG) -> tuple[np.ndarray, np.ndarray]:
    """The planes through the camera's centre of the segments (module docstring) leaning at most ``max_lean_deg``
    from the image's vertical once the lens is undone (90: all).

    Args:
        ends: (N, 2, 2) px, :func:`line_segments`.
        K: (3, 3) intrinsics, px.
        dist: (n,) lens distortion, OpenCV's order; None for a pinhole camera.

    Returns:
        (M, 3) unit normals, and (M,) the segments' lengths, px.
    """
    if dist is not None and len(ends):
        ends = undistort_pixels(ends, K, dist)
    step = ends[:, 1] - ends[:, 0]
    length = np.linalg.norm(step, axis=-1)
    keep = np.degrees(np.arctan2(np.abs(step[:, 0]), np.abs(step[:, 1]))) <= max_lean_deg
    rays = np.concatenate([ends[keep], np.ones((*ends[keep].shape[:2], 1))], axis=-1) @ np.linalg.inv(K).T
    normals = np.cross(rays[:, 0], rays[:, 1])
    return normals / np.linalg.norm(normals, axis=-1, keepdims=True), length[keep]


def _upward(v: np.ndarray) -> np.ndarray:
    """``v`` (..., 3) turned to point up the image (y < 0)."""
    return np.where(v[..., 1:2] > 0, -v, v)


def _null_direction(normals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The unit direction closest to every weighted plane: the last right singular vector, pointing up the image."""
    return _upward(np.linalg.svd(normals * weights[:, None])[2][-1])


def votes(normals: np.ndarray, weights: np.ndarray, direction: np.ndarray, soft_deg: float = SOFT_DEG) -> np.ndarray:
    """Each segment's vote for a 3D ``direction`` (..., 3): its weight times exp(-(angle / ``soft_deg``)^2), the angle
    being that between its plane (``normals``, (N, 3)) and the direction; (..., N)."""
    angle = np.degrees(np.arcsin(np.clip(np.abs(direction @ normals.T), 0.0, 1.0)))
    return weights * np.exp(-((angle / soft_deg) ** 2))


def vertical_up(normals: np.ndarray, lengths: np.ndarray, seed: int = 0,
                soft_deg: float = SOFT_DEG) -> tuple[np.ndarray, np.ndarray]:
    """The world's up in the camera's frame from the segments' planes (module docstring).

    Args:
        normals: (N, 3) unit plane normals (:func:`segment_planes`).
        lengths: (N,) the segments' lengths, px.
        seed: the RANSAC's sampling seed.
        soft_deg: the vote's scale, degrees (:func:`votes`).

    Returns:
        (3,) unit up (y < 0) and (N,) bool: the segments found vertical (within :data:`INLIER_DEG`). With fewer than
        two segments, or none within :data:`MAX_LEAN_DEG` of -y, up is NaN and none is vertical.
    """
    none = (np.full(3, np.nan), np.zeros(len(normals), bool))
    if len(normals) < 2:
        return none
    weights = np.sqrt(lengths)
    pairs = np.random.default_rng(seed).integers(0, len(normals), size=(RANSAC_PAIRS, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    v = np.cross(normals[pairs[:, 0]], normals[pairs[:, 1]])
    norm = np.linalg.norm(v, axis=-1)
    v = _upward(v[norm > 1e-9] / norm[norm > 1e-9, None])
    v = v[v[:, 1] <= -math.cos(math.radians(MAX_LEAN_DEG))]
    if len(v) == 0:
        return none
    up = v[int(np.argmax(votes(normals, weights, v, soft_deg).sum(-1)))]
    for _ in range(REFINE_STEPS):  # iteratively reweighted least squares: the soft vote's nearest peak
        up = _null_direction(normals, votes(normals, weights, up, soft_deg))
    if up[1] > -math.cos(math.radians(MAX_LEAN_DEG)):
        return none
    return up, np.abs(normals @ up) < math.sin(math.radians(INLIER_DEG))


def tilt_from_lines(scene: SceneLines, K: np.ndarray, dist: np.ndarray | None, source: str) -> LineTilt:
    """The camera's pitch and roll read from the vertical lines of ``scene`` (module docstring).

    Args:
        scene: the segments of a still camera's frames.
        K: (3, 3) intrinsics, px.
        dist: (n,) lens distortion, OpenCV's order; None for a pinhole camera.
        source: names the video in messages.

    Raises:
        InputError: fewer than :data:`MIN_LINES` vertical segments found.
    """
    normals, lengths = segment_planes(scene.segments, K, dist)
    up, vertical = vertical_up(normals, lengths)
    if vertical.sum() < MIN_LINES:
        raise InputError(f"{source}: --camera-tilt auto found {int(vertical.sum())} vertical lines in the scene (door "
                         f"frames, wall corners), expected at least {MIN_LINES} within {MAX_LEAN_DEG:g} degrees of the "
                         "image's vertical: give the tilt, --camera-tilt PITCH[,ROLL] (a level app's reading)")
    pitch, roll = tilt_of_up(up)
    rng = np.random.default_rng(0)
    kept, weights = normals[vertical], votes(normals[vertical], np.sqrt(lengths[vertical]), up)
    draws = np.array([tilt_of_up(_null_direction(kept[i], weights[i]))
                      for i in rng.integers(0, len(kept), size=(BOOTSTRAP, len(kept)))])
    return LineTilt(pitch, roll, int(vertical.sum()), (float(draws[:, 0].std()), float(draws[:, 1].std())))
