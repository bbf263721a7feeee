"""The MediaPipe estimator: conversion and placement without MediaPipe; the real model when installed."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

from flowpose.camera import intrinsics_from_fov, project_np
from flowpose.errors import InputError, ShapeError
from flowpose.estimate.mediapipe import (
    EstimateConfig,
    landmarks_to_arrays,
    poses_from_landmarks,
    require_mediapipe,
)
from flowpose.estimate.people import estimate_poses
from flowpose.skeleton import H36M17
from tests.conftest import shared_path


def _synthetic_landmarks(T: int, size: tuple[int, int], fov: float, root: np.ndarray):
    """MediaPipe-like landmarks of a random hip-centred body placed at ``root`` (T, 3) m."""
    rng = np.random.default_rng(0)
    world = rng.uniform(-0.4, 0.4, (T, 33, 3)) * np.array([1.0, 2.0, 0.5])
    world -= 0.5 * (world[:, 23:24] + world[:, 24:25])  # origin between the hips, as MediaPipe's
    H, W = size
    K = intrinsics_from_fov(W, H, fov)
    px = project_np(world + root[:, None], K)
    image = np.concatenate(
        [(px + 0.5) / np.array([W, H]), np.zeros((T, 33, 1)), np.full((T, 33, 1), 0.9)], -1
    )
    return image, world


def test_landmarks_to_arrays_pixel_convention() -> None:
    image = np.zeros((1, 33, 4))
    image[0, 0] = [0.0, 1.0, 0.0, 1.2]  # left edge, bottom edge, visibility above 1
    kp, rel, conf = landmarks_to_arrays(image, np.ones((1, 33, 3)), (100, 200))
    np.testing.assert_allclose(kp[0, 0], [-0.5, 99.5])  # edges are half a pixel outside the outer centres
    assert conf[0, 0] == 1.0 and conf[0, 1] == 0.0
    assert rel.shape == (1, 33, 3)


def test_poses_from_landmarks_places_and_maps() -> None:
    T, size, fov = 5, (480, 640), 60.0
    root = np.stack([np.linspace(-0.5, 0.5, T), np.zeros(T), np.linspace(3, 5, T)], -1)
    image, world = _synthetic_landmarks(T, size, fov, root)
    image[2] = np.nan  # a frame without a person
    world[2] = np.nan
    with pytest.warns(UserWarning, match="1 of 5 frames"):
        poses = poses_from_landmarks(image, world, size, fov_deg=fov, fps=25.0)
    assert poses.skeleton == H36M17.name and poses.joints3d.shape == (T, 17, 3) and poses.fps == 25.0
    np.testing.assert_allclose(poses.K, intrinsics_from_fov(640, 480, fov), rtol=1e-6)
    ok = [0, 1, 3, 4]
    # The pelvis is the hip midpoint, which is the world origin: it lands exactly on the placed root.
    np.testing.assert_allclose(poses.joints3d[ok, 0], root[ok], atol=1e-4)
    # H36M's left wrist is MediaPipe's left wrist (15), in 3D and in 2D.
    np.testing.assert_allclose(poses.joints3d[ok, 13], world[ok, 15] + root[ok], atol=1e-4)
    np.testing.assert_allclose(
        poses.joints2d[ok, 13], project_np(world[ok, 15:16] + root[ok, None], poses.K)[:, 0], atol=1e-2
    )
    assert np.isnan(poses.joints3d[:, 10]).all() and (poses.conf[:, 10] == 0).all()  # no head top
    assert np.isnan(poses.joints3d[2]).all() and (poses.conf[2] == 0).all()
    np.testing.assert_allclose(poses.conf[ok][:, [0, 1, 13]], 0.9, atol=1e-6)


def test_poses_from_landmarks_shapes() -> None:
    with pytest.raises(ShapeError, match="image_landmarks"):
        poses_from_landmarks(np.zeros((2, 17, 4)), np.zeros((2, 33, 3)), (10, 10))
    with pytest.raises(InputError, match="fov_deg"):
        poses_from_landmarks(np.zeros((1, 33, 4)), np.zeros((1, 33, 3)), (10, 10), fov_deg=200.0)


def test_estimate_config_validation() -> None:
    assert EstimateConfig().tracking is False and EstimateConfig().min_confidence == 0.5
    with pytest.raises(InputError, match=r"min_confidence must lie in \[0, 1\], got 1.5"):
        EstimateConfig(min_confidence=1.5)
    with pytest.raises(InputError, match="fov must lie in"):
        EstimateConfig(fov_deg=0.0)
    with pytest.raises(InputError, match="people must be >= 1, got 0"):
        EstimateConfig(people=0)
    with pytest.raises(InputError, match="carry_frames must be >= 0, got -1"):
        EstimateConfig(carry_frames=-1)


def test_missing_mediapipe_is_a_clear_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_mediapipe(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if name.startswith("mediapipe"):
            raise ImportError("No module named 'mediapipe'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mediapipe)
    for mod in [m for m in sys.modules if m.startswith("mediapipe")]:
        monkeypatch.delitem(sys.modules, mod)
    with pytest.raises(InputError, match=r'pip install "flowpose\[estimate\]"'):
        require_mediapipe()
    with pytest.raises(InputError, match="flowpose\\[estimate\\]"):
        estimate_poses(np.zeros((2, 8, 8, 3), np.uint8))


@pytest.mark.slow
@pytest.mark.parametrize("tracking", [False, True])
def test_real_mediapipe_on_h36m_frames(tracking: bool) -> None:
    pytest.importorskip("mediapipe")
    from flowpose.io.video import open_video

    with open_video(shared_path("data", "video", "h36m_clip.mp4")) as video:
        frames = video.read(0, 3)
        poses = estimate_poses(frames, EstimateConfig(fov_deg=47.0, tracking=tracking), fps=video.fps)
    assert poses.joints3d.shape == (3, 17, 3)
    observed = poses.conf > 0.5
    assert observed[:, [0, 3, 6, 13, 16]].all()  # a fully visible person: pelvis, ankles, wrists found
    # Placed in front of the camera at studio distance, and projecting onto its own keypoints.
    assert (3.0 < poses.joints3d[:, 0, 2]).all() and (poses.joints3d[:, 0, 2] < 8.0).all()
    err = np.linalg.norm(project_np(poses.joints3d, poses.K) - poses.joints2d, axis=-1)[observed]
    assert np.median(err) < 15.0  # px on a 1000 px frame
    # Bone lengths are metric: thigh 0.3 - 0.6 m.
    thigh = np.linalg.norm(poses.joints3d[:, 1] - poses.joints3d[:, 2], axis=-1)
    assert ((0.3 < thigh) & (thigh < 0.6)).all()
