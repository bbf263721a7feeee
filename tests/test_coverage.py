"""Tests of flowpose.coverage: a line for the user when many frames have nothing observed."""

from __future__ import annotations

import numpy as np

from flowpose.coverage import unobserved_note
from flowpose.pose import PoseSequence

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


def test_the_frames_are_numbered_as_the_video_s() -> None:
    assert "(100-101, 118-119)" in unobserved_note(poses([0, 1, 18, 19], first_frame=100), "p.npz")
