"""SMPL sequences in AMASS's ``.npz`` layout, Z up: what Blender's SMPL-X add-on and most animation tools load.

AMASS (Mahmood et al., ICCV 2019) stores ``poses`` (T, 72) axis-angle (the root first; (T, 165) for SMPL-X,
with absolute hand poses, and ``surface_model_type = "smplx"``), ``trans`` (T, 3) metres, ``betas``, ``gender``
and ``mocap_framerate``, in a world with Z up. flowpose's sequences are in the
camera frame (x right, y down, z forward); the world here keeps x, puts Y along the viewing direction and
Z up:  (x, y, z)_world = (x, z, -y)_camera,  the rotation ``CAMERA_TO_Z_UP``.

With a calibrated camera's place in its capture's world (Z up, the floor at z = 0: a multi-camera calibration, or
the place a user measured; :class:`flowpose.io.world_frame.WorldFrame`, ``x_cam = R x_world + t``) the body goes to
that world instead, upright on its floor however the camera is tilted: C = R^T and the shift d = -R^T t.

SMPL rotates the body about its rest pelvis J0 (which depends on the shape), then adds ``trans``; rotating
the posed body by C and shifting it by d therefore gives the root rotation C R_root and the translation
C (J0 + t) + d - J0.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from flowpose.body.layouts import SMPLX
from flowpose.body.model import JOINTS_ONLY, BodyModel
from flowpose.body.params import SmplSequence, axis_angle_of
from flowpose.io.atomic import atomic_path
from flowpose.io.motion import resample_joints, resample_rotations
from flowpose.io.poses import WRITER
from flowpose.io.world_frame import WorldFrame

CAMERA_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""(3, 3) camera frame (y down, z forward) -> world with Z up (module docstring)."""


def rest_pelvis(seq: SmplSequence, model: BodyModel) -> np.ndarray:
    """(T, 3) J0, the pelvis of the rest pose of each frame's shape, metres."""
    T = seq.num_frames
    betas = torch.as_tensor(np.broadcast_to(seq.betas, (T, seq.betas.shape[-1])).copy(), dtype=torch.float32)
    with torch.no_grad():  # the joints alone, not the whole mesh of every frame
        out = model(betas, torch.eye(3).expand(T, model.num_joints, 3, 3), torch.zeros(T, 3), vertex_ids=JOINTS_ONLY)
    return out.joints[:, 0].numpy().astype(np.float64)


def to_z_up(seq: SmplSequence, model: BodyModel, frame: WorldFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The sequence's ``poses`` (T, 3 J) and ``trans`` (T, 3) in the Z-up world: the camera's frame turned
    (:data:`CAMERA_TO_Z_UP`), or ``frame``'s world (module docstring)."""
    C, d = (CAMERA_TO_Z_UP, np.zeros(3)) if frame is None else (frame.R.T, -frame.R.T @ frame.t)
    R = model.pose_rotations(seq)
    R[:, 0] = C @ R[:, 0]
    J0 = rest_pelvis(seq, model)
    trans = (J0 + seq.transl) @ C.T + d - J0
    return axis_angle_of(R).reshape(seq.num_frames, -1), trans


def save_amass(seq: SmplSequence, model: BodyModel, path: str | os.PathLike[str], gender: str = "neutral",
               frame: WorldFrame | None = None) -> int:
    """Write ``seq`` as an AMASS-layout ``.npz`` (module docstring), atomically, in ``frame``'s world (None: the camera's
    frame turned Z up); returns the frames written.

    AMASS's frames are evenly spaced at ``mocap_framerate``: a sequence with its frames' own times (a variable frame
    rate, ``seq.times``) is resampled to frames evenly spaced at ``seq.fps`` over its span (rotations by Slerp,
    the translation by a cubic spline; :mod:`flowpose.io.motion`).
    """
    poses, trans = to_z_up(seq, model, frame)
    if seq.times is not None:
        poses = resample_rotations(poses.reshape(seq.num_frames, -1, 3), seq.times, seq.fps).reshape(-1, poses.shape[1])
        trans = resample_joints(trans[:, None], seq.times, seq.fps)[:, 0].astype(np.float64)
    betas = seq.betas if seq.betas.ndim == 1 else seq.betas.mean(0)
    smplx = {"surface_model_type": np.array("smplx")} if model.layout is SMPLX else {}
    with atomic_path(Path(path)) as tmp:
        np.savez(tmp, poses=poses, trans=trans, betas=betas, gender=np.array(gender),
                 mocap_framerate=np.array(seq.fps), **smplx, written_by=WRITER)
    return len(poses)
