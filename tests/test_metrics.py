"""Tests for flowpose.metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.metrics import (
    accel_error,
    bone_length_std,
    epe,
    mpjpe,
    pa_mpjpe,
    pck,
    procrustes_align,
    sparse_epe,
)
from flowpose.skeleton import H36M17


@pytest.fixture
def poses() -> np.ndarray:
    return np.random.default_rng(0).normal(0.0, 0.3, (6, 17, 3)) + [0.0, 0.0, 4.0]


def test_mpjpe_constant_offset_is_removed_by_root_alignment(poses: np.ndarray) -> None:
    assert mpjpe(poses + [0.01, 0.0, 0.0], poses) == pytest.approx(0.0, abs=1e-9)


def test_mpjpe_per_joint_offset_gives_its_norm(poses: np.ndarray) -> None:
    pred = poses.copy()
    pred[:, 1:] += [0.006, 0.0, 0.008]  # every non-root joint 10 mm off
    errors = mpjpe(pred, poses, reduction="none")
    assert errors.shape == (6, 17)
    np.testing.assert_allclose(errors[:, 1:], 10.0)
    np.testing.assert_allclose(errors[:, 0], 0.0)
    assert mpjpe(pred, poses) == pytest.approx(10.0 * 16 / 17)


def test_mpjpe_excludes_nan_joints_and_uses_hip_midpoint_without_pelvis(poses: np.ndarray) -> None:
    pred = poses.copy()
    pred[:, 5] += [0.02, 0.0, 0.0]
    gt = poses.copy()
    gt[:, 7] = np.nan  # excluded
    assert mpjpe(pred, gt) == pytest.approx(20.0 / 16)
    lsp = poses[:, :14] + [1.0, 2.0, 3.0]  # lsp14 has no pelvis: aligned at the hip midpoint
    lsp_pred = lsp.copy()
    lsp_pred[:, 2] += [0.0, 0.004, 0.0]  # r_hip moves 4 mm: the hip midpoint moves 2 mm
    errors = mpjpe(lsp_pred, lsp, skeleton="lsp14", reduction="none")
    np.testing.assert_allclose(errors[:, 2], 2.0)
    np.testing.assert_allclose(errors[:, 0], 2.0)
    assert np.isnan(mpjpe(np.full((1, 17, 3), np.nan), poses[:1]))


def test_pa_mpjpe_removes_rotation_scale_translation(poses: np.ndarray) -> None:
    R = Rotation.from_euler("xyz", [0.3, -1.0, 2.0]).as_matrix()
    pred = 1.7 * poses @ R.T + [0.5, -0.2, 3.0]
    assert pa_mpjpe(pred, poses) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(procrustes_align(pred, poses), poses, atol=1e-12)


def test_pa_mpjpe_does_not_reflect() -> None:
    gt = np.random.default_rng(1).normal(size=(1, 17, 3))
    mirrored = gt * [-1.0, 1.0, 1.0]  # a reflection is not a rotation: some error must remain
    assert pa_mpjpe(mirrored, gt) > 1.0  # a reflection would give 0
    aligned = procrustes_align(mirrored, gt)[0]
    orientation = lambda x: np.sign(np.linalg.det(x[1:4] - x[0]))  # noqa: E731
    assert orientation(aligned) == orientation(mirrored[0]) == -orientation(gt[0])


def test_pa_mpjpe_hand_computed_noise_case() -> None:
    # four joints on the axes, pred squashed along y: no rotation helps, the best similarity only scales
    gt = np.array([[[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 0.0]]])
    pred = gt * [1.0, 0.5, 1.0]
    # best s = tr(S)/|P|^2 = (1 + 1 + 0.5 + 0.5) / (1 + 1 + 0.25 + 0.25) = 1.2; errors 0.2 and 0.4 m
    errors = pa_mpjpe(pred, gt, reduction="none")
    np.testing.assert_allclose(errors, [[200.0, 200.0, 400.0, 400.0]], atol=1e-9)


def test_pa_mpjpe_ignores_nan_joints(poses: np.ndarray) -> None:
    R = Rotation.from_euler("z", 0.5).as_matrix()
    pred = poses @ R.T
    pred[:, 3] = np.nan
    errors = pa_mpjpe(pred, poses, reduction="none")
    assert np.isnan(errors[:, 3]).all()
    assert pa_mpjpe(pred, poses) == pytest.approx(0.0, abs=1e-9)


def test_accel_error_of_a_parabola() -> None:
    t = np.arange(6.0)[:, None, None]
    gt = np.zeros((6, 2, 3))
    pred = gt + np.array([0.0, 0.003, 0.004]) * 0.5 * t**2  # constant acceleration of 5 mm/frame^2
    assert accel_error(pred, gt) == pytest.approx(5.0)
    assert accel_error(pred + 0.1 * t, gt) == pytest.approx(5.0)  # velocity does not count
    assert np.isnan(accel_error(pred[:2], gt[:2]))


def test_bone_length_std() -> None:
    j = np.zeros((4, 17, 3))
    j[:, :, 0] = np.arange(17)[None] * 0.1  # every bone constant
    assert bone_length_std(j) == pytest.approx(0.0, abs=1e-9)
    j[:, 10, 0] += np.array([0.0, 0.002, 0.0, 0.002])  # head (leaf, bone 9-10) alternates +-1 mm about mean
    assert bone_length_std(j) == pytest.approx(1.0 / len(H36M17.bones))


def test_epe_with_mask() -> None:
    pred = np.zeros((2, 3, 4, 2))
    gt = np.zeros((2, 3, 4, 2))
    pred[0, 0, 0] = [3.0, 4.0]
    assert epe(pred, gt) == pytest.approx(5.0 / 24)
    mask = np.zeros((2, 3, 4), bool)
    mask[0, 0, :2] = True
    assert epe(pred, gt, mask) == pytest.approx(2.5)
    assert np.isnan(epe(pred, gt, np.zeros((2, 3, 4), bool)))


def test_sparse_epe_bilinear_sampling_and_exclusions() -> None:
    H, W = 5, 6
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    flow = np.stack([xx, 2 * yy], axis=-1)[None]  # F(x, y) = (x, 2y): bilinear sampling is exact
    j0 = np.array([[1.5, 1.25], [2.0, 0.0], [5.5, 1.0], [3.0, 2.0]])
    true_next = j0 + np.stack([j0[:, 0], 2 * j0[:, 1]], axis=-1)
    j1 = true_next.copy()
    j1[1] += [0.0, 3.0]  # this joint's flow is 3 px wrong
    # joint 2 starts outside the image (x > W - 1), joint 3 ends outside
    assert sparse_epe(flow, np.stack([j0, j1])) == pytest.approx(1.5)
    valid = np.array([[True, False, True, True]])
    assert sparse_epe(flow, np.stack([j0, j1]), valid=valid) == pytest.approx(0.0)


def test_pck() -> None:
    gt = np.zeros((2, 4, 3))
    pred = gt.copy()
    pred[0, 0] = [0.2, 0.0, 0.0]
    pred[1, :2] = [0.0, 0.15, 0.0]  # exactly at the threshold counts
    assert pck(pred, gt, 0.15) == pytest.approx(7 / 8)
    pred[1, 3] = np.nan
    assert pck(pred, gt, 0.15) == pytest.approx(6 / 7)


def test_metric_exceptions(poses: np.ndarray) -> None:
    with pytest.raises(ShapeError, match=r"gt must have shape \(6, 17, 3\) like pred, got \(6, 16, 3\)"):
        mpjpe(poses, poses[:, :16])
    with pytest.raises(ShapeError, match=r"pred must have shape \(T, 14, 3\) for skeleton 'lsp14'"):
        mpjpe(poses, poses, skeleton="lsp14")
    with pytest.raises(InputError, match="reduction must be 'mean' or 'none', got 'sum'"):
        pa_mpjpe(poses, poses, reduction="sum")
    with pytest.raises(ShapeError, match=r"mask must have shape \(1, 2, 2\)"):
        epe(np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2, 2)), np.ones((2, 2), bool))
    with pytest.raises(ShapeError, match=r"joints2d must have shape \(3, J, 2\)"):
        sparse_epe(np.zeros((2, 4, 4, 2)), np.zeros((2, 1, 2)))
    with pytest.raises(InputError, match="threshold must be a non-negative distance, got -1"):
        pck(poses, poses, -1.0)
