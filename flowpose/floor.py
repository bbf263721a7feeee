"""The person on the floor of a calibrated world: the size and distance one view cannot tell, from the floor.

A single image fixes a body's shape and its direction from the camera, not its distance: a body twice as large
and twice as far projects the same. Estimators place it with a body size of their own (MediaPipe: its learned
metric landmarks, fitted to its 2D), so a person smaller or taller than that is placed too near or too far, and
every joint's distance from the pelvis is off by the same factor (MPJPE counts it; PA-MPJPE, which scales, does
not). Where the camera's place above the floor is known (a calibrated capture, :mod:`flowpose.io.world_frame`),
the feet fix it. Scaling the camera-frame joints by s about the camera's centre moves them along the camera's
rays (every 2D projection unchanged), and each point's height above the world's z = 0 goes linearly with s,

    h_j(s) = c_z + s u_j,   u_j = (R^T X_j)_z,   c_z = (-R^T t)_z (the camera's height),

so one s puts the lower observed ankle at :data:`ANKLE_HEIGHT_M` above the floor in the median frame:

    s = (floor_z + ANKLE_HEIGHT_M - c_z) / median_t min_{ankles observed in t} u_j(t).

The median frame's lower ankle stands for the foot on the ground: in standing, walking or balancing, one foot is
down most of the time (a video mostly in the air, or of someone lying or sitting, is not for this). On the real
set (``benchmarks/experiments/floor_contact.py``; its figures in ``benchmarks/RESULTS.md``, forty-seventh session) the
woman stands on the lab's floor and the man on a raised platform: the floor is the one the person stands on
(``floor_z``: the platform's top).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from flowpose.errors import InputError
from flowpose.io.world_frame import ANKLES, MAX_LEAN_DEG, WorldFrame, lean_deg
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17

ANKLE_HEIGHT_M = 0.07
"""The ankle joint's height above the sole when standing: 0.039 of the stature (Winter's anthropometric table, the
lateral malleolus), 0.068 m at 1.75 m."""
SCALE_RANGE = (0.5, 2.0)
"""Scales outside this are refused: a wrong camera (its calibration, its name) or a wrong floor, not a person."""
SCALE_WARNING = (0.75, 4.0 / 3.0)
"""Scales outside this are warned of (a child, or a wrong camera place, the likelier): the real set's are 0.81-1.10 on
the place a user would give, 0.79-1.15 with its roll's sign turned, and 1.57 and 1.86 for the two views whose pitch,
left out, is not refused (``benchmarks/experiments/tilt_from_person.py``)."""
MIN_FRAMES = 5
"""The fewest frames with an observed ankle that place a person on the floor."""
CONTACT_WEIGHT = 1.0 / 20.0**2
"""``refine --floor-contact``'s weight of L_contact (:func:`flowpose.refinement.body_losses.contact_loss`), mm^-2:
the lower ankle held at :data:`ANKLE_HEIGHT_M` above the floor in every frame not in the air, sigma 20 mm, the body
moved there whole. On the real set (``benchmarks/experiments/foot_contact.py``) it brings the body nearer its place
(MPJPE without root alignment −11% to −15%) and its pose a little nearer too (PA-MPJPE −1.3% to −1.9%)."""


def floor_scale(poses: PoseSequence, frame: WorldFrame, floor_z: float = 0.0) -> tuple[float, float]:
    """The scale s about the camera's centre that stands the person on the floor (module docstring), and the
    median frame's lower ankle height before it, metres above ``floor_z``.

    Args:
        poses: Human3.6M-17 camera-frame poses (T, 17, 3) metres, with the camera of ``frame``.
        frame: the camera's place in its world (Z up).
        floor_z: the height (world z, metres) the person stands on: 0 for the world's floor.

    Raises:
        InputError: fewer than :data:`MIN_FRAMES` frames observe an ankle, the person lies more than
            :data:`~flowpose.io.world_frame.MAX_LEAN_DEG` from the world's z (a world not Z up), the ankles or the
            floor are not below the camera, or s is outside :data:`SCALE_RANGE`.
    """
    if poses.skeleton != H36M17.name:
        raise InputError(f"the floor places Human3.6M-17 poses, got {poses.skeleton}")
    seen = _observed(poses)
    lower = _lower_ankle_u(seen, frame)
    lower = lower[np.isfinite(lower)]
    if len(lower) < MIN_FRAMES:
        raise InputError(f"an ankle is observed in {len(lower)} frames; placing the person on the floor needs "
                         f"{MIN_FRAMES} or more")
    lean = lean_deg(seen, frame)
    if lean is not None and lean > MAX_LEAN_DEG:
        raise InputError(f"the person's axis (ankles to thorax) is {lean:.0f} degrees from the z of camera "
                         f"{frame.camera}'s world: the floor needs a world with Z up and the floor at z = 0 (Qualisys's, "
                         "Pose2Sim's calibrated on the floor)")
    camera_z = frame.camera_height
    median = float(np.median(lower))
    if median >= 0:
        raise InputError(f"the person's ankles are not below camera {frame.camera} (it stands {camera_z:.2f} m up): "
                         "is the camera's place right?")
    if floor_z + ANKLE_HEIGHT_M >= camera_z:
        raise InputError(f"the floor at z = {floor_z:g} m is not below camera {frame.camera} (it stands {camera_z:.2f} m "
                         "up): the floor is the height the person stands on, in metres, 0 for the world's floor")
    scale = (floor_z + ANKLE_HEIGHT_M - camera_z) / median
    if not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
        raise InputError(f"standing the person on the floor at z = {floor_z:g} m would scale them by {scale:.2f} "
                         f"(outside {SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}): is the camera right (its calibration, "
                         f"its name: {frame.camera}), and the floor the one they stand on?")
    return scale, camera_z + median - floor_z


def observed_lean_deg(poses: PoseSequence, frame: WorldFrame) -> float | None:
    """The angle of the person's mean axis (mid-ankles to thorax, over the observed joints of Human3.6M-17
    camera-frame poses) from ``frame``'s z, degrees; None where no frame observes it
    (:func:`flowpose.io.world_frame.lean_deg`)."""
    return lean_deg(_observed(poses), frame)


def _observed(poses: PoseSequence) -> np.ndarray:
    """(T, 17, 3) camera metres, NaN where a joint is not observed (confidence 0)."""
    return np.where(poses.confidence()[..., None] > 0, np.asarray(poses.joints3d, np.float64), np.nan)


def _lower_ankle_u(joints3d: np.ndarray, frame: WorldFrame) -> np.ndarray:
    """Each frame's lower ankle's u = (R^T X)_z (module docstring): (T, 17, 3) camera metres, NaN where not observed
    -> (T,) metres, NaN in a frame without an ankle."""
    up = (np.asarray(joints3d, np.float64)[:, list(ANKLES)] @ frame.R)[..., 2]  # u_j, row vectors
    lower = np.where(np.isfinite(up), up, np.inf).min(1)
    return np.where(np.isfinite(lower), lower, np.nan)


def lower_ankle_heights(joints3d: np.ndarray, frame: WorldFrame) -> np.ndarray:
    """Each frame's lower ankle's height above the world's z = 0, z = c_z + u (module docstring), metres: Human3.6M-17
    camera-frame joints (T, 17, 3) metres, NaN where not observed -> (T,), NaN in a frame without an ankle."""
    return frame.camera_height + _lower_ankle_u(joints3d, frame)


def in_the_air(joints3d: np.ndarray, frame: WorldFrame, floor_z: float, above_m: float) -> np.ndarray:
    """The frames whose lower ankle (:func:`lower_ankle_heights`) stands more than ``above_m`` metres above its place
    on the floor at ``floor_z`` (:data:`ANKLE_HEIGHT_M` up): (T, 17, 3) camera metres -> (T,) bool, False in a frame
    without an ankle."""
    return lower_ankle_heights(joints3d, frame) > floor_z + ANKLE_HEIGHT_M + above_m


def lower_ankle_height(joints3d: np.ndarray, frame: WorldFrame) -> float:
    """The median frame's lower ankle's height above the world's z = 0 (:func:`lower_ankle_heights`), metres; NaN
    where no frame has an ankle."""
    lower = _lower_ankle_u(joints3d, frame)
    lower = lower[np.isfinite(lower)]
    return float(frame.camera_height + np.median(lower)) if len(lower) else float("nan")


def on_floor(poses: PoseSequence, scale: float, frame: WorldFrame | None = None) -> PoseSequence:
    """``poses`` scaled by ``scale`` about the camera's centre (their 2D projections unchanged; the 2D keypoints,
    confidences and camera kept), with ``frame``, the world of the floor they now stand on, as their
    :attr:`~flowpose.pose.PoseSequence.world` (exports write in it) where given; else their own kept."""
    joints = (np.asarray(poses.joints3d, np.float64) * scale).astype(poses.joints3d.dtype)
    world = poses.world if frame is None else np.hstack([frame.R, np.asarray(frame.t, np.float64)[:, None]])
    return replace(poses, joints3d=joints, world=world)
