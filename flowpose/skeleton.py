"""Skeleton definitions: joint names, parents, bones, left/right pairs, and mappings between skeletons.

The canonical skeleton is Human3.6M-17 in VideoPose3D order (see DESIGN.md). Every other skeleton is mapped to
it with :func:`to_h36m17`, either by picking a joint or by averaging several (e.g. COCO's pelvis = mean of the
hips).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowpose.errors import InputError, ShapeError, unknown_name_error


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree of named joints.

    Attributes:
        name: registry name, e.g. ``"h36m17"``.
        joint_names: one name per joint, in array order.
        parents: parent index of each joint, ``-1`` for the root.
        root: index of the joint MPJPE aligns at; ``None`` where the skeleton has no pelvis and the hip
            midpoint (``hips``) is used instead.
        hips: (left, right) hip indices, used for root alignment when ``root`` is None.
        flip_pairs: (left, right) index pairs, for left-right swaps.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    root: int | None
    hips: tuple[int, int]
    flip_pairs: tuple[tuple[int, int], ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.joint_names) != len(self.parents):
            raise ValueError(f"{self.name}: {len(self.joint_names)} names but {len(self.parents)} parents")

    @property
    def num_joints(self) -> int:
        """Number of joints J."""
        return len(self.joint_names)

    @property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """(parent, child) index pairs, one per non-root joint with a parent."""
        return tuple((p, c) for c, p in enumerate(self.parents) if p >= 0)

    def index(self, joint_name: str) -> int:
        """Index of a joint by name.

        Raises:
            InputError: if the skeleton has no such joint.
        """
        try:
            return self.joint_names.index(joint_name)
        except ValueError:
            raise unknown_name_error(f"joint of skeleton {self.name}", joint_name, self.joint_names) from None

    def root_position(self, joints: np.ndarray) -> np.ndarray:
        """The alignment root of each pose.

        Args:
            joints: (..., J, D) joint positions.

        Returns:
            (..., 1, D) the root joint, or the hip midpoint where the skeleton has no pelvis.
        """
        if self.root is not None:
            return joints[..., self.root : self.root + 1, :]
        left, right = self.hips
        return 0.5 * (joints[..., left : left + 1, :] + joints[..., right : right + 1, :])


H36M17 = Skeleton(
    name="h36m17",
    joint_names=(
        "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine", "thorax",
        "neck", "head", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
    ),
    parents=(-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15),
    root=0,
    hips=(4, 1),
    flip_pairs=((4, 1), (5, 2), (6, 3), (11, 14), (12, 15), (13, 16)),
)
"""Canonical Human3.6M-17 skeleton in VideoPose3D order; joint 9 is the neck/nose."""

LSP14 = Skeleton(
    name="lsp14",
    joint_names=(
        "r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "r_wrist", "r_elbow", "r_shoulder",
        "l_shoulder", "l_elbow", "l_wrist", "neck", "head_top",
    ),
    # No pelvis: the tree hangs from the neck, and each hip from its shoulder (the sides of the torso, as
    # the LSP stick figure draws them).
    parents=(1, 2, 8, 9, 3, 4, 7, 8, 12, 12, 9, 10, -1, 12),
    root=None,
    hips=(3, 2),
    flip_pairs=((3, 2), (4, 1), (5, 0), (9, 8), (10, 7), (11, 6)),
)
"""Leeds Sports Pose 14 joints, the joints METRO reports its Human3.6M errors on."""

SMPL24 = Skeleton(
    name="smpl24",
    joint_names=(
        "pelvis", "l_hip", "r_hip", "spine1", "l_knee", "r_knee", "spine2", "l_ankle", "r_ankle", "spine3",
        "l_foot", "r_foot", "neck", "l_collar", "r_collar", "head", "l_shoulder", "r_shoulder", "l_elbow",
        "r_elbow", "l_wrist", "r_wrist", "l_hand", "r_hand",
    ),
    parents=(-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21),
    root=0,
    hips=(1, 2),
    flip_pairs=((1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21), (22, 23)),
)
"""The 24 joints of the SMPL body model, in SMPL's own order."""

COCO17 = Skeleton(
    name="coco17",
    joint_names=(
        "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
        "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle",
    ),
    # COCO's drawing has cycles; as a tree: face and shoulders hang from the nose, hips from the shoulders.
    parents=(-1, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14),
    root=None,
    hips=(11, 12),
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
)
"""COCO-17 keypoints (2D detectors)."""

MEDIAPIPE33 = Skeleton(
    name="mediapipe33",
    joint_names=(
        "nose", "l_eye_inner", "l_eye", "l_eye_outer", "r_eye_inner", "r_eye", "r_eye_outer", "l_ear",
        "r_ear", "l_mouth", "r_mouth", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist",
        "r_wrist", "l_pinky", "r_pinky", "l_index", "r_index", "l_thumb", "r_thumb", "l_hip", "r_hip",
        "l_knee", "r_knee", "l_ankle", "r_ankle", "l_heel", "r_heel", "l_foot_index", "r_foot_index",
    ),
    parents=(
        -1, 0, 1, 2, 0, 4, 5, 3, 6, 0, 0, 0, 0, 11, 12, 13, 14, 15, 16, 15, 16, 15, 16, 11, 12, 23, 24,
        25, 26, 27, 28, 27, 28,
    ),
    root=None,
    hips=(23, 24),
    flip_pairs=(
        (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20),
        (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32),
    ),
)
"""MediaPipe BlazePose 33 landmarks, in BlazePose order."""

HUMANEVA15 = Skeleton(
    name="humaneva15",
    joint_names=(
        "pelvis", "thorax", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist", "l_hip",
        "l_knee", "l_ankle", "r_hip", "r_knee", "r_ankle", "head",
    ),
    parents=(-1, 0, 1, 2, 3, 1, 5, 6, 0, 8, 9, 0, 11, 12, 1),
    root=0,
    hips=(8, 11),
    flip_pairs=((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13)),
)
"""HumanEva-I 15 joints, in the order VideoPose3D uses."""

OPENPOSE25 = Skeleton(
    name="openpose25",
    joint_names=(
        "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist", "mid_hip",
        "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear",
        "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel",
    ),
    parents=(1, 8, 1, 2, 3, 1, 5, 6, -1, 8, 9, 10, 8, 12, 13, 0, 0, 15, 16, 14, 14, 14, 11, 11, 11),
    root=8,
    hips=(12, 9),
    flip_pairs=(
        (5, 2), (6, 3), (7, 4), (12, 9), (13, 10), (14, 11), (16, 15), (18, 17), (19, 22), (20, 23), (21, 24),
    ),
)
"""OpenPose BODY_25 (``pose_keypoints_2d`` of the default model); its neck is the shoulders' midpoint."""

OPENPOSE25B = Skeleton(
    name="openpose25b",
    joint_names=(
        "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
        "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "upper_neck",
        "head_top", "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel",
    ),
    parents=(17, 0, 0, 1, 2, 17, 17, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14, -1, 17, 15, 15, 15, 16, 16, 16),
    root=None,
    hips=(11, 12),
    flip_pairs=(
        (1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (19, 22), (20, 23), (21, 24),
    ),
)
"""OpenPose BODY_25B (the experimental model): COCO-17 order, then upper neck, head top and feet."""

OPENPOSE18 = Skeleton(
    name="openpose18",
    joint_names=(
        "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist", "r_hip",
        "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear",
    ),
    parents=(1, -1, 1, 2, 3, 1, 5, 6, 1, 8, 9, 1, 11, 12, 0, 0, 14, 15),
    root=None,
    hips=(11, 8),
    flip_pairs=((5, 2), (6, 3), (7, 4), (11, 8), (12, 9), (13, 10), (15, 14), (17, 16)),
)
"""OpenPose's COCO-18 model (BODY_18): COCO's joints in OpenPose order, with a neck."""

SKELETONS: dict[str, Skeleton] = {
    s.name: s
    for s in (H36M17, LSP14, SMPL24, COCO17, MEDIAPIPE33, HUMANEVA15, OPENPOSE25, OPENPOSE25B, OPENPOSE18)
}
"""Registry of every known skeleton by name."""


def get_skeleton(name: str) -> Skeleton:
    """Look a skeleton up by name.

    Raises:
        InputError: for an unknown name, listing the known ones.
    """
    try:
        return SKELETONS[name]
    except KeyError:
        raise unknown_name_error("skeleton", name, list(SKELETONS)) from None


# --- Mappings to and from the canonical Human3.6M-17 -------------------------------------------------------

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
