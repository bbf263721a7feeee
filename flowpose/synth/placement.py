"""Putting a world-space motion in front of a camera: the convention shared by the renderer and the simulator.

World motions are Y up (see :mod:`flowpose.io.motion`); cameras are OpenCV (x right, y down, z forward). The
camera is static, level unless pitched down (``pitch_deg``, as the real set's cameras look down 18 to 34 degrees);
the person is turned to face it (yaw from the clip's mean hip line) and the clip's mean body centre is put
``distance_m`` in front of it, on the optical axis.
"""

from __future__ import annotations

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.skeleton import H36M17


def default_intrinsics(width: int = 256, height: int = 256, fov_deg: float = 55.0) -> np.ndarray:
    """Pinhole intrinsics with square pixels, the principal point at the image centre, and a horizontal FOV.

    Pixel (0, 0) is the centre of the top-left pixel, so the image centre is ``((W - 1) / 2, (H - 1) / 2)``.

    Args:
        width: image width W in pixels.
        height: image height H in pixels.
        fov_deg: horizontal field of view in degrees, in (0, 180).

    Returns:
        (3, 3) float64 K with ``f = (W / 2) / tan(fov / 2)``.

    Raises:
        InputError: for a non-positive size or an FOV outside (0, 180).

    Example:
        >>> round(float(default_intrinsics(256, 256, 55.0)[0, 0]), 1)
        245.9
    """
    if width < 1 or height < 1:
        raise InputError(f"image size must be positive, got {width}x{height}")
    if not 0.0 < fov_deg < 180.0:
        raise InputError(f"fov_deg must lie in (0, 180), got {fov_deg}")
    f = 0.5 * width / np.tan(np.radians(fov_deg) / 2.0)
    return np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def facing_yaw(joints_world: np.ndarray) -> float:
    """The clip's mean facing direction as a yaw angle about the world up axis (+Y).

    The person's left is ``l_hip - r_hip`` (plus ``l_shoulder - r_shoulder``); forward is ``left x up``.

    Args:
        joints_world: (T, 17, 3) H36M-17 world joints, Y up.

    Returns:
        Yaw in radians of the forward direction, measured from +Z towards +X (``atan2(f_x, f_z)``).
    """
    j = H36M17.index
    left = (joints_world[:, j("l_hip")] - joints_world[:, j("r_hip")]) + (
        joints_world[:, j("l_shoulder")] - joints_world[:, j("r_shoulder")]
    )
    left = left.mean(axis=0)
    forward = np.cross(left, np.array([0.0, 1.0, 0.0]))
    return float(np.arctan2(forward[0], forward[2]))


def place_in_camera(
    motion_joints_world_yup: np.ndarray, *, distance_m: float = 4.5, yaw_deg: float = 0.0, pitch_deg: float = 0.0
) -> np.ndarray:
    """Move a Y-up world motion in front of a static OpenCV camera, the person facing it.

    Steps: turn the clip about the vertical so that its mean forward direction is world +Z (plus ``yaw_deg``);
    view it from a camera on the +Z side looking back along -Z, i.e. ``(x, y, z)_cam = (X, -Y, -Z)``, a proper
    rotation, so the person faces the camera and their left appears on the image's right; pitch the camera down by
    ``pitch_deg`` (the world's up becomes ``(0, -cos p, -sin p)`` in the camera's frame: ``R_x(p)`` after the view);
    finally move the clip's mean joint position to ``(0, 0, distance_m)``, so a pitched camera stands
    ``distance_m sin p`` above the clip's mean body centre.

    Args:
        motion_joints_world_yup: (T, 17, 3) H36M-17 world positions in metres, Y up.
        distance_m: depth of the clip's mean body centre in front of the camera, metres (> 0).
        yaw_deg: extra turn of the person about the world vertical (right-hand rule about +Y), degrees; 0
            faces the camera, 90 turns them to face the image's right.
        pitch_deg: how far the camera looks down, degrees (0: level).

    Returns:
        (T, 17, 3) float32 camera-frame positions in metres (x right, y down, z forward).

    Raises:
        ShapeError: if the input is not (T, 17, 3).
        InputError: for a non-positive distance or non-finite joints.

    Example:
        >>> cam = place_in_camera(motion.joints, distance_m=4.5)  # doctest: +SKIP
    """
    x = np.asarray(motion_joints_world_yup, dtype=np.float64)
    if x.ndim != 3 or x.shape[1:] != (H36M17.num_joints, 3) or x.shape[0] < 1:
        raise ShapeError("motion_joints_world_yup", "(T, 17, 3)", x.shape, "place_in_camera")
    if not np.isfinite(x).all():
        raise InputError("place_in_camera: motion_joints_world_yup contains NaN or infinite values")
    if not (np.isfinite(distance_m) and distance_m > 0):
        raise InputError(f"place_in_camera: distance_m must be positive, got {distance_m}")
    # Turn about +Y (right-hand rule) so that the mean forward direction becomes +Z, then yaw_deg more.
    angle = np.radians(yaw_deg) - facing_yaw(x)
    c, s = np.cos(angle), np.sin(angle)
    turn = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    # The camera looks along world -Z with world +Y up: x_cam = X, y_cam = -Y, z_cam = -Z (det +1), so the
    # person's forward (+Z) points at the camera and their left (up x forward = +X) is the image's right.
    p = np.radians(pitch_deg)
    pitch = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(p), -np.sin(p)], [0.0, np.sin(p), np.cos(p)]])
    world_to_cam = pitch @ np.diag([1.0, -1.0, -1.0]) @ turn
    cam = x @ world_to_cam.T
    cam += np.array([0.0, 0.0, distance_m]) - cam.reshape(-1, 3).mean(axis=0)
    return cam.astype(np.float32)
