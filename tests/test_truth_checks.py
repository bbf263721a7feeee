"""Tests of flowpose.truth_checks: ground truth in another frame or other units is told."""

from __future__ import annotations

import numpy as np

from flowpose.io.groundtruth import GroundTruth
from flowpose.joint_map import from_h36m17
from flowpose.pose import PoseSequence
from flowpose.truth_checks import ground_truth_note
from tests.cli.common import body

K = np.diag([500.0, 500.0, 1.0])


def test_ground_truth_in_the_poses_frame_and_units_says_nothing() -> None:
    X = body(20)
    noisy = X + np.random.default_rng(0).normal(0, 0.03, X.shape)  # an estimate's error, 3 cm a coordinate
    assert ground_truth_note(PoseSequence(noisy, K), GroundTruth(joints3d=X), "gt.npz") is None
    smpl = GroundTruth(joints3d=from_h36m17(X, "smpl24"), skeleton="smpl24")  # another skeleton, the same body
    assert ground_truth_note(PoseSequence(noisy, K), smpl, "gt.npz") is None


def test_other_units_are_told() -> None:
    X = body(20)
    note = ground_truth_note(PoseSequence(X, K), GroundTruth(joints3d=X * 1000), "gt.npz")
    assert note is not None and note.startswith("gt.npz: its torso is 1000 times the poses' (the median over 20 frames")
    assert "in other units? flowpose reads metres" in note
    cm = ground_truth_note(PoseSequence(X, K), GroundTruth(joints3d=X * 100), "gt.npz")
    assert cm is not None and "is 100 times" in cm


def test_another_frame_is_told() -> None:
    X = body(20)
    X[:, 8] = X[:, 0] + [0.0, -0.5, 0.0]  # an upright torso: the thorax straight above the pelvis
    centre = X.mean((0, 1))
    y_up = (X - centre) * [1, -1, -1] + centre  # OpenGL's camera axes: turned over
    note = ground_truth_note(PoseSequence(X, K), GroundTruth(joints3d=y_up), "gt.npz")
    assert note is not None and note.startswith("gt.npz: its torso points 180 degrees away from the poses'"), note
    z_up = (X - centre) @ np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]).T  # a world frame with z up
    note = ground_truth_note(PoseSequence(X, K), GroundTruth(joints3d=z_up), "gt.npz")
    assert note is not None and "points 90 degrees away" in note


def test_no_frame_in_common_says_nothing() -> None:
    X = body(4)
    gt = X.copy()
    gt[:, 0] = np.nan  # no pelvis in the ground truth
    assert ground_truth_note(PoseSequence(X, K), GroundTruth(joints3d=gt * 1000), "gt.npz") is None
