"""Where the SMPL pose stage's solve starts: the estimate smoothed in time (``SmplRefineConfig.start_smoothing_s``).

The solve (:func:`flowpose.body.refine.refine_smpl`) stops at its iteration cap (200 a round) well before its minimum
when it starts from an estimate that shakes from frame to frame: the acceleration prior's many small, stiff modes take
most of the steps. Started from the estimate smoothed in time, the same objective (its 3D, 2D and rotation terms
still hold the estimate as given) ends far lower in as many steps (on the stand-in model, 48 frames, seeds 0-2, the
default weights: the final loss 31.0 from the estimate, 22.1 from it smoothed by 1.5 frames, the acceleration error
25.0 → 7.5 mm/frame²: ``python benchmarks/bench_smpl.py --timing-frames 0 --frames 48 --start-smoothing none``, and
``0.05``; ``benchmarks/RESULTS.md``, fifty-seventh session). Each joint's rotation is smoothed as a unit quaternion (the quaternions of neighbouring frames brought to
one hemisphere, Gaussian-weighted, normalised: a standard approximation of the rotations' weighted mean for nearby
rotations), the translation as it is; the shape and SMPL-X's face and hands are kept.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from flowpose.baselines.smoothers import gaussian_smooth
from flowpose.body.params import SmplSequence


def smoothed_start(seq: SmplSequence, sigma_frames: float) -> SmplSequence:
    """``seq`` with its root and body rotations and its translation smoothed in time by a Gaussian of ``sigma_frames``
    frames (module docstring; :func:`flowpose.baselines.smoothers.gaussian_smooth`, ends padded with their values).

    Args:
        seq: T frames.
        sigma_frames: the Gaussian's standard deviation, frames (0: ``seq`` unchanged).
    """
    if sigma_frames == 0:
        return seq
    aa = np.concatenate([seq.global_orient[:, None], seq.body_pose], axis=1)
    T, J = aa.shape[:2]
    q = Rotation.from_rotvec(aa.reshape(-1, 3)).as_quat().reshape(T, J, 4)
    for t in range(1, T):  # q and -q are one rotation: each frame's on its predecessor's side
        q[t] *= np.where((q[t] * q[t - 1]).sum(-1, keepdims=True) < 0, -1.0, 1.0)
    q = gaussian_smooth(q, sigma_frames=sigma_frames).astype(np.float64)
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    rot = Rotation.from_quat(q.reshape(-1, 4)).as_rotvec().reshape(T, J, 3)
    transl = gaussian_smooth(seq.transl[:, None], sigma_frames=sigma_frames)[:, 0].astype(np.float64)
    return seq.with_body(global_orient=rot[:, 0], body_pose=rot[:, 1:], betas=seq.betas, transl=transl)
