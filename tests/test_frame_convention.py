"""Tests of flowpose.frame_convention: pose files in another camera convention, and 2D that is not the 3D's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.frame_convention import FAR, frame_convention_note, keypoints_off, top_and_feet, upside_down
from flowpose.io.poses import load_poses
from flowpose.joint_map import from_h36m17
from flowpose.pose import PoseSequence

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "jumping_jacks" / "video.poses.npz"


@pytest.fixture(scope="module")
def example() -> PoseSequence:
    """The bundled example's METRO-like estimate: 3D in the camera frame, 2D of the same frames."""
    return load_poses(EXAMPLE)


def y_up(poses: PoseSequence) -> PoseSequence:
    """The same joints in a y-up camera frame (y negated), as many graphics pipelines write them."""
    return replace(poses, joints3d=poses.joints3d * [1, -1, 1])


def test_upside_down_counts_the_frames_where_both_are_seen() -> None:
    up = np.array([1.0, 2.0, np.nan, 0.5, 3.0])
    feet = np.array([0.0, 1.0, 1.0, 2.0, 3.0])  # frame 2: no top; frame 4: level
    assert upside_down(up, feet) == (2, 3)


def test_top_and_feet_of_another_skeleton(example: PoseSequence) -> None:
    coco = from_h36m17(example.joints3d, "coco17")  # no head top: the top is the mean of what there is
    up, feet = top_and_feet(coco, np.ones(coco.shape[:2], bool), "coco17")
    assert up.shape == feet.shape == (60,) and (up < feet).all()  # y down: the top above the feet
    h36m_up, h36m_feet = top_and_feet(example.joints3d, np.ones((60, 17), bool), "h36m17")
    np.testing.assert_allclose(feet, h36m_feet, atol=1e-6)
    unseen = np.ones((60, 17), bool)
    unseen[:, [3, 6]] = False
    assert np.isnan(top_and_feet(example.joints3d, unseen, "h36m17")[1]).all()


def test_a_monocular_estimate_is_told_nothing(example: PoseSequence) -> None:
    assert keypoints_off(example) < 0.1 * FAR
    assert frame_convention_note(example, "p.npz") is None
    assert frame_convention_note(replace(example, joints2d=None), "p.npz") is None
    assert keypoints_off(replace(example, joints2d=None)) is None


def test_y_up_joints_are_told_with_their_2d_and_without() -> None:
    example = load_poses(EXAMPLE)
    note = frame_convention_note(y_up(example), "p.npz")
    assert note == ("p.npz: its joints3d have the head below the feet in 60 of 60 frames, while its joints2d have it "
                    "above in 60 of 60: are they y up? flowpose's camera frame is x right, y down, z forward")
    alone = frame_convention_note(replace(y_up(example), joints2d=None), "p.npz")
    assert alone is not None and "60 of 60 frames (fine for a handstand or a camera held upside down)" in alone


def test_a_handstand_seen_in_2d_is_not_told(example: PoseSequence) -> None:
    cy = example.K[1, 2]
    flipped = replace(y_up(example), joints2d=example.joints2d * [1, -1] + [0, 2 * cy])  # the image shows it too
    assert frame_convention_note(flipped, "p.npz") is None


def test_keypoints_far_from_the_projection_are_told(example: PoseSequence) -> None:
    wrong_focal = replace(example, K=np.diag([1.5, 1.5, 1.0]) @ example.K)  # 2D of the true camera, K not
    assert keypoints_off(wrong_focal) > FAR
    note = frame_convention_note(wrong_focal, "p.npz")
    assert note is not None and note.startswith("p.npz: its joints2d lie far from the projection of its joints3d by "
                                                "its K (the median joint off by 55% of the body's size")
    assert "are joints3d in the camera frame of K" in note


def test_axes_matrix_of_every_convention() -> None:
    from itertools import permutations, product

    from flowpose.errors import InputError
    from flowpose.frame_convention import axes_matrix

    np.testing.assert_array_equal(axes_matrix("RDF"), np.eye(3))
    np.testing.assert_array_equal(axes_matrix("luf"), np.diag([-1.0, -1.0, 1.0]))  # PyTorch3D's
    codes = ["".join(c) for pair in product("RL", "UD", "FB") for c in permutations(pair)]
    assert len(set(codes)) == 48
    for code in codes:
        M = axes_matrix(code)
        np.testing.assert_array_equal(M @ M.T, np.eye(3))  # a signed permutation
        for axis, letter in enumerate(code):  # the file's unit axis lands along the direction its letter names
            direction = {"R": [1, 0, 0], "L": [-1, 0, 0], "D": [0, 1, 0], "U": [0, -1, 0], "F": [0, 0, 1],
                         "B": [0, 0, -1]}[letter]
            np.testing.assert_array_equal(M[:, axis], direction)
    for bad in ("RD", "RDFF", "RRF", "XYZ", "RDU"):
        with pytest.raises(InputError, match="axes must be three letters"):
            axes_matrix(bad)


def test_joints_of_another_order_are_told(example: PoseSequence) -> None:
    from flowpose.frame_convention import SIDES_APART, joint_order_note, side_ratio

    ratio, pairs = side_ratio(example.joints3d, "h36m17")
    assert ratio < 1.1 and pairs == 6
    coco = from_h36m17(example.joints3d, "coco17")  # 17 joints too: read as Human3.6M-17 they tie the wrong ones
    assert side_ratio(coco, "coco17")[0] < 1.1 and side_ratio(coco, "h36m17")[0] > SIDES_APART
    mixed = replace(example, joints3d=coco, joints2d=None)
    note = frame_convention_note(mixed, "p.npz")
    assert note is not None and note.startswith("p.npz: its joints3d do not look like h36m17's joint order: its left "
                                                "and right bones differ in length by a factor of 2.3")
    assert joint_order_note(example, "p.npz") is None
    assert side_ratio(np.full((3, 17, 3), np.nan), "h36m17") is None
    unseen_knee = example.joints3d.copy()
    unseen_knee[:, 5] = np.nan  # the left knee never seen: its two pairs (thigh, shin) are left out, not counted as 1
    assert side_ratio(unseen_knee, "h36m17")[1] == 4


def test_joints_of_confidence_0_are_not_measured(example: PoseSequence) -> None:
    from flowpose.frame_convention import joint_order_note

    left = [4, 5, 6, 11, 12, 13]  # the left side unseen, its values anything (some estimators leave them so)
    joints = example.joints3d.copy()
    joints[:, left] += np.array([0.4, 0.3, 0.0], np.float32) * np.arange(1, 7, dtype=np.float32)[:, None]
    conf = np.ones((60, 17), np.float32)
    conf[:, left] = 0.0
    unseen = replace(example, joints3d=joints, conf=conf, joints2d=None)
    assert joint_order_note(unseen, "p.npz") is None
    assert joint_order_note(replace(unseen, conf=None), "p.npz") is not None  # the same values, seen: told
