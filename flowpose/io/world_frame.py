"""Where exported poses stand: their camera's frame turned Y up, or the calibrated world of a multi-camera capture.

A single view's refinement works in its camera's frame (x right, y down, z forward, metres). Animation and
biomechanics files are Y up, and a camera's frame turned Y up (:data:`CAMERA_TO_Y_UP`) is upright only where the
camera is level: a camera tilted down by 25 degrees (the real pose2sim cameras are tilted 18 to 34 degrees) leans the
body by as much, and OpenSim reads the lean as the pelvis's tilt. A capture calibrated with its world (Pose2Sim,
Qualisys: Z up, the floor at z = 0) gives each camera's extrinsics, ``x_cam = R x_world + t``; the poses then go to
that world,

    x_world = R^T (x_cam - t),

and to Y up as Pose2Sim writes its TRC files (X -> Y, Y -> Z, Z -> X: :data:`Z_UP_TO_Y_UP`), so that they stand on
the calibrated floor, in the frame the other views' triangulation uses. Monocular depth is metric only as far as
the estimate's is: the body's place in that world carries the refinement's depth error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowpose.errors import InputError
from flowpose.io.rig_files import RigCamera
from flowpose.pose import is_rotation
from flowpose.skeleton import H36M17

CAMERA_TO_Y_UP = np.diag([1.0, -1.0, -1.0])
"""Camera frame (y down, z forward) to Y up: a half turn about x."""
Z_UP_TO_Y_UP = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
"""A Z-up world to Y up as Pose2Sim turns its TRC files (new x, y, z = old y, z, x): a rotation, not a mirror."""
MAX_CAMERA_DISTANCE_M = 100.0
"""A camera farther than this from its world's origin is taken for a calibration in other units than metres."""


@dataclass(frozen=True)
class WorldFrame:
    """A calibrated camera's place in its capture's world (Z up).

    Attributes:
        R: (3, 3) rotation from the world to the camera (OpenCV's axes).
        t: (3,) metres, ``x_cam = R x_world + t``.
        camera: the camera's name, for messages.
    """

    R: np.ndarray
    t: np.ndarray
    camera: str

    def y_up(self, joints3d: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) metres in the world, Y up (module docstring); NaN stays NaN."""
        world = (np.asarray(joints3d, np.float64) - self.t) @ self.R  # R^T (x - t), row vectors
        return world @ Z_UP_TO_Y_UP.T

    @property
    def camera_height(self) -> float:
        """The camera's centre's world z, metres: the z of -R^T t, where x_cam = 0."""
        return float(-(self.R.T @ self.t)[2])


THORAX = H36M17.index("thorax")
ANKLES = (H36M17.index("r_ankle"), H36M17.index("l_ankle"))
MAX_LEAN_DEG = 45.0
"""A person's mean axis further than this from a world's z says the world is not Z up (anipose's board frames)."""


def body_axis(joints3d: np.ndarray) -> np.ndarray | None:
    """A person's mean axis, mid-ankles to thorax, over the frames that have them: Human3.6M-17 joints (T, 17, 3) in
    any frame -> (3,) unit vector in that frame; None where no frame has them."""
    joints = np.asarray(joints3d, np.float64)
    axis = joints[:, THORAX] - joints[:, list(ANKLES)].mean(1)
    axis = axis[np.isfinite(axis).all(-1)]
    if not len(axis):
        return None
    mean = axis.mean(0)
    return mean / np.linalg.norm(mean)


def lean_deg(joints3d: np.ndarray, frame: WorldFrame) -> float | None:
    """The angle between a person's mean axis (:func:`body_axis` of camera-frame joints (T, 17, 3) metres) and the
    world's z, degrees; None where no frame has the axis. A person upright on average stands within a few degrees of
    a Z-up world's z (the real set: 1.8 to 11.1)."""
    axis = body_axis(joints3d)
    if axis is None:
        return None
    world = axis @ frame.R  # R^T a: a direction, without the translation
    return float(np.degrees(np.arccos(np.clip(world[2], -1.0, 1.0))))


def y_up(joints3d: np.ndarray, frame: WorldFrame | None = None) -> np.ndarray:
    """Camera-frame points (..., 3) metres, Y up: in ``frame``'s world where given, else the camera's frame turned.

    Example:
        >>> y_up(np.array([0.0, -1.0, 3.0]))  # above the camera's centre, 3 m ahead
        array([ 0.,  1., -3.])
    """
    if frame is not None:
        return frame.y_up(joints3d)
    return np.asarray(joints3d, np.float64) @ CAMERA_TO_Y_UP.T


def world_frame(camera: RigCamera, source: str) -> WorldFrame:
    """The world frame of a camera read from a calibration file (:func:`flowpose.io.rig_files.read_rig`).

    Raises:
        InputError: the camera has no extrinsics in the file, its rotation is not one, or it stands so far from
            the world's origin that the file is not in metres.
    """
    where = f"{source}: camera {camera.name}"
    if camera.R is None or camera.t is None:
        raise InputError(f"{where}: no rotation and translation (the camera's place in the world) in the file (EasyMocap "
                         "keeps them in extri.yml, beside intri.yml)")
    R, t = np.asarray(camera.R, np.float64), np.asarray(camera.t, np.float64)
    if not is_rotation(R):
        raise InputError(f"{where}: its rotation is not a rotation (R R^T = I and det R = 1 expected), got {R.tolist()}")
    distance = float(np.linalg.norm(R.T @ t))
    if distance > MAX_CAMERA_DISTANCE_M:
        raise InputError(f"{where}: {distance:g} from the world's origin: expected metres (Pose2Sim's); a calibration "
                         "in millimetres (anipose's board measured in mm) must be converted to metres first")
    return WorldFrame(R=R, t=t, camera=camera.name)
