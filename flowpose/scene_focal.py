"""The camera's focal length read from the scene's lines: ``--focal-px auto``.

Rooms are built along three perpendicular directions (a Manhattan world): the vertical and two horizontal ones at a
right angle. The vertical segments' vanishing point v (:mod:`flowpose.vertical_lines`) is a pixel whatever the focal
length f; the world's up in the camera's frame, K_f^-1 v, is not. A segment horizontal in the world runs along
h = n x up (n the normal of its plane through the camera's centre), at an angle theta within the horizontal plane.
Through the true f the two horizontal families fall at theta_0 and theta_0 + 90 degrees; through a wrong one they are
not perpendicular, and their angles, folded modulo 90 degrees, spread. So f is read as the one that maximises the vote

    S(f) = max_theta_0 sum_j w_j exp(-(d(theta_j, theta_0) / s)^2),

w = sqrt(length), d the angle between theta_j and theta_0 modulo 90 degrees, s
:data:`~flowpose.vertical_lines.SOFT_DEG`, over the segments whose direction h leaves the image's plane by at least
:data:`MIN_RECEDE_DEG` (a line parallel to the image runs the same way through every f, and through a long lens every
line is such a line); over horizontal fields of view from :data:`FOV_RANGE_DEG`'s first to its last a degree apart,
then a tenth of a degree apart about the best. The principal point is the image's centre, as ``--focal-px`` takes it,
and no lens is undone (it is unknown where the focal length is). Fewer than :data:`~flowpose.vertical_lines.MIN_LINES`
vertical segments, or horizontal ones within :data:`~flowpose.vertical_lines.INLIER_DEG` of the two directions found,
are refused.

On the real set's four cameras (``benchmarks/experiments/scene_focal.py``) the focal length read lies within 2% of
the calibration's (-1.9% to +0.5%; on the Human3.6M clip, with few lines and a stronger lens, 6% long), and stood on
the floor with it, the tilt read through it and a tape's height, the
people are refined as well as with the calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from flowpose.errors import InputError
from flowpose.io.intrinsics import CameraOptions
from flowpose.vertical_lines import (
    INLIER_DEG,
    MIN_LINES,
    SOFT_DEG,
    SceneLines,
    segment_planes,
    vertical_up,
)

FOV_RANGE_DEG = (20.0, 100.0)
"""The horizontal fields of view searched, degrees: from a long lens to a wide phone camera's."""
NOT_VERTICAL_DEG = 3.0
"""A segment whose plane passes farther than this from up may be horizontal."""
MIN_RECEDE_DEG = 10.0
"""Only a horizontal direction at least this far out of the image's plane votes: a line parallel to the image
runs the same way through every focal length, and through a long one every line is such a line."""
ANGLE_STEP_DEG = 0.25


@dataclass(frozen=True)
class SceneFocal:
    """The focal length read from the scene.

    Attributes:
        focal_px: the focal length, px (square pixels, the principal point at the image's centre).
        fov_deg: the horizontal field of view it gives, degrees.
        vertical: the vertical segments found through it.
        horizontal: the horizontal segments within :data:`~flowpose.vertical_lines.INLIER_DEG` of the two horizontal
            directions found through it.
    """

    focal_px: float
    fov_deg: float
    vertical: int
    horizontal: int


def centred_K(focal_px: float, size: tuple[int, int]) -> np.ndarray:
    """(3, 3) intrinsics of focal length ``focal_px`` with the principal point at the centre of an (H, W) image."""
    H, W = size
    return np.array([[focal_px, 0.0, (W - 1) / 2], [0.0, focal_px, (H - 1) / 2], [0.0, 0.0, 1.0]])


def horizontal_directions(normals: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Each segment's direction if it is horizontal in the world, h = n x up (module docstring), unit; (N, 3)."""
    h = np.cross(normals, up)
    return h / np.linalg.norm(h, axis=-1, keepdims=True)


def horizontal_angles(h: np.ndarray, up: np.ndarray) -> np.ndarray:
    """The angle within the horizontal plane of each horizontal direction ``h`` (N, 3), degrees in [0, 90): measured
    from a fixed horizontal axis and folded modulo 90 (module docstring); (N,)."""
    a = np.cross(up, [0.0, 0.0, 1.0])
    a /= np.linalg.norm(a)
    return np.degrees(np.arctan2(h @ np.cross(up, a), h @ a)) % 90.0


def manhattan_vote(ends: np.ndarray, K: np.ndarray) -> tuple[float, int, int]:
    """S(f) of the module docstring through ``K``, with the vertical segments and the horizontal ones found (those
    within :data:`~flowpose.vertical_lines.INLIER_DEG` of the best theta_0, folded).

    Args:
        ends: (N, 2, 2) px, :func:`~flowpose.vertical_lines.line_segments`.
        K: (3, 3) intrinsics, px.

    Returns:
        The vote (0 where no up is found), the vertical segments, the horizontal ones.
    """
    normals, lengths = segment_planes(ends, K, None)
    up, vertical = vertical_up(normals, lengths)
    if not np.isfinite(up).all():
        return 0.0, 0, 0
    every, every_length = segment_planes(ends, K, None, max_lean_deg=90.0)
    across = np.abs(every @ up) > math.sin(math.radians(NOT_VERTICAL_DEG))
    h = horizontal_directions(every[across], up)
    receding = np.abs(h[:, 2]) > math.sin(math.radians(MIN_RECEDE_DEG))
    theta = horizontal_angles(h[receding], up)
    grid = np.arange(0.0, 90.0, ANGLE_STEP_DEG)
    off = np.abs((theta[None, :] - grid[:, None] + 45.0) % 90.0 - 45.0)  # (angles of theta_0, segments)
    horizontal = (np.sqrt(every_length[across][receding]) * np.exp(-((off / SOFT_DEG) ** 2))).sum(-1)
    best = int(np.argmax(horizontal))
    return float(horizontal[best]), int(vertical.sum()), int((off[best] < INLIER_DEG).sum())


def best_fov(ends: np.ndarray, size: tuple[int, int]) -> tuple[float, int, int]:
    """The field of view, degrees, whose focal length maximises S(f) for the segments ``ends`` in an (H, W) image (a
    degree apart over :data:`FOV_RANGE_DEG`, then a tenth about the best), with its vertical and horizontal segments."""
    coarse = np.arange(FOV_RANGE_DEG[0], FOV_RANGE_DEG[1] + 0.5, 1.0)
    scores = [manhattan_vote(ends, centred_K(fov_focal(fov, size), size))[0] for fov in coarse]
    around = coarse[int(np.argmax(scores))]
    fine = np.arange(around - 1.0, around + 1.05, 0.1)
    found = [(manhattan_vote(ends, centred_K(fov_focal(fov, size), size)), float(fov)) for fov in fine]
    (_, vertical, horizontal), fov = max(found, key=lambda item: item[0][0])
    return fov, vertical, horizontal


def fov_focal(fov_deg: float, size: tuple[int, int]) -> float:
    """The focal length, px, of a horizontal field of view ``fov_deg`` across an (H, W) image."""
    return (size[1] / 2) / math.tan(math.radians(fov_deg / 2))


def focal_from_lines(scene: SceneLines, source: str) -> SceneFocal:
    """The camera's focal length read from the lines of ``scene`` (module docstring).

    Args:
        scene: the segments of a still camera's frames.
        source: names the video in messages.

    Raises:
        InputError: fewer than :data:`~flowpose.vertical_lines.MIN_LINES` vertical or horizontal segments.
    """
    size = scene.size
    fov, vertical, horizontal = best_fov(scene.segments, size)
    if vertical < MIN_LINES or horizontal < MIN_LINES:
        raise InputError(f"{source}: --focal-px auto found {vertical} vertical and {horizontal} horizontal lines in the "
                         f"scene (door frames, wall corners, the edges of floors and furniture), expected at least "
                         f"{MIN_LINES} of each: give the focal length, --focal-px F or --intrinsics FILE")
    return SceneFocal(fov_focal(fov, size), fov, vertical, horizontal)


def resolved_camera(camera: CameraOptions, scene: SceneLines, source: str) -> tuple[CameraOptions, str | None]:
    """``camera`` with the focal length ``--focal-px auto`` leaves to be read, read from ``scene``, and a note that
    says what was read; ``camera`` itself, and None, where there is nothing to read (a file, a focal length given).

    Raises:
        InputError: as :func:`focal_from_lines`.
    """
    if not camera.focal_from_scene or camera.intrinsics is not None or camera.focal_px is not None:
        return camera, None
    found = focal_from_lines(scene, source)
    return replace(camera, focal_px=found.focal_px), (
        f"camera: focal length {found.focal_px:.1f} px (a horizontal field of view of {found.fov_deg:.1f} degrees) read "
        f"from the scene's lines, {found.vertical} vertical and {found.horizontal} horizontal (on the real set within 2% "
        "of the calibration's; the Human3.6M clip's, with few lines, 6% long)")
