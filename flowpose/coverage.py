"""What a pose sequence leaves unobserved: frames with no joint, and joints in no frame. Refinement fills both in
and says so.

A person found in a few frames of a video (someone passing by, a track that starts late) gives a pose file whose
other frames hold no joint. Refinement still returns every frame: between observed frames the poses are
interpolated and then shaped by the temporal and bone priors alone, before the first and after the last observed
frame they hold the nearest observed pose. Those poses are made up, not measured (the results keep their
confidence 0), and a user who reads only ``joints3d`` would not know.

A joint in no frame (the head top, which MediaPipe, COCO and SMPL lack) is placed on its nearest observed ancestor,
a zero-length bone, and stays there (:attr:`flowpose.refinement.objective.PoseProblem.tied`), with confidence 0.
"""

from __future__ import annotations

import numpy as np

from flowpose.frame_runs import runs_text
from flowpose.pose import PoseSequence

UNOBSERVED_SHARE = 0.1
"""A share of frames with no observed joint from which the user is told (a few missed frames are ordinary)."""


def unobserved_frames(poses: PoseSequence) -> np.ndarray:
    """(T,) bool: the frames with no observed joint, none with a confidence above 0 (NaN joints have 0)."""
    return ~(poses.confidence() > 0).any(1)


def unobserved_note(poses: PoseSequence, source: str) -> str | None:
    """A line for the user when at least :data:`UNOBSERVED_SHARE` of the frames, but not all, have no observed
    joint; else None.

    Args:
        poses: the initial poses; a joint is observed where its confidence is above 0 (NaN joints have 0).
        source: the poses' file (or another name), named in the line.

    Returns:
        e.g. ``"p.npz: 91 of its 100 frames have no observed joint (0-90): ..."``, the frames numbered from the
        poses' ``first_frame``.

    Example:
        >>> import numpy as np
        >>> joints3d = np.tile(np.linspace([-0.2, -0.5, 3], [0.2, 0.5, 3], 17), (10, 1, 1))
        >>> joints3d[:4] = np.nan
        >>> unobserved_note(PoseSequence(joints3d=joints3d, K=np.eye(3)), "p.npz")[:59]
        'p.npz: 4 of its 10 frames have no observed joint (0-3): the'
    """
    none = unobserved_frames(poses)
    count, T = int(none.sum()), poses.num_frames
    if count == 0 or count < UNOBSERVED_SHARE * T or count == T:  # none observed at all: an error, elsewhere
        return None
    return (f"{source}: {count} of its {T} frames {'has' if count == 1 else 'have'} no observed joint "
            f"({runs_text(none, poses.first_frame or 0)}): "
            "their poses are filled in from the observed frames (held before the first and after the last), not "
            "measured; the results keep their conf 0")


def unseen_joints(poses: PoseSequence) -> np.ndarray:
    """The joints observed in no frame, neither in 3D (NaN in every frame) nor in 2D (no finite keypoint with a
    confidence above 0).

    Args:
        poses: the initial poses.

    Returns:
        (J,) bool.
    """
    seen = np.isfinite(poses.joints3d).all(-1).any(0)
    if poses.joints2d is not None:
        conf = np.ones(poses.joints2d.shape[:2]) if poses.conf is None else np.nan_to_num(poses.conf, nan=0.0)
        seen |= (np.isfinite(poses.joints2d).all(-1) & (conf > 0)).any(0)
    return ~seen


def placement_matrix(seen: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """Where joints that are never observed go: each on its nearest observed ancestor, or, with no such
    ancestor, on the mean of the observed joints.

    Args:
        seen: (J,) bool, True for the joints observed somewhere; at least one.
        parents: parent index of each joint, -1 for the root.

    Returns:
        (J, J) float32 P with X_placed = P X: the identity's row for an observed joint, a one-hot row on the
        ancestor or a uniform row over the observed joints for one never observed.

    Example:
        >>> placement_matrix(np.array([True, True, False]), (-1, 0, 1))[2]
        array([0., 1., 0.], dtype=float32)
    """
    J = len(parents)
    P = np.eye(J, dtype=np.float32)
    for j in np.flatnonzero(~seen):
        a = parents[j]
        while a >= 0 and not seen[a]:
            a = parents[a]
        P[j] = 0.0
        if a >= 0:
            P[j, a] = 1.0
        else:
            P[j, seen] = 1.0 / seen.sum()
    return P


def joint_label(j: int, names: tuple[str, ...] | None) -> str:
    """``"head (10)"`` with names, ``"10"`` without."""
    return f"{names[j]} ({j})" if names is not None else str(j)


def placement_text(place: np.ndarray, joints: np.ndarray, names: tuple[str, ...] | None) -> str:
    """Where :func:`placement_matrix` puts each of ``joints``: ``"head (10) on neck (9)"``, ``"; "`` between them."""
    told = []
    for j in joints:
        a = int(np.argmax(place[j])) if np.count_nonzero(place[j]) == 1 else -1
        told.append(f"{joint_label(j, names)} on {joint_label(a, names) if a >= 0 else 'the mean joint'}")
    return "; ".join(told)


def absent_joints_note(poses: PoseSequence, source: str) -> str | None:
    """A line for the user naming the joints observed in no frame (:func:`unseen_joints`) and where refinement
    keeps them; None when every joint is observed somewhere (or none is: an error, elsewhere).

    Args:
        poses: the initial poses.
        source: the poses' file (or another name), named in the line.

    Returns:
        e.g. ``"p.npz: head (10) is in none of its frames, so it is kept on its nearest observed joint, with
        conf 0: head (10) on neck (9)"`` (a zero-length bone).

    Example:
        >>> import numpy as np
        >>> joints3d = np.tile(np.linspace([-0.2, -0.5, 3], [0.2, 0.5, 3], 17), (4, 1, 1))
        >>> joints3d[:, 10] = np.nan
        >>> absent_joints_note(PoseSequence(joints3d=joints3d, K=np.eye(3)), "p.npz")[:34]
        'p.npz: head (10) is in none of its'
    """
    unseen = np.flatnonzero(unseen_joints(poses))
    seen3d = np.isfinite(poses.joints3d).all(-1).any(0)
    if unseen.size == 0 or not seen3d.any():
        return None
    names = poses.skel.joint_names
    one = unseen.size == 1
    return (f"{source}: {', '.join(joint_label(j, names) for j in unseen)} {'is' if one else 'are'} in none of its "
            f"frames, so {'it is' if one else 'they are'} kept on {'its' if one else 'their'} nearest observed "
            f"joint{'' if one else 's'}, with conf 0: "
            f"{placement_text(placement_matrix(seen3d, poses.skel.parents), unseen, names)}")
