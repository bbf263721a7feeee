"""Tests of flowpose.synth.noise: the simulated estimators."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.camera import project_np
from flowpose.errors import InputError, ShapeError
from flowpose.io.motion import load_motion, resample
from flowpose.metrics import accel_error, mpjpe, pa_mpjpe
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17
from flowpose.synth.noise import (
    LIMBS,
    PROFILES,
    EstimatorProfile,
    GrossError,
    apply_gross_errors,
    sample_gross_errors,
    simulate_estimates,
    smooth_noise,
)
from flowpose.synth.placement import default_intrinsics, place_in_camera
from tests.conftest import shared_path

K = default_intrinsics(256, 256, 55.0)


def walking_gt(frames: int = 90) -> np.ndarray:
    """(T, 17, 3) camera-frame joints: a fixed random pose 4.5 m away, swaying sideways."""
    rng = np.random.default_rng(1)
    pose = 0.3 * rng.standard_normal((17, 3))
    pose[0] = 0.0
    t = np.arange(frames) / 30.0
    sway = np.stack([0.2 * np.sin(2 * t), 0.0 * t, 4.5 + 0.0 * t], axis=-1)
    return (pose[None] + sway[:, None]).astype(np.float32)


def test_shapes_types_and_ranges() -> None:
    gt = walking_gt()
    est = simulate_estimates(gt, K, fps=30.0, profile="metro", seed=0)
    assert isinstance(est, PoseSequence)
    assert est.joints3d.shape == (90, 17, 3) and est.joints3d.dtype == np.float32
    assert est.joints2d.shape == (90, 17, 2) and est.conf.shape == (90, 17)
    assert est.conf.min() >= 0.0 and est.conf.max() <= 1.0
    assert est.fps == 30.0 and est.skeleton == "h36m17"
    np.testing.assert_allclose(est.K, K, rtol=1e-6)


def test_deterministic_for_a_seed() -> None:
    gt = walking_gt()
    a, b = (simulate_estimates(gt, K, fps=30.0, profile="spin", seed=7) for _ in range(2))
    c = simulate_estimates(gt, K, fps=30.0, profile="spin", seed=8)
    for field in ("joints3d", "joints2d", "conf"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.allclose(a.joints3d, c.joints3d)


def test_clean_profile_is_nearly_exact() -> None:
    gt = walking_gt()
    est = simulate_estimates(gt, K, fps=30.0, profile="clean", seed=0)
    assert mpjpe(est.joints3d, gt) < 6.0
    assert np.abs(est.joints2d - project_np(gt, K)).mean() < 1.0
    assert est.conf.mean() > 0.85


def test_profile_by_object_and_errors() -> None:
    gt = walking_gt(10)
    est = simulate_estimates(gt, K, fps=30.0, profile=PROFILES["clean"], seed=0)
    assert est.num_frames == 10
    choices = r"unknown estimator profile 'vibe'; choose from \['clean', 'hmr', 'mediapipe', 'metro', 'spin'\]"
    with pytest.raises(InputError, match=choices):
        simulate_estimates(gt, K, fps=30.0, profile="vibe", seed=0)
    with pytest.raises(ShapeError, match=r"joints3d must have shape \(T, 17, 3\)"):
        simulate_estimates(gt[:, :16], K, fps=30.0, profile="clean", seed=0)
    with pytest.raises(ShapeError, match="K"):
        simulate_estimates(gt, K[None], fps=30.0, profile="clean", seed=0)
    with pytest.raises(InputError, match="in front of the camera"):
        simulate_estimates(-gt, K, fps=30.0, profile="clean", seed=0)
    with pytest.raises(InputError, match="fps must be positive"):
        simulate_estimates(gt, K, fps=0.0, profile="clean", seed=0)


def test_2d_detector_is_independent_of_3d_errors() -> None:
    gt = walking_gt(300)
    est = simulate_estimates(gt, K, fps=30.0, profile="spin", seed=3)
    err2d = (est.joints2d - project_np(gt, K)).ravel()
    err3d = (project_np(est.joints3d, K) - project_np(gt, K)).ravel()
    assert abs(np.corrcoef(err2d, err3d)[0, 1]) < 0.1
    # Missed keypoints are displaced and get low confidence.
    missed = est.conf < 0.3
    off = np.linalg.norm(est.joints2d - project_np(gt, K), axis=-1)
    assert missed.mean() > 0.02 and off[missed].mean() > 3 * off[~missed].mean()


def test_smooth_noise_std_and_correlation_time() -> None:
    x = smooth_noise(np.random.default_rng(0), (4000, 50), sigma=2.0, tau_frames=10.0)
    assert x.std() == pytest.approx(2.0, rel=0.05)
    lag = lambda k: np.mean(x[k:] * x[:-k]) / np.mean(x * x)  # noqa: E731
    assert lag(10) == pytest.approx(np.exp(-1.0), abs=0.05)  # rho(tau) = 1/e
    assert lag(1) > 0.98  # smooth: second differences are tiny
    assert np.diff(x, 2, axis=0).std() < 0.05 * 2.0


def test_gross_error_rate() -> None:
    profile = replace(PROFILES["metro"], gross_rate_hz=0.5, gross_frames=(4, 8))
    rng = np.random.default_rng(0)
    draws = [sample_gross_errors(rng, 300, fps=30.0, profile=profile) for _ in range(400)]
    assert np.mean([len(d) for d in draws]) == pytest.approx(0.5 * 10.0, rel=0.1)  # rate x 10 s
    events = [e for d in draws for e in d]
    assert all(4 <= e.length <= 8 or e.start + e.length == 300 for e in events)
    swaps = np.mean([e.kind == "swap" for e in events])
    assert swaps == pytest.approx(1 / 3, abs=0.05)  # 2 of the 6 equally likely (kind, limb) choices


def test_apply_gross_errors_by_hand() -> None:
    rel = np.random.default_rng(0).standard_normal((6, 17, 3))
    out = apply_gross_errors(rel, [GrossError(1, 2, "swap", "l_leg"), GrossError(4, 1, "flip", "r_arm")])
    l_leg, r_leg = list(LIMBS["l_leg"][1:]), list(LIMBS["r_leg"][1:])
    np.testing.assert_array_equal(out[1:3, l_leg], rel[1:3, r_leg])
    np.testing.assert_array_equal(out[1:3, r_leg], rel[1:3, l_leg])
    root, mid, end = LIMBS["r_arm"]
    np.testing.assert_allclose(out[4, [mid, end], 2], 2 * rel[4, root, 2] - rel[4, [mid, end], 2])
    np.testing.assert_array_equal(out[4, [mid, end], :2], rel[4, [mid, end], :2])
    untouched = np.ones(6, bool)
    untouched[[1, 2, 4]] = False
    np.testing.assert_array_equal(out[untouched], rel[untouched])


def test_gross_errors_show_in_the_output_at_their_rate() -> None:
    # Only gross errors: frames whose leg joints sit on the other leg's ground truth are swapped frames.
    profile = replace(PROFILES["clean"], gross_rate_hz=1.0, gross_frames=(6, 6))
    gt = walking_gt(300)
    gt[:, [2, 3]] += [0.1, 0.0, 0.0]  # right knee/ankle 10 cm off the left ones' mirror, so swaps show
    fractions = []
    for seed in range(20):
        est = simulate_estimates(gt, K, fps=30.0, profile=profile, seed=seed).joints3d
        d_same = np.linalg.norm(est[:, [5, 6]] - gt[:, [5, 6]], axis=-1).mean(-1)
        d_swap = np.linalg.norm(est[:, [5, 6]] - gt[:, [2, 3]], axis=-1).mean(-1)
        fractions.append(np.mean(d_swap < d_same))
    # Leg swaps: rate 1/s x 1/6 of the kinds x 6 frames = 1/30 of a second per second -> ~3% of frames.
    assert np.mean(fractions) == pytest.approx(1.0 / 30.0, rel=0.4)


def test_metro_on_a_shared_clip_meets_targets() -> None:
    motion = resample(load_motion(shared_path("data", "mocap", "cmu_fbx_converted", "07_01.bvh")), 30.0)
    gt = place_in_camera(motion.joints[:300], distance_m=4.5)
    rows = []
    for seed in range(8):
        est = simulate_estimates(gt, K, fps=30.0, profile="metro", seed=seed).joints3d
        rows.append([mpjpe(est, gt), pa_mpjpe(est, gt), accel_error(est, gt)])
    m, pa, acc = np.mean(rows, axis=0)
    assert 50.0 <= m <= 60.0 and 33.0 <= pa <= 40.0 and 15.0 <= acc <= 25.0, (m, pa, acc)


def test_2d_detector_error_scales_with_the_person_size():
    """A person twice as big in the image gets twice the pixel error (same detector, relative accuracy)."""
    from flowpose.synth.noise import person_height_px

    K = np.array([[300.0, 0, 128], [0, 300.0, 128], [0, 0, 1]])
    rng = np.random.default_rng(0)
    body = np.zeros((200, 17, 3))
    body[..., 1] = np.linspace(-0.9, 0.9, 17)
    body[..., 0] = 0.1 * rng.standard_normal((200, 17))
    errors = []
    for depth in (6.0, 3.0):
        gt = body + [0.0, 0.0, depth]
        est = simulate_estimates(gt, K, fps=30.0, profile="metro", seed=1)
        x2d = project_np(gt, K)
        assert person_height_px(x2d) == pytest.approx(300 * 1.8 / depth, rel=1e-6)
        errors.append(np.median(np.linalg.norm(est.joints2d - x2d, axis=-1)))
    assert errors[1] / errors[0] == pytest.approx(2.0, rel=0.1)


def only(**errors: float | bool) -> EstimatorProfile:
    """The ``clean`` profile with every error off but ``errors``, its 2D from its own 3D (``kp_from_3d``)."""
    off = dict(bias_mm=0.0, drift_mm=0.0, jitter_mm=0.0, orient_bias_deg=0.0, orient_drift_deg=0.0, scale_error=0.0,
               depth_error=0.0, depth_drift=0.0, gross_rate_hz=0.0, kp_noise_px=0.0, kp_miss_rate=0.0)
    return replace(PROFILES["clean"], kp_from_3d=True, **{**off, **errors})


def test_the_orientation_shakes_fast_where_a_profile_says() -> None:
    gt = walking_gt(300).astype(np.float64)
    rel = gt - gt[:, :1]

    def angles(profile: EstimatorProfile) -> np.ndarray:
        est = simulate_estimates(gt, K, fps=30.0, profile=profile, seed=5).joints3d.astype(np.float64)
        turned = est - est[:, :1]
        return np.array([Rotation.align_vectors(turned[t, 1:], rel[t, 1:])[0].as_rotvec() for t in range(len(gt))])

    calm, shaky = angles(only(orient_drift_deg=2.0)), angles(only(orient_drift_deg=2.0, orient_shake_deg=4.0))
    shake = np.degrees(shaky - calm)  # small angles: the rotation vectors add
    assert shake.std() == pytest.approx(4.0, rel=0.2)
    # 50 ms at 30 fps is 1.5 frames: neighbours correlate as exp(-(1 / 1.5)^2) = 0.64; the drift (0.5 s) far more.
    lag1 = lambda a: np.mean([np.corrcoef(a[1:, k], a[:-1, k])[0, 1] for k in range(3)])  # noqa: E731
    assert lag1(shake) == pytest.approx(np.exp(-(1 / 1.5) ** 2), abs=0.1)
    assert lag1(np.degrees(calm)) > 0.95


def test_bone_keep_takes_the_bones_length_errors_out() -> None:
    gt = walking_gt().astype(np.float64)

    def lengths(joints: np.ndarray) -> np.ndarray:
        return np.stack([np.linalg.norm(joints[:, j] - joints[:, p], axis=-1)
                         for j, p in enumerate(H36M17.parents) if p >= 0], axis=1)

    errors = {}
    for keep in (0.0, 0.5, 1.0):
        est = simulate_estimates(gt, K, fps=30.0, profile=only(bias_mm=30.0, drift_mm=20.0, bone_keep=keep), seed=6)
        errors[keep] = np.abs(lengths(est.joints3d.astype(np.float64)) - lengths(gt)).mean()
        if keep == 1.0:  # the 2D sees the same bones
            np.testing.assert_allclose(est.joints2d, project_np(est.joints3d, K), atol=1e-3)
    assert errors[1.0] < 1e-6 < 0.01 < errors[0.0]
    assert errors[0.5] == pytest.approx(0.5 * errors[0.0], rel=0.3)


def test_the_2d_carries_its_share_of_the_orientation_error() -> None:
    gt = walking_gt()
    truth = project_np(gt, K)
    offsets = {}
    for share in (0.0, 0.5, 1.0):
        est = simulate_estimates(gt, K, fps=30.0, profile=only(orient_bias_deg=10.0, kp_orient_share=share), seed=2)
        offsets[share] = np.linalg.norm(est.joints2d - truth, axis=-1).mean()
        if share == 1.0:  # the whole error: the 2D is the estimate's own projection
            np.testing.assert_allclose(est.joints2d, project_np(est.joints3d, K), atol=1e-3)
    assert offsets[0.0] < 1e-3 < offsets[1.0]
    assert offsets[0.5] == pytest.approx(0.5 * offsets[1.0], rel=0.15)


def test_a_size_error_the_2d_does_not_see_is_a_depth_error() -> None:
    gt = walking_gt().astype(np.float64)
    truth = project_np(gt, K)
    est = simulate_estimates(gt, K, fps=30.0, profile=only(scale_error=0.2, kp_scale=False), seed=3)
    ratio = est.joints3d[..., 2] / gt[..., 2]  # (1 + s) X: the whole body, pelvis included, too big and too far
    assert abs(ratio.mean() - 1.0) > 0.01 and ratio.std() < 1e-4
    np.testing.assert_allclose(est.joints3d, ratio.mean() * gt, atol=1e-5)
    np.testing.assert_allclose(est.joints2d, truth, atol=1e-3)
    np.testing.assert_allclose(project_np(est.joints3d, K), truth, atol=1e-2)
    seen = simulate_estimates(gt, K, fps=30.0, profile=only(scale_error=0.2, kp_scale=True), seed=3)
    np.testing.assert_allclose(seen.joints3d[:, 0], gt[:, 0], atol=1e-5)  # the pelvis stays; the 2D is scaled
    assert np.linalg.norm(seen.joints2d - truth, axis=-1).mean() > 1.0


@pytest.mark.parametrize("roll", [0.0, 1.0])
def test_roll_factor_scales_the_orientation_error_about_the_optical_axis(roll: float) -> None:
    gt = walking_gt(5).astype(np.float64)
    rel = gt - gt[:, :1]
    rolls, tilts = [], []
    for seed in range(6):
        est = simulate_estimates(gt, K, fps=30.0, profile=only(orient_bias_deg=10.0, roll_factor=roll), seed=seed)
        turned = est.joints3d.astype(np.float64) - est.joints3d[:, :1]
        rotvec = Rotation.align_vectors(turned[0, 1:], rel[0, 1:])[0].as_rotvec()
        rolls.append(abs(rotvec[2]))
        tilts.append(np.linalg.norm(rotvec[:2]))
    assert np.mean(tilts) > np.radians(3.0)
    if roll == 0.0:
        assert max(rolls) < 1e-4
    else:
        assert np.mean(rolls) > np.radians(3.0)
