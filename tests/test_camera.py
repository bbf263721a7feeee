"""Tests for flowpose.camera: projection, unprojection, intrinsics and the weak-perspective conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from flowpose.camera import (
    crop_to_image,
    intrinsics_from_fov,
    project,
    project_np,
    project_weak_perspective,
    unproject,
    unproject_np,
    weak_perspective_to_camera,
)
from flowpose.errors import InputError, ShapeError

K_SKEW = torch.tensor([[500.0, 2.0, 120.0], [0.0, 480.0, 90.0], [0.0, 0.0, 1.0]], dtype=torch.float64)


def test_project_hand_computed() -> None:
    pts = torch.tensor([[0.2, -0.1, 2.0], [0.0, 0.0, 4.0]], dtype=torch.float64)
    # u = 500*0.1 + 2*(-0.05) + 120 = 169.9, v = 480*(-0.05) + 90 = 66
    np.testing.assert_allclose(project(pts, K_SKEW).numpy(), [[169.9, 66.0], [120.0, 90.0]])


def test_project_unproject_round_trip() -> None:
    pixels = torch.rand(3, 10, 2, dtype=torch.float64) * 200
    depth = torch.rand(3, 10, dtype=torch.float64) * 5 + 0.5
    points = unproject(pixels, depth, K_SKEW)
    assert points.shape == (3, 10, 3)
    np.testing.assert_allclose(points[..., 2].numpy(), depth.numpy())
    np.testing.assert_allclose(project(points, K_SKEW).numpy(), pixels.numpy())
    back = project_np(unproject_np(pixels.numpy(), depth.numpy(), K_SKEW.numpy()), K_SKEW.numpy())
    np.testing.assert_allclose(back, pixels.numpy())


def test_unproject_per_frame_intrinsics() -> None:
    K = torch.stack([K_SKEW, K_SKEW * torch.tensor([[2.0], [2.0], [1.0]], dtype=torch.float64)])
    pixels = torch.rand(2, 4, 2, dtype=torch.float64) * 100
    out = unproject(pixels, torch.ones(2, 4, dtype=torch.float64), K)
    np.testing.assert_allclose(project(out, K).numpy(), pixels.numpy())


def test_project_gradcheck() -> None:
    points = torch.rand(2, 5, 3, dtype=torch.float64)
    points[..., 2] += 1.0
    points.requires_grad_()
    K = K_SKEW.clone().requires_grad_()
    assert torch.autograd.gradcheck(project, (points, K))
    pixels = (torch.rand(5, 2, dtype=torch.float64) * 100).requires_grad_()
    depth = (torch.rand(5, dtype=torch.float64) + 1).requires_grad_()
    assert torch.autograd.gradcheck(unproject, (pixels, depth, K))


def test_intrinsics_from_fov() -> None:
    K = intrinsics_from_fov(64, 48, 90.0)
    np.testing.assert_allclose(K, [[32.0, 0, 31.5], [0, 32.0, 23.5], [0, 0, 1]])
    # the image's left and right edges (-0.5 and W - 0.5) lie at +-fov/2
    K = intrinsics_from_fov(100, 80, 60.0)
    edge = unproject_np(np.array([[-0.5, 39.5]]), np.array([1.0]), K)
    assert math.degrees(math.atan2(-edge[0, 0], 1.0)) == pytest.approx(30.0)
    with pytest.raises(InputError, match=r"fov_deg must lie in \(0, 180\) degrees, got 180"):
        intrinsics_from_fov(10, 10, 180.0)
    with pytest.raises(InputError, match="image size must be positive, got width=0"):
        intrinsics_from_fov(0, 10, 60.0)


def test_project_weak_perspective_numpy_and_torch() -> None:
    joints = np.array([[[0.1, 0.2, 5.0], [-0.3, 0.0, 1.0]]])
    cam = np.array([[2.0, 0.5, -0.5]])
    expected = [[[1.2, -0.6], [0.4, -1.0]]]
    np.testing.assert_allclose(project_weak_perspective(joints, cam), expected)
    out = project_weak_perspective(torch.tensor(joints), torch.tensor(cam))
    np.testing.assert_allclose(out.numpy(), expected)


def test_crop_to_image() -> None:
    pts = np.array([[[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]]])
    expected = [[[10, 20], [110, 120], [60, 70]]]
    np.testing.assert_allclose(crop_to_image(pts, np.array([10.0, 20.0, 100.0])), expected)
    np.testing.assert_allclose(crop_to_image(pts, np.array([10.0, 20.0, 100.0, 100.0])), expected)


def test_weak_perspective_to_camera_reproduces_weak_perspective_2d() -> None:
    """A distant, shallow body: perspective projection of the converted joints ~= the weak-perspective 2D."""
    T, J = 4, 17
    rng = np.random.default_rng(0)
    joints = rng.uniform(-0.5, 0.5, (T, J, 3)) * [1.0, 1.8, 0.2]  # +-10 cm deep
    joints -= joints[:, :1]  # root-relative
    cam = np.stack([rng.uniform(0.8, 1.2, T), rng.uniform(-0.2, 0.2, T), rng.uniform(-0.2, 0.2, T)], axis=1)
    box = np.stack([rng.uniform(100, 300, T), rng.uniform(50, 150, T), np.full(T, 200.0)], axis=1)
    K = np.array([[4000.0, 0, 320.0], [0, 4000.0, 240.0], [0, 0, 1]])
    camera = weak_perspective_to_camera(joints, cam, box, K)
    np.testing.assert_allclose(camera[:, 0, 2], 2 * 4000.0 / (cam[:, 0] * 200.0))  # Z_r = 2 f / (s a) = ~40 m
    weak_px = crop_to_image(project_weak_perspective(joints, cam), box)
    persp_px = project_np(camera, K)
    np.testing.assert_allclose(persp_px[:, 0], weak_px[:, 0], atol=1e-9)  # the root is exact
    err = np.linalg.norm(persp_px - weak_px, axis=-1)
    assert err.max() < 1.0  # px: depth offsets of <= 0.2 m at ~40 m, i.e. <= 0.5 % of <= 200 px from centre
    # exactly: perspective shrinks the weak-perspective offset from the principal point by Z_r / (Z_r + Z)
    centre = K[:2, 2]
    z_r = camera[:, :1, 2:3]
    shrink = z_r / (z_r + joints[..., 2:3])
    np.testing.assert_allclose(persp_px - centre, (weak_px - centre) * shrink, atol=1e-9)
    np.testing.assert_allclose(camera - camera[:, :1], joints)  # the pose itself is untouched


def test_weak_perspective_to_camera_exceptions() -> None:
    K = np.eye(3) * 100
    K[2, 2] = 1
    joints = np.zeros((2, 3, 3))
    with pytest.raises(ShapeError, match=r"cam must have shape \(2, 3\), got \(3,\)"):
        weak_perspective_to_camera(joints, np.ones(3), np.ones(3), K)
    with pytest.raises(InputError, match="scale s must be positive, got min -1"):
        weak_perspective_to_camera(joints, np.array([[1.0, 0, 0], [-1.0, 0, 0]]), np.array([0, 0, 10.0]), K)
    with pytest.raises(InputError, match=r"must be square \(w == h\)"):
        weak_perspective_to_camera(joints, np.ones((2, 3)), np.array([0, 0, 10.0, 20.0]), K)
    with pytest.raises(InputError, match="side must be positive"):
        weak_perspective_to_camera(joints, np.ones((2, 3)), np.array([0, 0, 0.0]), K)
