"""The joint layouts of the body models flowpose reads: SMPL (24 joints) and SMPL-X (55).

Both begin with the same 22 joints (the root, then 21 body joints, in the same order and with the same
parents). SMPL adds two hand joints to its body pose (23 body joints). SMPL-X keeps a body pose of 21 joints
and adds the jaw, the two eyes and 15 joints per hand, each given by its own parameter (``jaw_pose``,
``leye_pose``, ``reye_pose``, ``left_hand_pose``, ``right_hand_pose``), in that order in the model's joints, as
in ``smplx.SMPLX``'s full pose.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowpose.errors import InputError
from flowpose.skeleton import SMPL24


@dataclass(frozen=True)
class BodyLayout:
    """The joints of a body model.

    Attributes:
        name: ``"smpl"`` or ``"smplx"``.
        title: how messages name it (``"SMPL"``, ``"SMPL-X"``).
        parents: (J,) each joint's parent, -1 for the root.
        body_joints: joints in ``body_pose`` (23 for SMPL, 21 for SMPL-X).
        extra_pose: (key, joints) of the pose parameters after the body pose, in the model's joint order.
    """

    name: str
    title: str
    parents: tuple[int, ...]
    body_joints: int
    extra_pose: tuple[tuple[str, int], ...]

    @property
    def num_joints(self) -> int:
        """J: the root, the body joints and the extra joints."""
        return len(self.parents)


SMPL = BodyLayout(name="smpl", title="SMPL", parents=SMPL24.parents, body_joints=23, extra_pose=())
"""SMPL: the root and 23 body joints."""

HAND_JOINTS = 15
"""Joints of one SMPL-X hand (index, middle, pinky, ring, thumb; three each)."""


def _smplx_parents() -> tuple[int, ...]:
    body = SMPL24.parents[:22]
    face = (15, 15, 15)  # jaw and eyes hang from the head
    hands = []
    for wrist, first in ((20, 25), (21, 40)):
        for finger in range(5):
            base = first + 3 * finger
            hands += [wrist, base, base + 1]
    return (*body, *face, *hands)


SMPLX = BodyLayout(
    name="smplx",
    title="SMPL-X",
    parents=_smplx_parents(),
    body_joints=21,
    extra_pose=(("jaw_pose", 1), ("leye_pose", 1), ("reye_pose", 1), ("left_hand_pose", HAND_JOINTS),
                ("right_hand_pose", HAND_JOINTS)),
)
"""SMPL-X: the root, 21 body joints, jaw, eyes and two hands (55 joints)."""

HAND_KEYS = ("left_hand_pose", "right_hand_pose")
"""SMPL-X's hand pose parameters, which may be PCA coefficients."""

LAYOUTS = {SMPL.num_joints: SMPL, SMPLX.num_joints: SMPLX}
"""Layouts by joint count."""


def layout_for_joints(num_joints: int, what: str) -> BodyLayout:
    """The layout of a model with ``num_joints`` joints.

    Raises:
        InputError: for another count (SMPL+H and MANO are not read), naming ``what``.
    """
    try:
        return LAYOUTS[num_joints]
    except KeyError:
        raise InputError(
            f"{what}: {num_joints} joints; flowpose reads SMPL (24 joints) and SMPL-X (55), not SMPL+H or MANO"
        ) from None


def layout_for_body_pose(body_joints: int, what: str) -> BodyLayout:
    """The layout whose ``body_pose`` has ``body_joints`` joints (23: SMPL, 21: SMPL-X).

    Raises:
        InputError: for another count, naming ``what``.
    """
    for layout in LAYOUTS.values():
        if layout.body_joints == body_joints:
            return layout
    raise InputError(f"{what}: body_pose of {body_joints} joints; expected 23 (SMPL) or 21 (SMPL-X)")
