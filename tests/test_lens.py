"""Tests of flowpose.lens: a distorting camera made a pinhole one (pixels, poses, frames), and back."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.camera import project_np
from flowpose.io.video import VideoReader
from flowpose.lens import (
    UndistortedVideo,
    distort_pixels,
    distortion_shift_px,
    lens_text,
    pinhole_poses,
    recorded_projection,
    through_lens,
    undistort_pixels,
    undistorted_frames,
)
from flowpose.pose import PoseSequence

K = np.array([[300.0, 0.0, 159.5], [0.0, 310.0, 119.5], [0.0, 0.0, 1.0]])
BARREL = np.array([-0.35, 0.12, 0.002, -0.001, -0.02])  # a wide-angle lens: 46 px at the corners of 320 x 240
SIZE = (240, 320)


def _grid() -> np.ndarray:
    ys, xs = np.meshgrid(np.linspace(0, SIZE[0] - 1, 13), np.linspace(0, SIZE[1] - 1, 17), indexing="ij")
    return np.stack([xs, ys], -1)  # (13, 17, 2)


def test_distort_is_opencv_projection_and_undistort_its_inverse() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform([-1.5, -1.0, 2.0], [1.5, 1.0, 4.0], (200, 3))  # points filling the view
    recorded, _ = cv2.projectPoints(X, np.zeros(3), np.zeros(3), K, BARREL)  # OpenCV's own camera model
    np.testing.assert_allclose(distort_pixels(project_np(X, K), K, BARREL), recorded.reshape(-1, 2), atol=1e-6)
    np.testing.assert_allclose(undistort_pixels(recorded.reshape(-1, 2), K, BARREL), project_np(X, K), atol=1e-5)
    grid = _grid()
    np.testing.assert_allclose(distort_pixels(undistort_pixels(grid, K, BARREL), K, BARREL), grid, atol=1e-5)
    shift = np.linalg.norm(undistort_pixels(grid, K, BARREL) - grid, axis=-1)
    assert shift.max() > 20.0 and shift[6, 8] < 1e-9  # the principal point does not move


def test_nan_keypoints_stay_nan() -> None:
    px = np.array([[[10.0, 20.0], [np.nan, np.nan]], [[np.nan, 5.0], [300.0, 200.0]]])
    for f in (undistort_pixels, distort_pixels):
        out = f(px, K, BARREL)
        assert out.shape == px.shape
        assert np.isnan(out[0, 1]).all() and np.isnan(out[1, 0]).all() and np.isfinite(out[[0, 1], [0, 1]]).all()


def test_poses_go_to_the_pinhole_camera_and_back() -> None:
    rng = np.random.default_rng(1)
    joints3d = rng.uniform([-0.5, -0.8, 3.0], [0.5, 0.8, 3.5], (4, 17, 3))
    recorded = distort_pixels(project_np(joints3d, K), K, BARREL)
    poses = PoseSequence(joints3d, K, joints2d=recorded, dist=BARREL)
    np.testing.assert_allclose(recorded_projection(poses), recorded, atol=1e-4)
    pinhole = pinhole_poses(poses)
    assert pinhole.dist is None
    np.testing.assert_allclose(pinhole.joints2d, project_np(joints3d, K), atol=1e-3)  # float32 storage
    back = through_lens(pinhole, poses.dist)
    np.testing.assert_array_equal(back.dist, BARREL)
    np.testing.assert_allclose(back.joints2d, recorded, atol=1e-3)
    plain = PoseSequence(joints3d, K, joints2d=recorded)
    assert pinhole_poses(plain) is plain and through_lens(plain, None) is plain


class _Dot(VideoReader):
    """Frames of a distorting camera that sees one bright square whose pinhole image is centred at ``at``."""

    def __init__(self, at: tuple[float, float]) -> None:
        super().__init__(Path("dot"), 30.0, SIZE)
        self.at = at

    def __len__(self) -> int:
        return 2

    def _frame(self, index: int) -> np.ndarray:
        pixels = _grid_full()
        seen = undistort_pixels(pixels, K, BARREL)  # where each recorded pixel looks in the pinhole image
        inside = (np.abs(seen - np.array(self.at)) <= 4.0).all(-1)
        return np.repeat((inside * 255).astype(np.uint8)[..., None], 3, axis=-1)


def _grid_full() -> np.ndarray:
    ys, xs = np.mgrid[0 : SIZE[0], 0 : SIZE[1]].astype(np.float64)
    return np.stack([xs, ys], -1)


def _centre(frame: np.ndarray) -> np.ndarray:
    w = frame[..., 0].astype(np.float64)
    ys, xs = np.mgrid[0 : SIZE[0], 0 : SIZE[1]]
    return np.array([(w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()])


def test_undistorted_frames_are_what_the_pinhole_camera_records() -> None:
    at = (40.0, 30.0)  # near a corner, where this lens moves pixels by 12 px
    video = _Dot(at)
    recorded = video[0]
    assert np.linalg.norm(_centre(recorded) - np.array(at)) > 8.0
    undistorted = UndistortedVideo(video, K, BARREL)
    assert len(undistorted) == 2 and undistorted.size == SIZE and undistorted.fps == 30.0
    np.testing.assert_allclose(_centre(undistorted[1]), at, atol=0.5)
    as_array = undistorted_frames(np.stack([recorded, recorded]), K, BARREL)
    np.testing.assert_array_equal(as_array[0], undistorted[0])
    assert isinstance(undistorted_frames(video, K, BARREL), UndistortedVideo)


def test_distortion_shift_is_the_radial_model() -> None:
    size = (480, 640)
    Kc = np.array([[500.0, 0, 319.5], [0, 500, 239.5], [0, 0, 1]])
    k1 = -0.002  # small: the shift is |k1| r^3 f to first order
    corner = np.hypot(319.5, 239.5) / 500.0
    edge, middle = distortion_shift_px(Kc, np.array([k1, 0, 0, 0]), size)
    assert edge == pytest.approx(abs(k1) * corner**3 * 500.0, rel=0.01)
    assert middle == pytest.approx(abs(k1) * (corner / 2) ** 3 * 500.0, rel=0.05)
    assert distortion_shift_px(Kc, np.zeros(5), size) == pytest.approx((0.0, 0.0), abs=1e-9)


def test_lens_text_names_the_coefficients() -> None:
    assert lens_text(np.array([-0.35, 0.12, 0.002, -0.001])) == "k1 -0.35, k2 0.12, p1 0.002, p2 -0.001"
    assert lens_text(None) == "none"
