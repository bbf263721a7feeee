"""Tests of flowpose.coverage: a line for the user when many frames have nothing observed, or a joint is in none."""

from __future__ import annotations

import numpy as np

from flowpose.coverage import absent_joints_note, placement_matrix, unobserved_note, unseen_joints
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17

T = 20
K = np.array([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]])


def poses(unobserved: list[int], first_frame: int | None = None, by_conf: bool = False) -> PoseSequence:
    joints3d = np.random.default_rng(0).uniform(-0.3, 0.3, (T, 17, 3)) + [0.0, 0.0, 3.0]
    conf = np.ones((T, 17), np.float32)
    if by_conf:
        conf[unobserved] = 0.0
    else:
        joints3d[unobserved] = np.nan
    return PoseSequence(joints3d=joints3d, K=K, conf=conf, first_frame=first_frame)


def test_a_few_missed_frames_are_ordinary() -> None:
    assert unobserved_note(poses([]), "p.npz") is None
    assert unobserved_note(poses([7]), "p.npz") is None  # 1 of 20: under a tenth
    assert unobserved_note(poses(list(range(T)), by_conf=True), "p.npz") is None  # nothing at all: refused elsewhere


def test_frames_with_no_joint_or_only_joints_of_confidence_0_are_counted_and_listed() -> None:
    note = unobserved_note(poses([0, 1, 2, 10, 11]), "p.npz")
    assert note == ("p.npz: 5 of its 20 frames have no observed joint (0-2, 10-11): their poses are filled in from "
                    "the observed frames (held before the first and after the last), not measured; the results keep "
                    "their conf 0")
    assert unobserved_note(poses([0, 1, 2, 10, 11], by_conf=True), "p.npz") == note
    partly = poses([])
    conf = partly.confidence().copy()
    conf[:5, 1:] = 0.0  # one joint still seen: those frames are observed
    assert unobserved_note(PoseSequence(joints3d=partly.joints3d, K=K, conf=conf), "p.npz") is None
    short = poses([0])
    one = PoseSequence(joints3d=short.joints3d[:5], K=K, conf=short.confidence()[:5])  # 1 of 5: a fifth
    assert unobserved_note(one, "p.npz").startswith("p.npz: 1 of its 5 frames has no observed joint (0): ")


def test_the_frames_are_numbered_as_the_video_s() -> None:
    assert "(100-101, 118-119)" in unobserved_note(poses([0, 1, 18, 19], first_frame=100), "p.npz")


def test_a_joint_in_no_frame_is_told_with_where_it_is_kept() -> None:
    head = poses([])
    joints3d = head.joints3d.copy()
    joints3d[:, 10] = np.nan  # MediaPipe's, COCO's and SMPL's head top
    absent = PoseSequence(joints3d=joints3d, K=K)
    assert unseen_joints(absent).tolist() == [j == 10 for j in range(17)]
    assert absent_joints_note(absent, "p.npz") == ("p.npz: head (10) is in none of its frames, so it is kept on its "
                                                   "nearest observed joint, with conf 0: head (10) on neck (9)")
    joints3d[:, [5, 6]] = np.nan
    assert absent_joints_note(PoseSequence(joints3d=joints3d, K=K), "p.npz").endswith(
        "l_knee (5), l_ankle (6), head (10) are in none of its frames, so they are kept on their nearest observed "
        "joints, with conf 0: l_knee (5) on l_hip (4); l_ankle (6) on l_hip (4); head (10) on neck (9)")
    assert absent_joints_note(head, "p.npz") is None
    missed = head.joints3d.copy()
    missed[3:, 10] = np.nan  # seen in three frames: an ordinary miss, filled in along the flow
    assert absent_joints_note(PoseSequence(joints3d=missed, K=K), "p.npz") is None


def test_a_joint_seen_in_2d_alone_is_observed() -> None:
    joints3d = poses([]).joints3d.copy()
    joints2d = np.full((T, 17, 2), 100.0)
    joints3d[:, 10] = np.nan
    conf = np.ones((T, 17), np.float32)
    seen2d = PoseSequence(joints3d=joints3d, K=K, joints2d=joints2d, conf=conf)
    assert not unseen_joints(seen2d).any() and absent_joints_note(seen2d, "p.npz") is None
    conf[:, 10] = 0.0  # a keypoint of confidence 0 is no observation
    assert unseen_joints(PoseSequence(joints3d=joints3d, K=K, joints2d=joints2d, conf=conf))[10]


def test_placement_matrix_without_an_observed_ancestor_takes_the_mean() -> None:
    seen = np.ones(17, bool)
    seen[[0, 7]] = False  # the pelvis (the root, no ancestor) and the spine, whose only ancestor is the pelvis
    P = placement_matrix(seen, H36M17.parents)
    np.testing.assert_allclose(P[0], np.where(seen, 1 / 15, 0), rtol=1e-6)
    np.testing.assert_allclose(P[7], P[0], rtol=1e-6)  # so both on the mean of the observed joints
    np.testing.assert_array_equal(P[seen], np.eye(17, dtype=np.float32)[seen])
