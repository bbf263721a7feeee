"""A camera's place above the floor from what a user can measure: its height and its tilt.

:mod:`flowpose.floor` stands a person on the floor of a calibrated capture (Pose2Sim's, Qualisys's), whose extrinsics
place each camera. A phone on a tripod has no calibration, but its height above the floor (a tape) and its tilt (a
level app, or the phone's own sensors) are easy to measure, and the floor needs no more: where the camera faces on the
floor (its yaw) leaves every height unchanged. Let the world have Z up, the floor at z = 0, the camera's centre at
``(0, 0, h)``, and write ``p`` for the pitch (degrees below the horizon the camera looks) and ``r`` for the roll (how
far the camera is turned clockwise about its axis, as seen from behind it: the horizon then rises to the right of the
image). In the camera's frame (OpenCV's: x right, y down, z forward) the world's up is

    up = (-sin r cos p, -cos r cos p, -sin p),

so that a level camera (p = r = 0) has up = -y, and one looking down has its z below the horizon (up_z < 0). Every
function of :mod:`flowpose.floor` reads a frame only through up = R e_z and the camera's height ``-(R^T t)_z``; the
frame built here is the rotation whose third column is up, whose second (the world's y) is the direction the camera
faces, made level, and t = -h up.

Its inverse, :func:`camera_tilt`, reads a calibrated camera's height, pitch and roll (the real set's four cameras: 1.69
to 2.09 m up, 18 to 25 degrees down, rolled -13 to 26 degrees).
"""

from __future__ import annotations

import math

import numpy as np

from flowpose.errors import InputError
from flowpose.io.world_frame import WorldFrame

MAX_PITCH_DEG = 80.0
"""A camera looking more steeply than this, up or down, is refused: the floor's scale is then read almost along its
axis, and the roll is undefined straight down."""
MAX_ROLL_DEG = 90.0
"""A roll beyond a quarter turn is a portrait video read the wrong way up, not a tilt."""
LEAN_WARNING_DEG = 25.0
"""A person whose mean axis leans more than this from a given place's vertical is warned of: is the tilt right? On the
real set (``benchmarks/experiments/tilt_from_person.py``) the estimates lean 2.1-18.8 degrees from the vertical of the
place a user would give (the calibration's, to the degree); with the pitch left out (0) 15.0-27.9, with the roll's
sign turned 2.3-65.4, with the pitch's 35.3-52.7 (these all refused by :func:`flowpose.floor.floor_scale`). A warning,
not a refusal: a person who truly leans, or an estimate that does, passes. :data:`flowpose.floor.SCALE_WARNING`
catches the two pitches left out that pass this."""
CameraPlace = tuple[float, float | None, float | None]
"""A camera's place as a user gives it: (height above the floor m, pitch, roll degrees: :func:`placed_frame`); the
pitch and roll both None where they are read from the video (``--camera-tilt auto``: :mod:`flowpose.vertical_lines`)."""
MAX_HEIGHT_M = 20.0
"""A camera higher than this above the floor is taken for a height in other units than metres."""


def placed_frame(height_m: float, pitch_deg: float, roll_deg: float = 0.0, camera: str = "given") -> WorldFrame:
    """The world frame (Z up, the floor at z = 0) of a camera ``height_m`` metres above the floor, looking
    ``pitch_deg`` degrees below the horizon, rolled ``roll_deg`` degrees clockwise (module docstring); ``camera``
    names it in messages.

    Raises:
        InputError: a height not in (0, :data:`MAX_HEIGHT_M`] metres, a pitch beyond ±:data:`MAX_PITCH_DEG` or a roll
            beyond ±:data:`MAX_ROLL_DEG` degrees, or a value that is not a number.

    Example:
        >>> frame = placed_frame(1.5, 0.0)  # a level camera 1.5 m up
        >>> frame.R[:, 2], frame.camera_height  # the world's up in the camera (-y), the camera's height
        (array([ 0., -1.,  0.]), 1.5)
    """
    if not (math.isfinite(height_m) and 0.0 < height_m <= MAX_HEIGHT_M):
        raise InputError(f"the camera's height above the floor must be in (0, {MAX_HEIGHT_M:g}] metres, got {height_m}")
    if not (math.isfinite(pitch_deg) and abs(pitch_deg) <= MAX_PITCH_DEG):
        raise InputError(f"the camera's pitch must be within ±{MAX_PITCH_DEG:g} degrees of the horizon (positive: "
                         f"looking down), got {pitch_deg}")
    if not (math.isfinite(roll_deg) and abs(roll_deg) <= MAX_ROLL_DEG):
        raise InputError(f"the camera's roll must be within ±{MAX_ROLL_DEG:g} degrees (positive: the horizon rises to "
                         f"the right of the image), got {roll_deg}")
    p, r = math.radians(pitch_deg), math.radians(roll_deg)
    up = np.array([-math.sin(r) * math.cos(p), -math.cos(r) * math.cos(p), -math.sin(p)])
    heading = np.array([0.0, 0.0, 1.0]) - up[2] * up  # the camera's axis without its part along up: the world's y
    heading /= np.linalg.norm(heading)
    R = np.stack([np.cross(heading, up), heading, up], axis=1)  # columns: the world's x, y, z in the camera's frame
    R[np.abs(R) < 1e-15] = 0.0  # exact zeros for a level camera, not -0.0 or 1e-17
    return WorldFrame(R=R, t=-height_m * up, camera=camera)


def camera_tilt(frame: WorldFrame) -> tuple[float, float, float]:
    """A placed camera's height above its world's z = 0 (metres), pitch and roll (degrees; module docstring): the
    inverse of :func:`placed_frame` (yaw dropped)."""
    return (frame.camera_height, *tilt_of_up(frame.R[:, 2]))


def tilt_of_up(up: np.ndarray) -> tuple[float, float]:
    """The pitch and roll, degrees (module docstring), of a camera in whose frame the world's up is ``up``, (3,) unit:
    pitch = asin(-up_z), roll = atan2(-up_x, -up_y)."""
    pitch = math.degrees(math.asin(float(np.clip(-up[2], -1.0, 1.0))))
    return pitch, math.degrees(math.atan2(float(-up[0]), float(-up[1])))
