"""Is a ground truth in the camera frame and the units of the poses it scores?

MPJPE aligns the roots of the two skeletons, not their rotation nor their scale. Ground truth in the world frame of a
motion-capture system (often y or z up), or in millimetres, is scored as if it were in the camera frame in metres:
every figure is then hundreds of millimetres, and nothing says why. Compared with the poses' own torso (pelvis to
thorax) in the frames where both have it, such ground truth points another way or has another size; one line says so.
On the real set (8 view-person pairs, MediaPipe estimates against the held-out pseudo ground truth) the median angle
between the two torsos is 6-22 degrees and the median size ratio 0.87-1.12
(``benchmarks/experiments/truth_torso.py``).
"""

from __future__ import annotations

import numpy as np

from flowpose.io.groundtruth import GroundTruth
from flowpose.joint_map import to_h36m17
from flowpose.pose import PoseSequence

PELVIS, THORAX = 0, 8
"""Human3.6M-17 joints of the torso's ends."""
TURNED_DEG = 45.0
"""A ground-truth torso that points further than this from the poses' (the median over frames) is in another frame."""
SIZE_APART = 2.0
"""A ground-truth torso longer or shorter than the poses' by more than this factor (the median) is in other units."""


def _torso(joints3d: np.ndarray) -> np.ndarray:
    """(T, 3) pelvis-to-thorax vectors of (T, 17, 3) Human3.6M-17 joints, NaN where either is missing."""
    return np.asarray(joints3d, np.float64)[:, THORAX] - np.asarray(joints3d, np.float64)[:, PELVIS]


def torso_agreement(poses: PoseSequence, gt: GroundTruth) -> tuple[float, float, int] | None:
    """How the ground truth's torso (pelvis to thorax) compares with the poses': the median over the frames where
    both have it of the angle between the two (degrees) and of the ratio of their lengths (ground truth over poses),
    and the number of those frames; None without such a frame.

    Args:
        poses: the poses scored (any skeleton; joints of confidence 0 are left out), metres, camera frame.
        gt: their ground truth, of the same frames.
    """
    seen = (poses.confidence() > 0)[..., None]
    mine = _torso(to_h36m17(np.where(seen, poses.joints3d, np.nan), poses.skeleton, missing="nan"))
    theirs = _torso(gt.as_h36m17().joints3d)
    la, lb = np.linalg.norm(mine, axis=1), np.linalg.norm(theirs, axis=1)
    keep = np.isfinite(la) & np.isfinite(lb) & (la > 0) & (lb > 0)
    if not keep.any():
        return None
    cosine = (mine[keep] * theirs[keep]).sum(1) / (la[keep] * lb[keep])
    angle = float(np.degrees(np.median(np.arccos(np.clip(cosine, -1.0, 1.0)))))
    return angle, float(np.median(lb[keep] / la[keep])), int(keep.sum())


def ground_truth_note(poses: PoseSequence, gt: GroundTruth, source: str) -> str | None:
    """One line when the ground truth's torso has another size (:data:`SIZE_APART`) or points another way
    (:data:`TURNED_DEG`) than the poses', the median over the frames where both have it; None otherwise, or with no
    such frame.

    Args:
        poses: the poses scored (any skeleton; joints of confidence 0 are left out), metres, camera frame.
        gt: their ground truth, of the same frames.
        source: the ground truth's file, for the message.

    Example:
        >>> import numpy as np
        >>> X = np.zeros((3, 17, 3)) + [0, 0, 3.0]
        >>> X[:, 8, 1] = -0.5  # the thorax 0.5 m above the pelvis (y down)
        >>> poses = PoseSequence(X, np.diag([500.0, 500, 1]))
        >>> ground_truth_note(poses, GroundTruth(joints3d=X * 1000), "gt.npz")[:51]
        "gt.npz: its torso is 1000 times the poses' (the med"
    """
    agreement = torso_agreement(poses, gt)
    if agreement is None:
        return None
    angle, ratio, n = agreement
    if not 1 / SIZE_APART <= ratio <= SIZE_APART:
        size = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.2g}"
        return (f"{source}: its torso is {size} times the poses' (the median over {n} frames, pelvis to "
                "thorax): in other units? flowpose reads metres")
    if angle > TURNED_DEG:
        return (f"{source}: its torso points {angle:.0f} degrees away from the poses' (the median over {n} frames): "
                "in another frame (a world frame, y or z up)? MPJPE aligns the roots, not the rotation; flowpose's "
                "camera frame is x right, y down, z forward")
    return None
