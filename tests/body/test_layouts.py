"""Tests of flowpose.body.layouts: SMPL's and SMPL-X's joints."""

from __future__ import annotations

import pytest

from flowpose.body.layouts import SMPL, SMPLX, layout_for_body_pose, layout_for_joints
from flowpose.errors import InputError


def test_the_two_layouts_share_the_body_and_smplx_adds_face_and_hands() -> None:
    assert SMPL.num_joints == 24 and SMPLX.num_joints == 55
    assert SMPL.parents[:22] == SMPLX.parents[:22]
    assert 1 + SMPLX.body_joints + sum(n for _, n in SMPLX.extra_pose) == 55
    assert all(p < j for j, p in enumerate(SMPLX.parents))  # a kinematic tree in topological order
    assert SMPLX.parents[22:25] == (15, 15, 15)  # jaw and eyes on the head
    assert SMPLX.parents[25] == 20 and SMPLX.parents[40] == 21  # each hand's first finger on its wrist
    assert SMPLX.parents[26:28] == (25, 26)  # a finger is a chain of three


def test_lookups_and_refusals() -> None:
    assert layout_for_joints(55, "m") is SMPLX and layout_for_body_pose(23, "p") is SMPL
    with pytest.raises(InputError, match="m: 52 joints; flowpose reads SMPL .24 joints. and SMPL-X .55."):
        layout_for_joints(52, "m")
    with pytest.raises(InputError, match="body_pose of 15 joints; expected 23 .SMPL. or 21 .SMPL-X."):
        layout_for_body_pose(15, "p")
