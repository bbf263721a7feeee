"""Tests for flowpose.skeleton: the registered trees and their flip pairs."""

from __future__ import annotations

import pytest

from flowpose.skeleton import SKELETONS

NAMES = sorted(SKELETONS)
EXPECTED_SIZES = {
    "h36m17": 17, "lsp14": 14, "smpl24": 24, "coco17": 17, "mediapipe33": 33, "humaneva15": 15,
    "openpose25": 25, "openpose25b": 25, "openpose18": 18, "halpe26": 26, "coco_wholebody133": 133,
}


def test_registry_has_every_skeleton_with_its_size() -> None:
    assert {n: SKELETONS[n].num_joints for n in NAMES} == EXPECTED_SIZES
    assert all(SKELETONS[n].name == n for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_bones_form_a_tree(name: str) -> None:
    skel = SKELETONS[name]
    J = skel.num_joints
    assert skel.parents.count(-1) == 1
    assert len(skel.bones) == J - 1
    assert len(set(skel.joint_names)) == J
    top = skel.parents.index(-1)
    for j in range(J):  # walking up from every joint reaches the top without revisiting a joint
        seen, k = set(), j
        while k != top:
            assert k not in seen and 0 <= skel.parents[k] < J
            seen.add(k)
            k = skel.parents[k]


@pytest.mark.parametrize("name", NAMES)
def test_flip_pairs_are_symmetric(name: str) -> None:
    skel = SKELETONS[name]
    flip = list(range(skel.num_joints))
    for left, right in skel.flip_pairs:
        assert skel.joint_names[left].startswith("l_") and skel.joint_names[right].startswith("r_")
        assert skel.joint_names[left][2:] == skel.joint_names[right][2:]
        flip[left], flip[right] = right, left
    assert sorted(flip) == list(range(skel.num_joints))  # each joint in at most one pair
    sided = [n for n in skel.joint_names if n.startswith(("l_", "r_"))]
    assert len(sided) == 2 * len(skel.flip_pairs)  # every sided joint is paired
    for child, parent in enumerate(skel.parents):  # mirroring maps bones onto bones
        flipped_parent = -1 if parent < 0 else flip[parent]
        assert skel.parents[flip[child]] == flipped_parent
    left, right = skel.hips
    assert skel.joint_names[left] == "l_hip" and skel.joint_names[right] == "r_hip"
