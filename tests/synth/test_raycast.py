"""Tests of the analytic ray casting: hand-computed hits, culling, normals."""

from __future__ import annotations

import numpy as np

from flowpose.synth.body import CAPSULE, ELLIPSOID
from flowpose.synth.raycast import PLANE, RayGrid, Scene, cast_grid, cast_points, intersect, screen_boxes

K = np.array([[50.0, 0.0, 20.0], [0.0, 50.0, 20.0], [0.0, 0.0, 1.0]])


def _scene(kinds: list[int], radii: list[tuple[float, float]], z0: list[float], z1: list[float],
           rotations: list[np.ndarray], origins: list[list[float]]) -> Scene:
    return Scene(np.array(kinds), np.array(radii, float), np.array(z0, float), np.array(z1, float),
                 np.stack(rotations).astype(float), np.array(origins, float))


# local z along camera x: columns are the local axes in the camera frame
ALONG_X = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_capsule_body_cap_and_axis_parallel_rays() -> None:
    ray = np.array([[0.0, 0.0, 1.0], [0.3, 0.0, 1.0], [0.12, 0.0, 1.0]])  # d_z = 1
    # capsule along camera x from X = -0.5 to 0.5 at depth 5, r = 0.2
    origin = np.array([-0.5, 0.0, 5.0])
    s = intersect(CAPSULE, np.array([0.2, 0.2]), 0.0, 1.0, -origin @ ALONG_X, ray @ ALONG_X)
    np.testing.assert_allclose(s[0], 4.8, rtol=1e-12)  # cylinder body, straight ahead
    assert np.isinf(s[1])  # x = 0.3 Z: passes right of the cap at X = 0.5 (1.5 > 0.7)
    # on the cap: (0.12 s - 0.5)^2 + (s - 5)^2 = 0.04 -> smaller root
    a, b, c = 0.12**2 + 1, -2 * (0.12 * 0.5 + 5), 0.25 + 25 - 0.04
    expected = (-b - np.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert 0.12 * expected > 0.5  # beyond the body: the cap's part
    np.testing.assert_allclose(s[2], expected, rtol=1e-12)
    # capsule pointing at the camera (axis = ray): enters through the near cap at depth 4 - r
    s = intersect(CAPSULE, np.array([0.2, 0.2]), 0.0, 2.0, np.array([0.0, 0.0, -4.0]), ray[:1])
    np.testing.assert_allclose(s, [3.8], rtol=1e-12)


def test_ellipsoid_and_plane() -> None:
    ray = np.array([[0.0, 0.0, 1.0], [0.1, 0.0, 1.0]])
    # semi-axes (0.5, 0.3, 1.0) centred at local z = 1, frame at depth 3 with local z = camera z
    s = intersect(ELLIPSOID, np.array([0.5, 0.3]), 0.0, 2.0, np.array([0.0, 0.0, -3.0]), ray)
    np.testing.assert_allclose(s[0], 3.0, rtol=1e-12)
    # (0.1 s / 0.5)^2 + (s - 4)^2 = 1
    a, b, c = 0.04 + 1, -8.0, 15.0
    np.testing.assert_allclose(s[1], (-b - np.sqrt(b * b - 4 * a * c)) / (2 * a), rtol=1e-12)
    s = intersect(PLANE, np.zeros(2), 7.0, 7.0, np.zeros(3), ray)
    np.testing.assert_allclose(s, [7.0, 7.0])
    s = intersect(PLANE, np.zeros(2), -1.0, -1.0, np.zeros(3), ray)  # behind the camera
    assert np.isinf(s).all()


def test_nearest_surface_wins_and_normals_face_the_camera() -> None:
    scene = _scene(
        [CAPSULE, PLANE], [(0.3, 0.3), (0.0, 0.0)], [0.0, 6.0], [1.0, 6.0], [ALONG_X, np.eye(3)],
        [[-0.5, 0.0, 4.0], [0.0, 0.0, 0.0]],
    )
    hits = cast_points(np.array([20.0, 20.0, 39.0]), np.array([20.0, 39.0, 0.0]), K, scene)
    np.testing.assert_array_equal(hits.surface, [0, 1, 1])
    np.testing.assert_allclose(hits.depth, [3.7, 6.0, 6.0])
    np.testing.assert_allclose(hits.normal[0], [0.0, 0.0, -1.0], atol=1e-12)
    # local (x, y, z) = camera (Y, Z, X) offsets from the origin (-0.5, 0, 4): the front point (0, 0, 3.7)
    np.testing.assert_allclose(hits.local[0], [0.0, -0.3, 0.5], atol=1e-12)
    np.testing.assert_allclose(hits.local[1], [0.0, 19.0 / 50.0 * 6.0, 6.0])


def test_grid_and_points_agree_and_boxes_contain_every_hit() -> None:
    rng = np.random.default_rng(0)
    rotations = [np.linalg.qr(rng.normal(size=(3, 3)))[0] for _ in range(4)]
    rotations = [R * np.sign(np.linalg.det(R)) for R in rotations]
    scene = _scene(
        [CAPSULE, ELLIPSOID, CAPSULE, ELLIPSOID], [(0.2, 0.2), (0.3, 0.15), (0.1, 0.1), (0.2, 0.4)],
        [0.0, -0.2, 0.0, 0.0], [0.8, 0.5, 0.4, 0.6], rotations,
        [[0.0, 0.0, 3.0], [0.5, -0.3, 2.5], [-0.6, 0.4, 3.5], [0.2, 0.6, 4.0]],
    )
    pixels = np.arange(40.0)
    grid = cast_grid(RayGrid.build(pixels, pixels, K), scene)
    uu, vv = np.meshgrid(pixels, pixels)
    points = cast_points(uu.ravel(), vv.ravel(), K, scene)
    np.testing.assert_array_equal(grid.surface, points.surface)
    np.testing.assert_allclose(grid.depth[grid.surface >= 0], points.depth[points.surface >= 0], rtol=1e-12)
    boxes = screen_boxes(scene, K)
    for k in range(4):
        on = grid.surface == k
        assert on.any()
        u, v = uu.ravel()[on], vv.ravel()[on]
        assert (u >= boxes[k, 0]).all() and (u <= boxes[k, 1]).all()
        assert (v >= boxes[k, 2]).all() and (v <= boxes[k, 3]).all()
    n = grid.normal[grid.surface >= 0]
    np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=1e-9)
    dirs = np.stack([uu.ravel() - 20.0, vv.ravel() - 20.0, np.full(1600, 50.0)], -1)[grid.surface >= 0]
    assert (np.sum(n * dirs, -1) < 1e-9).all()  # front faces only
