"""Mappings between skeletons: any registered skeleton to the canonical Human3.6M-17 and back.

Each H36M-17 joint is picked from, or averaged over, joints of the source skeleton (e.g. COCO's pelvis = mean of
the hips); the tables say which, with the reason where a choice was made.
"""

from __future__ import annotations

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.skeleton import H36M17, Skeleton, get_skeleton

_LIMBS = (
    "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle",
    "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
)
"""The twelve limb joints, named alike in every skeleton here and mapped one to one."""

_SAME_LIMBS_TO = {name: (name,) for name in _LIMBS}
_SAME_LIMBS_FROM = {name: name for name in _LIMBS}

TO_H36M17: dict[str, dict[str, tuple[str, ...] | None]] = {
    # Each H36M-17 joint is the mean of the listed source joints; None: the source has nothing close enough.
    "lsp14": {
        **_SAME_LIMBS_TO,
        "pelvis": ("l_hip", "r_hip"),
        "spine": ("l_hip", "r_hip", "l_shoulder", "r_shoulder"),  # mid-torso; LSP has no spine joint
        "thorax": ("neck",),  # METRO evaluates LSP "neck" against H36M joint 8
        "neck": ("neck", "head_top"),  # H36M's neck/nose lies about halfway from thorax to head top
        "head": ("head_top",),
    },
    "smpl24": {
        **_SAME_LIMBS_TO,
        "pelvis": ("pelvis",),
        "spine": ("spine2",),
        "thorax": ("neck",),  # SMPL's neck joint is the base of the neck
        "neck": ("head",),  # SMPL's head joint is the skull centre, at about nose height
        "head": None,  # SMPL has no head-top joint
    },
    "coco17": {
        **_SAME_LIMBS_TO,
        "pelvis": ("l_hip", "r_hip"),
        "spine": ("l_hip", "r_hip", "l_shoulder", "r_shoulder"),
        "thorax": ("l_shoulder", "r_shoulder"),
        "neck": ("nose",),
        "head": None,  # the ears lie ~10 cm below the head top: averaging them would bias the head
    },
    "mediapipe33": {
        **_SAME_LIMBS_TO,
        "pelvis": ("l_hip", "r_hip"),
        "spine": ("l_hip", "r_hip", "l_shoulder", "r_shoulder"),
        "thorax": ("l_shoulder", "r_shoulder"),
        "neck": ("nose",),
        "head": None,  # as for COCO: no head-top landmark
    },
    "openpose25": {
        **_SAME_LIMBS_TO,
        "pelvis": ("mid_hip",),
        "spine": ("mid_hip", "neck"),  # mid-torso
        "thorax": ("neck",),  # OpenPose's neck is the shoulders' midpoint, where H36M's thorax is
        "neck": ("nose",),
        "head": None,  # no head top
    },
    "openpose25b": {
        **_SAME_LIMBS_TO,
        "pelvis": ("l_hip", "r_hip"),
        "spine": ("l_hip", "r_hip", "l_shoulder", "r_shoulder"),
        "thorax": ("l_shoulder", "r_shoulder"),
        "neck": ("nose",),
        "head": ("head_top",),
    },
    "openpose18": {
        **_SAME_LIMBS_TO,
        "pelvis": ("l_hip", "r_hip"),
        "spine": ("l_hip", "r_hip", "l_shoulder", "r_shoulder"),
        "thorax": ("neck",),
        "neck": ("nose",),
        "head": None,
    },
    "halpe26": {
        **_SAME_LIMBS_TO,
        "pelvis": ("mid_hip",),
        "spine": ("mid_hip", "neck"),  # mid-torso
        "thorax": ("neck",),  # Halpe's neck is at the base of the neck, where H36M's thorax is
        "neck": ("nose",),
        "head": ("head_top",),  # Halpe's "head" is the top of the head
    },
    "coco_wholebody133": {
        **_SAME_LIMBS_TO,
        "pelvis": ("l_hip", "r_hip"),
        "spine": ("l_hip", "r_hip", "l_shoulder", "r_shoulder"),
        "thorax": ("l_shoulder", "r_shoulder"),
        "neck": ("nose",),
        "head": None,  # as COCO-17's body: no head top
    },
    "humaneva15": {
        **_SAME_LIMBS_TO,
        "pelvis": ("pelvis",),
        "spine": ("pelvis", "thorax"),
        "thorax": ("thorax",),
        "neck": ("thorax", "head"),
        "head": ("head",),
    },
}
"""For each skeleton: H36M-17 joint name -> the source joints averaged to make it, or None (not derivable)."""

FROM_H36M17: dict[str, dict[str, str]] = {
    # Target joint -> the H36M-17 joint it is taken from; target joints not listed become NaN.
    "lsp14": {**_SAME_LIMBS_FROM, "neck": "thorax", "head_top": "head"},  # METRO's H36M_J17_TO_J14
    "smpl24": {**_SAME_LIMBS_FROM, "pelvis": "pelvis", "spine2": "spine", "neck": "thorax", "head": "neck"},
    "coco17": {**_SAME_LIMBS_FROM, "nose": "neck"},
    "mediapipe33": {**_SAME_LIMBS_FROM, "nose": "neck"},
    "humaneva15": {**_SAME_LIMBS_FROM, "pelvis": "pelvis", "thorax": "thorax", "head": "head"},
    "openpose25": {**_SAME_LIMBS_FROM, "mid_hip": "pelvis", "neck": "thorax", "nose": "neck"},
    "openpose25b": {**_SAME_LIMBS_FROM, "nose": "neck", "head_top": "head"},
    "openpose18": {**_SAME_LIMBS_FROM, "neck": "thorax", "nose": "neck"},
    "halpe26": {**_SAME_LIMBS_FROM, "mid_hip": "pelvis", "neck": "thorax", "nose": "neck", "head_top": "head"},
    "coco_wholebody133": {**_SAME_LIMBS_FROM, "nose": "neck"},
}
"""For each skeleton: its joint name -> the H36M-17 joint it equals; joints not listed cannot be derived."""


def _check_joints(joints: np.ndarray, skel: Skeleton, name: str) -> np.ndarray:
    joints = np.asarray(joints)
    if joints.ndim < 2 or joints.shape[-2] != skel.num_joints:
        raise ShapeError(name, f"(..., {skel.num_joints}, D) for skeleton {skel.name!r}", joints.shape)
    return joints


def to_h36m17(joints: np.ndarray, skeleton: str, *, missing: str = "raise") -> np.ndarray:
    """Convert joints of any registered skeleton to Human3.6M-17 (VideoPose3D order).

    Each H36M-17 joint is picked from, or averaged over, source joints as listed in :data:`TO_H36M17`
    (e.g. the pelvis of COCO-17 is the mean of its hips). NaN source joints give NaN results.

    Args:
        joints: (..., J, D) joints of ``skeleton``, any D (2D pixels or 3D metres).
        skeleton: registry name of the source skeleton.
        missing: ``"raise"`` to refuse skeletons lacking an H36M joint (SMPL, COCO and MediaPipe have no head
            top), ``"nan"`` to fill such joints with NaN (refinement treats NaN joints as unobserved).

    Returns:
        (..., 17, D) floating-point joints; a copy for ``"h36m17"``.

    Raises:
        InputError: for an unknown skeleton or ``missing`` value, or a joint that cannot be derived while
            ``missing="raise"``.
        ShapeError: if the joint axis does not match the skeleton.

    Example:
        >>> coco = np.zeros((17, 2)); coco[11] = [2.0, 0.0]; coco[12] = [4.0, 0.0]
        >>> to_h36m17(coco, "coco17", missing="nan")[0]
        array([3., 0.])
    """
    if missing not in ("raise", "nan"):
        raise InputError(f"missing must be 'raise' or 'nan', got {missing!r}")
    skel = get_skeleton(skeleton)
    joints = _check_joints(joints, skel, "joints")
    dtype = np.result_type(joints.dtype, np.float32)
    if skel.name == H36M17.name:
        return joints.astype(dtype, copy=True)
    table = TO_H36M17[skel.name]
    out = np.full(joints.shape[:-2] + (H36M17.num_joints, joints.shape[-1]), np.nan, dtype=dtype)
    for k, target in enumerate(H36M17.joint_names):
        sources = table[target]
        if sources is None:
            if missing == "raise":
                raise InputError(
                    f"cannot derive h36m17 joint {target!r} from skeleton {skeleton!r}; "
                    "pass missing='nan' to leave it NaN"
                )
            continue
        out[..., k, :] = joints[..., [skel.index(s) for s in sources], :].mean(axis=-2)
    return out


def from_h36m17(joints: np.ndarray, skeleton: str) -> np.ndarray:
    """Convert Human3.6M-17 joints to another registered skeleton, e.g. LSP-14 for METRO-style evaluation.

    Target joints listed in :data:`FROM_H36M17` are copied from their H36M joint; every other target joint
    (e.g. SMPL's hands and feet, COCO's eyes and ears) cannot be derived and is NaN.

    Args:
        joints: (..., 17, D) H36M-17 joints.
        skeleton: registry name of the target skeleton.

    Returns:
        (..., J', D) floating-point joints of ``skeleton``, NaN where not derivable.

    Raises:
        InputError: for an unknown skeleton.
        ShapeError: if the joint axis is not 17.

    Example:
        >>> from_h36m17(np.arange(17.0)[:, None], "lsp14")[:, 0].astype(int).tolist()
        [3, 2, 1, 4, 5, 6, 16, 15, 14, 11, 12, 13, 8, 10]
    """
    skel = get_skeleton(skeleton)
    joints = _check_joints(joints, H36M17, "joints")
    dtype = np.result_type(joints.dtype, np.float32)
    if skel.name == H36M17.name:
        return joints.astype(dtype, copy=True)
    table = FROM_H36M17[skel.name]
    out = np.full(joints.shape[:-2] + (skel.num_joints, joints.shape[-1]), np.nan, dtype=dtype)
    for k, target in enumerate(skel.joint_names):
        if target in table:
            out[..., k, :] = joints[..., H36M17.index(table[target]), :]
    return out


def confidence_to_h36m17(conf: np.ndarray, skeleton: str) -> np.ndarray:
    """Convert per-joint confidences like :func:`to_h36m17` converts joints: a derived joint is as sure as
    its least sure source; a joint the skeleton cannot give is 0.

    Args:
        conf: (..., J) confidences of ``skeleton``'s joints, NaN counting as 0.
        skeleton: registry name of the source skeleton.

    Returns:
        (..., 17) float32 confidences.

    Example:
        >>> c = np.ones(17); c[11] = 0.4
        >>> confidence_to_h36m17(c, "coco17")[[0, 10]].tolist()
        [0.4000000059604645, 0.0]
    """
    skel = get_skeleton(skeleton)
    conf = np.nan_to_num(np.asarray(conf, np.float32), nan=0.0)
    if conf.shape[-1:] != (skel.num_joints,):
        raise ShapeError("conf", f"(..., {skel.num_joints}) for skeleton {skel.name!r}", conf.shape)
    if skel.name == H36M17.name:
        return conf.copy()
    table = TO_H36M17[skel.name]
    out = np.zeros(conf.shape[:-1] + (H36M17.num_joints,), np.float32)
    for k, target in enumerate(H36M17.joint_names):
        sources = table[target]
        if sources is not None:
            out[..., k] = conf[..., [skel.index(s) for s in sources]].min(axis=-1)
    return out
