"""Skeleton definitions: joint names, parents, bones and left/right pairs.

The canonical skeleton is Human3.6M-17 in VideoPose3D order (see DESIGN.md). Every other skeleton is mapped to
it by :mod:`flowpose.joint_map`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowpose.errors import unknown_name_error


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

    @property
    def flip_permutation(self) -> np.ndarray:
        """(J,) int: joint i with left and right exchanged is joint ``flip_permutation[i]`` (``flip_pairs`` swapped,
        every other joint itself); ``points[flip_permutation]`` relabels (..., J, D) points, and applying it twice
        gives them back.

        Example:
            >>> [H36M17.joint_names[i] for i in H36M17.flip_permutation[:4]]
            ['pelvis', 'l_hip', 'l_knee', 'l_ankle']
        """
        perm = np.arange(self.num_joints)
        for left, right in self.flip_pairs:
            perm[left], perm[right] = right, left
        return perm

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

HALPE26 = Skeleton(
    name="halpe26",
    joint_names=(
        "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
        "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "head_top", "neck",
        "mid_hip", "l_big_toe", "r_big_toe", "l_small_toe", "r_small_toe", "l_heel", "r_heel",
    ),
    parents=(18, 0, 0, 1, 2, 18, 18, 5, 6, 7, 8, 19, 19, 11, 12, 13, 14, 18, 19, -1, 15, 16, 15, 16, 15, 16),
    root=19,
    hips=(11, 12),
    flip_pairs=(
        (1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (20, 21), (22, 23), (24, 25),
    ),
)
"""Halpe-FullBody's 26 body keypoints (AlphaPose's and RTMPose's ``halpe26``; Pose2Sim's ``HALPE_26``, its
default): COCO-17 order, then head (top), neck, hip (mid-hip) and the feet."""


def _hand(side: str, wrist: int, first: int) -> tuple[list[str], list[int]]:
    """A hand of COCO-WholeBody: its root, then four points a finger (thumb first), each on the one before."""
    names = [f"{side}_hand_{k}" for k in range(1, 22)]
    parents = [wrist] + [first if k % 4 == 1 else first + k - 1 for k in range(1, 21)]
    return names, parents


_LH_NAMES, _LH_PARENTS = _hand("l", 9, 91)
_RH_NAMES, _RH_PARENTS = _hand("r", 10, 112)
COCO_WHOLEBODY133 = Skeleton(
    name="coco_wholebody133",
    joint_names=(
        *COCO17.joint_names, "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel",
        *(f"face_{k}" for k in range(1, 69)), *_LH_NAMES, *_RH_NAMES,
    ),
    parents=(*COCO17.parents, 15, 15, 15, 16, 16, 16, *([0] * 68), *_LH_PARENTS, *_RH_PARENTS),
    root=None,
    hips=COCO17.hips,
    flip_pairs=(*COCO17.flip_pairs, (17, 20), (18, 21), (19, 22), *((91 + k, 112 + k) for k in range(21))),
)
"""COCO-WholeBody's 133 keypoints (DWPose, RTMW, RTMPose's wholebody models; Pose2Sim's ``COCO_133``): COCO-17,
six foot points, 68 of the face and 21 of each hand. Only the body's are mapped to Human3.6M-17."""

SKELETONS: dict[str, Skeleton] = {
    s.name: s
    for s in (H36M17, LSP14, SMPL24, COCO17, MEDIAPIPE33, HUMANEVA15, OPENPOSE25, OPENPOSE25B, OPENPOSE18, HALPE26,
              COCO_WHOLEBODY133)
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
