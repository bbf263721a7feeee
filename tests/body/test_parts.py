"""Tests of flowpose.body.parts: SMPL parameters of overlapping parts joined into one sequence."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.body.layouts import SMPLX
from flowpose.body.parts import anchored_smpl, join_smpl, joined_betas, joined_history
from flowpose.body.synth import smpl_motion
from flowpose.errors import InputError
from flowpose.refinement.parts import part_weights, plan_parts


def rotation_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles between axis-angle rotations a and b (..., 3), radians."""
    return (Rotation.from_rotvec(a.reshape(-1, 3)).inv() * Rotation.from_rotvec(b.reshape(-1, 3))).magnitude().reshape(
        a.shape[:-1])


def test_the_joined_rotations_turn_from_one_part_to_the_next_across_the_overlap() -> None:
    seq = smpl_motion(40)
    parts = plan_parts(40, 20, 6)
    assert len(parts) == 3
    # Two versions of the video: the first parts' and the next's rotations differ by a known turn about y.
    turn = Rotation.from_rotvec([0.0, 0.4, 0.0])
    refined = []
    for i, p in enumerate(parts):
        part = seq.frames(p.start, p.stop)
        if i % 2:
            go = (Rotation.from_rotvec(part.global_orient) * turn).as_rotvec()
            bp = (Rotation.from_rotvec(part.body_pose.reshape(-1, 3)) * turn).as_rotvec().reshape(part.body_pose.shape)
            part = part.with_body(go, bp, part.betas + 0.1 * (i + 1), part.transl + [0.0, 0.0, 0.3])
        refined.append(part)
    joined = join_smpl(seq, parts, refined, 6)
    assert joined.num_frames == 40 and joined.betas.shape == seq.betas.shape
    w = part_weights(parts, 6)[1]
    first = parts[1].start
    for t in range(40):
        owner = next(i for i, p in enumerate(parts) if p.own_start <= t < p.own_stop)
        in_overlap = any(q.start <= t < parts[i].stop for i, q in enumerate(parts[1:]))
        if not in_overlap:  # a frame of one part alone: that part's own parameters
            mine = refined[owner].frames(t - parts[owner].start, t - parts[owner].start + 1)
            np.testing.assert_allclose(joined.global_orient[t], mine.global_orient[0])
            np.testing.assert_allclose(joined.transl[t], mine.transl[0])
    # Across the first overlap the turn from part 0's to part 1's is the weight's share of it, for every joint.
    for k in range(6):
        t = first + k
        a = refined[0].frames(t, t + 1)
        share = w[k]
        got = rotation_angle(np.concatenate([a.global_orient, a.body_pose[0]]),
                             np.concatenate([joined.global_orient[t:t + 1], joined.body_pose[t]]))
        np.testing.assert_allclose(got, share * 0.4, atol=1e-9)
        np.testing.assert_allclose(joined.transl[t, 2], a.transl[0, 2] + share * 0.3)
    steps = rotation_angle(joined.body_pose[1:], joined.body_pose[:-1]).max()
    assert steps < 0.4 / 6 + rotation_angle(seq.body_pose[1:], seq.body_pose[:-1]).max()  # no jump at a cut
    # One shape: the parts' shapes weighted by the frames each owns.
    own = np.array([p.own_stop - p.own_start for p in parts], float)
    expected = (own[:, None] * np.stack([r.betas for r in refined])).sum(0) / own.sum()
    np.testing.assert_allclose(joined.betas, expected)
    np.testing.assert_allclose(joined_betas(parts, [r.betas for r in refined]), expected)


def test_a_shape_per_frame_comes_back_per_frame_and_smplx_keeps_its_hands() -> None:
    seq = smpl_motion(30, layout=SMPLX)
    seq = replace(seq, betas=np.repeat(seq.betas[None], 30, 0))
    parts = plan_parts(30, 15, 4)
    refined = [seq.frames(p.start, p.stop) for p in parts]
    joined = join_smpl(seq, parts, refined, 4)
    assert joined.betas.shape == (30, 10)
    np.testing.assert_allclose(joined.betas, seq.betas)
    assert rotation_angle(joined.body_pose, seq.body_pose).max() < 1e-9  # the same parts: the same rotations
    np.testing.assert_allclose(joined.transl, seq.transl)
    for key, value in seq.extras.items():
        np.testing.assert_array_equal(joined.extras[key], value)


def test_joining_refuses_parts_that_do_not_match() -> None:
    seq = smpl_motion(30)
    parts = plan_parts(30, 15, 4)
    refined = [seq.frames(p.start, p.stop) for p in parts]
    with pytest.raises(InputError, match="expected one refined sequence per part"):
        join_smpl(seq, parts, refined[:-1], 4)
    refined[1] = refined[1].frames(0, 5)
    with pytest.raises(InputError, match=f"the part of frames {parts[1].start} to {parts[1].stop - 1} has "
                                         f"{parts[1].stop - parts[1].start} frames, its refined sequence 5"):
        join_smpl(seq, parts, refined, 4)


def test_a_part_starts_from_the_previous_part_s_refinement_where_they_overlap() -> None:
    seq = smpl_motion(20)
    previous = seq.frames(0, 4).with_body(seq.global_orient[:4] + 0.1, seq.body_pose[:4] + 0.05, seq.betas + 1.0,
                                          seq.transl[:4] + 0.2)
    held = anchored_smpl(seq.frames(0, 12), previous)
    np.testing.assert_allclose(held.global_orient[:4], previous.global_orient)
    np.testing.assert_allclose(held.transl[:4], previous.transl)
    np.testing.assert_allclose(held.global_orient[4:], seq.global_orient[4:12])
    np.testing.assert_allclose(held.body_pose[4:], seq.body_pose[4:12])
    np.testing.assert_allclose(held.betas, seq.betas + 1.0)  # the previous part's shape throughout
    with pytest.raises(InputError, match="13 shared frames, but the part has 12"):
        anchored_smpl(seq.frames(0, 12), seq.frames(0, 13))


def test_the_history_weighs_each_part_by_the_frames_it_owns() -> None:
    parts = plan_parts(100, 80, 20)  # two parts, owning 50 frames each
    histories = [[{"cycle": 1, "flow_noise": 1.0, "losses": {"total": 2.0}, "steps": 10, "seconds": 1.5}],
                 [{"cycle": 1, "flow_noise": float("nan"), "losses": {"total": 4.0}, "steps": 5, "seconds": 2.0}]]
    (record,) = joined_history(parts, histories)
    assert record == {"cycle": 1, "flow_noise": 1.0, "losses": {"total": 3.0}, "steps": 15, "seconds": 3.5}
