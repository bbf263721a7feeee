"""Poses to TRC, OpenSim's marker file: each joint a marker, for OpenSim's scaling and inverse kinematics.

The file is the tab-separated layout OpenSim reads and Pose2Sim writes: two header lines (``PathFileType``, then
``DataRate``, ``CameraRate``, ``NumFrames``, ``NumMarkers``, ``Units``, ``OrigDataRate``, ``OrigDataStartFrame``,
``OrigNumFrames`` and their values), the marker names (each over its three columns), ``X1 Y1 Z1 ...``, a blank
line, then a row a frame: its number, its time in seconds, and x, y, z of each marker. A marker not observed in a
frame is left blank, as OpenSim reads a missing marker (its inverse kinematics skips it in that frame).

The markers are named as Pose2Sim's skeletons and OpenSim models name them (``Hip``, ``RHip``, ``RKnee``, ...,
``Neck``, ``Nose``, ``Head``), so that its models' marker sets find them; Human3.6M-17's spine has no marker of
theirs and is written as ``Spine``. The camera frame (x right, y down, z forward) becomes Y up by a half turn
about x, as in :mod:`flowpose.io.bvh_export`, or, with a calibrated camera's world frame, the capture's world turned
Y up as Pose2Sim turns its own (:mod:`flowpose.io.world_frame`); metres.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from flowpose.errors import ShapeError
from flowpose.io.atomic import atomic_path
from flowpose.io.world_frame import WorldFrame, y_up
from flowpose.skeleton import H36M17

TRC_MARKERS = {
    "pelvis": "Hip", "r_hip": "RHip", "r_knee": "RKnee", "r_ankle": "RAnkle", "l_hip": "LHip", "l_knee": "LKnee",
    "l_ankle": "LAnkle", "spine": "Spine", "thorax": "Neck", "neck": "Nose", "head": "Head",
    "l_shoulder": "LShoulder", "l_elbow": "LElbow", "l_wrist": "LWrist", "r_shoulder": "RShoulder",
    "r_elbow": "RElbow", "r_wrist": "RWrist",
}
"""Human3.6M-17 joint -> its marker's name (Pose2Sim's; H36M's ``neck`` lies at the nose, its ``thorax`` at the
base of the neck)."""


def write_trc(
    path: str | os.PathLike[str],
    joints3d: np.ndarray,
    times: np.ndarray,
    fps: float,
    first_frame: int = 0,
    frame: WorldFrame | None = None,
) -> None:
    """Write Human3.6M-17 joints as a TRC marker file (module docstring), whole or not at all.

    Args:
        path: the ``.trc`` file.
        joints3d: (T, 17, 3) metres, camera frame; NaN where a joint was not observed (left blank).
        times: (T,) seconds of each frame.
        fps: the nominal frame rate (``DataRate``).
        first_frame: the video frame of row 0; rows are numbered from ``first_frame + 1`` (TRC counts from 1).
        frame: the camera's world (:class:`~flowpose.io.world_frame.WorldFrame`); None: the camera's frame turned.

    Raises:
        ShapeError: for joints that are not (T, 17, 3), or times that are not (T,).
    """
    joints = np.asarray(joints3d, np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (H36M17.num_joints, 3):
        raise ShapeError("joints3d", "(T, 17, 3)", joints.shape)
    T = joints.shape[0]
    times = np.asarray(times, np.float64)
    if times.shape != (T,):
        raise ShapeError("times", f"({T},)", times.shape)
    up = y_up(joints, frame)
    names = [TRC_MARKERS[name] for name in H36M17.joint_names]
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{Path(path).name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{fps:g}\t{fps:g}\t{T}\t{len(names)}\tm\t{fps:g}\t{first_frame + 1}\t{T}",
        "Frame#\tTime\t" + "\t".join(f"{name}\t\t" for name in names),
        "\t\t" + "\t".join(f"X{k}\tY{k}\tZ{k}" for k in range(1, len(names) + 1)),
        "",
    ]
    for t in range(T):
        values = ("" if not np.isfinite(v) else f"{v:.6f}" for v in up[t].ravel())
        lines.append(f"{first_frame + t + 1}\t{times[t]:.6f}\t" + "\t".join(values))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
