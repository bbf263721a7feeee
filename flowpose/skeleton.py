"""Skeleton definitions: joint names, parents, bones, left/right pairs, and mappings between skeletons.

The canonical skeleton is Human3.6M-17 in VideoPose3D order (see DESIGN.md). Every other skeleton is mapped to
it with :func:`to_h36m17`, either by picking a joint or by averaging several (e.g. COCO's pelvis = mean of the
hips).
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

SKELETONS: dict[str, Skeleton] = {"h36m17": H36M17}
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
