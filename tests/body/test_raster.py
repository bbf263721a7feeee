"""Tests of flowpose.body.raster: coverage, the z-buffer, perspective-correct barycentrics, surface motion."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowpose.body.raster import rasterize, surface_motion, surface_points
from flowpose.errors import ShapeError

K = np.array([[100.0, 0.0, 32.0], [0.0, 100.0, 32.0], [0.0, 0.0, 1.0]])
FULL = (np.zeros((1, 2)), np.ones(1), (64, 64))


def square(z: float, half: float = 0.2, shift: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """Two triangles: a square of side 2 half at depth z, facing the camera."""
    x, y = shift
    v = np.array([[x - half, y - half, z], [x + half, y - half, z], [x + half, y + half, z], [x - half, y + half, z]])
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def test_a_square_covers_its_projection_at_its_depth() -> None:
    v, f = square(2.0)  # projects to [22, 42] x [22, 42]
    raster = rasterize(v[None], f, K, *FULL)
    mask = raster.mask()[0]
    assert mask[22:43, 22:43].all() and mask.sum() == 21 * 21
    np.testing.assert_allclose(raster.depth.numpy(), 2.0)
    np.testing.assert_allclose(raster.bary.sum(1).numpy(), 1.0)


def test_the_nearer_surface_wins() -> None:
    near, f = square(2.0, shift=(-0.1, 0.0))
    far, _ = square(3.0, shift=(0.15, 0.0))
    raster = rasterize(np.concatenate([near, far])[None], np.concatenate([f, f + 4]), K, *FULL)
    faces = np.full((64, 64), -1)
    faces[raster.y.numpy(), raster.x.numpy()] = raster.face.numpy()
    assert (faces[32, 18:37] < 2).all()  # the near square (faces 0, 1), in front of the far one from x = 31
    assert (faces[32, 38:44] >= 2).all()  # beyond the near one's edge (x > 37), the far one (to 43.7)
    assert len(raster.face) == len(np.unique(raster.y.numpy() * 64 + raster.x.numpy()))  # one winner a pixel


def test_surface_points_project_to_their_pixels_on_crop_grids() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal([0.0, 0.0, 3.0], [0.3, 0.3, 0.3], (1, 40, 3)).repeat(2, 0)
    f = rng.integers(0, 40, (60, 3))
    f = f[(f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])]
    origin, scale = np.array([[5.0, 7.0], [-3.0, 2.0]]), np.array([0.7, 1.3])
    raster = rasterize(v, f, K, origin, scale, (48, 48))
    assert len(raster.face) > 100
    X = surface_points(torch.as_tensor(v), torch.as_tensor(f), raster, raster.frame).numpy()
    pixel = X[:, :2] / X[:, 2:] * 100.0 + 32.0
    t = raster.frame.numpy()
    expected = origin[t] + scale[t, None] * np.stack([raster.x.numpy(), raster.y.numpy()], -1)
    np.testing.assert_allclose(pixel, expected, atol=1e-6)  # perspective-correct: the point is on the ray
    np.testing.assert_allclose(X[:, 2], raster.depth.numpy(), atol=1e-9)


def test_surface_motion_of_a_translation_and_of_an_approach() -> None:
    v, f = square(2.0)
    moved = np.stack([v, v + [0.02, 0.0, 0.0]])
    raster = rasterize(moved[:1], f, K, *FULL)
    np.testing.assert_allclose(surface_motion(moved, f, K, raster).numpy(), [[1.0, 0.0]] * len(raster.face), atol=1e-9)
    nearer = np.stack([v, v * [1.0, 1.0, 0.5]])  # the same square at half the depth: twice as large on screen
    raster = rasterize(nearer[:1], f, K, *FULL)
    pixels = np.stack([raster.x.numpy(), raster.y.numpy()], -1)
    np.testing.assert_allclose(surface_motion(nearer, f, K, raster).numpy(), pixels - 32.0, atol=1e-9)


def test_nothing_behind_the_camera_and_shape_errors() -> None:
    v, f = square(-2.0)
    assert len(rasterize(v[None], f, K, *FULL).face) == 0
    with pytest.raises(ShapeError, match="vertices"):
        rasterize(v, f, K, *FULL)
    with pytest.raises(ShapeError, match="faces"):
        rasterize(v[None], f[:, :2], K, *FULL)


def test_long_videos_are_rasterised_in_chunks_of_frames_with_the_same_result() -> None:
    v, f = square(2.0)
    frames = np.stack([v + [0.005 * t, 0.0, 0.01 * t] for t in range(40)])  # more than one chunk of frames
    whole = rasterize(frames, f, K, np.zeros((40, 2)), np.ones(40), (64, 64))
    for t in (0, 31, 32, 39):
        alone = rasterize(frames[t: t + 1], f, K, *FULL)
        mine = whole.frame == t
        np.testing.assert_array_equal(whole.y[mine].numpy(), alone.y.numpy())
        np.testing.assert_array_equal(whole.x[mine].numpy(), alone.x.numpy())
        np.testing.assert_allclose(whole.depth[mine].numpy(), alone.depth.numpy())
