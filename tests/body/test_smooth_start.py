"""Tests of flowpose.body.smooth_start: the estimate smoothed in time, where the SMPL solve starts."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from flowpose.body.layouts import SMPLX
from flowpose.body.smooth_start import smoothed_start
from flowpose.body.synth import smpl_motion


def angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles between axis-angle rotations (..., 3), radians."""
    return (Rotation.from_rotvec(a.reshape(-1, 3)).inv() * Rotation.from_rotvec(b.reshape(-1, 3))).magnitude().reshape(
        a.shape[:-1])


def test_a_shaking_estimate_comes_back_near_its_smooth_motion() -> None:
    truth = smpl_motion(60)
    rng = np.random.default_rng(0)
    turn = Rotation.from_rotvec(rng.normal(0, 0.08, (60 * 24, 3)))  # about 8 degrees a joint and frame
    aa = np.concatenate([truth.global_orient[:, None], truth.body_pose], 1)
    shaken = (Rotation.from_rotvec(aa.reshape(-1, 3)) * turn).as_rotvec().reshape(aa.shape)
    noisy = truth.with_body(shaken[:, 0], shaken[:, 1:], truth.betas, truth.transl + rng.normal(0, 0.02, (60, 3)))
    smooth = smoothed_start(noisy, 1.5)
    before = angles(np.concatenate([noisy.global_orient[:, None], noisy.body_pose], 1), aa)
    after = angles(np.concatenate([smooth.global_orient[:, None], smooth.body_pose], 1), aa)
    assert after.mean() < 0.6 * before.mean()
    assert np.abs(smooth.transl - truth.transl).mean() < 0.6 * np.abs(noisy.transl - truth.transl).mean()
    np.testing.assert_array_equal(smooth.betas, noisy.betas)


def test_a_still_body_stays_and_either_sign_of_a_half_turn_is_one_rotation() -> None:
    seq = smpl_motion(10)
    still = seq.with_body(np.repeat(seq.global_orient[:1], 10, 0), np.repeat(seq.body_pose[:1], 10, 0), seq.betas,
                          np.repeat(seq.transl[:1], 10, 0))
    kept = smoothed_start(still, 2.0)
    assert angles(kept.body_pose, still.body_pose).max() < 1e-6 and angles(kept.global_orient, still.global_orient).max() < 1e-6
    np.testing.assert_allclose(kept.transl, still.transl, atol=1e-6)
    # A half turn about x written as +pi and as -pi in alternate frames (the root of a body facing the camera):
    # averaged as quaternions of one hemisphere, it stays a half turn, not a blend toward the identity.
    go = np.tile([[np.pi - 1e-3, 0.0, 0.0], [-(np.pi - 1e-3), 0.0, 0.0]], (5, 1))
    flipped = smoothed_start(still.with_body(go, still.body_pose, still.betas, still.transl), 2.0)
    assert angles(flipped.global_orient, np.tile([np.pi, 0.0, 0.0], (10, 1))).max() < 2e-3
    assert smoothed_start(still, 0.0) is still


def test_smplx_keeps_its_face_and_hands() -> None:
    seq = smpl_motion(12, layout=SMPLX)
    smooth = smoothed_start(seq, 1.5)
    assert smooth.body_pose.shape == seq.body_pose.shape
    for key, value in seq.extras.items():
        np.testing.assert_array_equal(smooth.extras[key], value)
