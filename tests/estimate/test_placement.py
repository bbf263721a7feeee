"""Least-squares root placement: recover a known translation from a pose's own projection."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.camera import intrinsics_from_fov, project_np
from flowpose.errors import InputError, ShapeError
from flowpose.estimate.placement import normalised_coords, place_root


def _pose(rng: np.random.Generator, T: int, J: int = 17) -> np.ndarray:
    """Root-relative body-sized poses, (T, J, 3) m, joint 0 at the origin."""
    rel = rng.uniform(-0.5, 0.5, (T, J, 3)) * np.array([0.6, 1.8, 0.5])
    return rel - rel[:, :1]


def test_smoke_hand_computed() -> None:
    # Two joints 0.5 m apart seen 100 px apart at f = 500: depth 500 * 0.5 / 100 = 2.5 m.
    K = np.array([[500.0, 0, 50], [0, 500.0, 50], [0, 0, 1]])
    rel = np.array([[[0.0, 0, 0], [0.5, 0, 0]]])
    kp = np.array([[[50.0, 50], [150.0, 50]]])
    np.testing.assert_allclose(place_root(rel, kp, K), [[0.0, 0.0, 2.5]], atol=1e-12)


@pytest.mark.parametrize("reweight_iters", [0, 2])
def test_recovers_known_translation_exactly(reweight_iters: int) -> None:
    rng = np.random.default_rng(1)
    T = 20
    rel = _pose(rng, T)
    t_true = np.stack([rng.uniform(-1, 1, T), rng.uniform(-0.5, 0.5, T), rng.uniform(2.5, 8, T)], -1)
    K = intrinsics_from_fov(1000, 800, 55.0)
    kp = project_np(rel + t_true[:, None], K)
    t = place_root(rel, kp, K, reweight_iters=reweight_iters)
    np.testing.assert_allclose(t, t_true, atol=1e-9)


def test_per_frame_K_and_skew() -> None:
    rng = np.random.default_rng(2)
    T = 4
    rel = _pose(rng, T)
    t_true = np.array([[0.1, 0.2, 3.0], [-0.3, 0.0, 4.0], [0.0, 0.1, 5.0], [0.2, -0.2, 6.0]])
    K = np.broadcast_to(intrinsics_from_fov(640, 480, 70.0), (T, 3, 3)).copy()
    K[:, 0, 1] = 3.0  # skew
    K[:, 0, 0] *= np.linspace(0.9, 1.1, T)
    kp = project_np(rel + t_true[:, None], K)
    np.testing.assert_allclose(place_root(rel, kp, K), t_true, atol=1e-9)
    cam = rel + t_true[:, None]
    np.testing.assert_allclose(normalised_coords(kp, K), cam[..., :2] / cam[..., 2:], atol=1e-12)


def test_reweighting_reduces_reprojection_error_under_noise() -> None:
    rng = np.random.default_rng(3)
    T = 50
    rel = _pose(rng, T) * 1.5
    t_true = np.tile([0.0, 0.0, 1.6], (T, 1))  # close up: strong foreshortening, where (3) matters
    K = intrinsics_from_fov(1000, 1000, 60.0)
    kp = project_np(rel + t_true[:, None], K) + rng.normal(0, 3.0, (T, 17, 2))

    def reproj(t: np.ndarray) -> float:
        return float(np.linalg.norm(project_np(rel + t[:, None], K) - kp, axis=-1).mean())

    algebraic, reweighted = place_root(rel, kp, K, reweight_iters=0), place_root(rel, kp, K, reweight_iters=3)
    assert reproj(reweighted) <= reproj(algebraic) + 1e-9
    assert np.abs(reweighted - t_true).max() < 0.05


def test_weights_ignore_outliers_and_nan() -> None:
    rng = np.random.default_rng(4)
    rel = _pose(rng, 1)
    t_true = np.array([[0.3, -0.1, 4.0]])
    K = intrinsics_from_fov(800, 600, 60.0)
    kp = project_np(rel + t_true[:, None], K)
    kp[0, 5] += 300.0  # a wild keypoint ...
    w = np.ones((1, 17))
    w[0, 5] = 0.0  # ... with zero confidence
    rel[0, 6] = np.nan  # and a missing joint
    np.testing.assert_allclose(place_root(rel, kp, K, w), t_true, atol=1e-9)


def test_scale_is_the_depth_ambiguity() -> None:
    # (s, t) and (2 s, 2 t) project identically: a known scale 2 doubles the recovered translation.
    rng = np.random.default_rng(5)
    rel = _pose(rng, 3)
    t_true = np.array([[0.0, 0.0, 3.0], [0.5, 0.1, 4.0], [-0.2, 0.3, 5.0]])
    K = intrinsics_from_fov(500, 500, 60.0)
    kp = project_np(rel + t_true[:, None], K)
    np.testing.assert_allclose(place_root(rel, kp, K, scale=2.0), 2 * t_true, atol=1e-9)


def test_unplaceable_frames_are_nan_with_a_warning() -> None:
    rng = np.random.default_rng(6)
    rel = _pose(rng, 3)
    K = intrinsics_from_fov(500, 500, 60.0)
    kp = project_np(rel + np.array([0.0, 0.0, 3.0]), K)
    w = np.ones((3, 17))
    w[1, 1:] = 0.0  # one joint left: underdetermined
    with pytest.warns(UserWarning, match="1 of 3 frames"):
        t = place_root(rel, kp, K, w)
    assert np.isnan(t[1]).all() and np.isfinite(t[[0, 2]]).all()


def test_exception() -> None:
    K = np.eye(3)
    with pytest.raises(ShapeError, match=r"keypoints must have shape \(2, 17, 2\)"):
        place_root(np.zeros((2, 17, 3)), np.zeros((2, 16, 2)), K)
    with pytest.raises(ShapeError, match="joints_rel"):
        place_root(np.zeros((2, 17)), np.zeros((2, 17, 2)), K)
    with pytest.raises(InputError, match="scale must be a positive number"):
        place_root(np.zeros((1, 2, 3)), np.zeros((1, 2, 2)), K, scale=0.0)
    with pytest.raises(InputError, match="weights must be >= 0"):
        place_root(np.zeros((1, 2, 3)), np.zeros((1, 2, 2)), K, -np.ones((1, 2)))
