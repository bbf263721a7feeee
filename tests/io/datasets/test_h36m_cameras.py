"""Tests for flowpose.io.datasets.h36m_cameras: the published tables and their convention."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.io.datasets.h36m_cameras import H36M_EXTRINSICS, H36M_INTRINSICS


def test_four_cameras_for_every_subject_with_published_extrinsics():
    assert [c.camera_id for c in H36M_INTRINSICS] == ["54138969", "55011271", "58860488", "60457274"]
    assert set(H36M_EXTRINSICS) == {"S1", "S5", "S6", "S7", "S8", "S9", "S11"}  # S2, S3, S4: none published
    for cams in H36M_EXTRINSICS.values():
        assert len(cams) == len(H36M_INTRINSICS)
        for ext in cams:
            assert np.linalg.norm(ext.orientation) == pytest.approx(1.0, abs=1e-6)  # unit quaternions


def test_intrinsics_matrix():
    for intr in H36M_INTRINSICS:
        K = intr.K()
        assert K.dtype == np.float32
        np.testing.assert_allclose(np.diag(K), [*intr.focal_length, 1.0])
        np.testing.assert_allclose(K[:2, 2], intr.center)
        assert K[0, 1] == K[1, 0] == K[2, 0] == K[2, 1] == 0.0
        # the principal point lies near the image's centre
        assert np.all(np.abs(np.asarray(intr.center) - np.asarray(intr.resolution) / 2) < 25)


def test_published_extrinsics_convention():
    # The camera centre maps to the origin, and the world "up" (+Z) to image-up (-y) for every camera.
    for cams in H36M_EXTRINSICS.values():
        for ext in cams:
            centre = np.asarray(ext.translation_mm) / 1000.0
            np.testing.assert_allclose(ext.world_to_camera(centre), 0.0, atol=1e-9)
            up = ext.world_to_camera(np.array([0.0, 0.0, 1.8])) - ext.world_to_camera(np.zeros(3))
            assert up[1] < -1.0
    # A subject standing at the world origin is in front of each camera, inside its image.
    for ext, intr in zip(H36M_EXTRINSICS["S9"], H36M_INTRINSICS):
        p = ext.world_to_camera(np.array([0.0, 0.0, 0.9]))
        u, v = (intr.K() @ p)[:2] / p[2]
        assert 3.0 < p[2] < 7.0 and 0 < u < intr.resolution[0] and 0 < v < intr.resolution[1]


def test_world_to_camera_is_a_rigid_motion_over_any_batch_shape():
    ext = H36M_EXTRINSICS["S1"][0]
    rng = np.random.default_rng(0)
    points = rng.normal(0, 2, (4, 5, 3))
    cam = ext.world_to_camera(points)
    assert cam.shape == (4, 5, 3) and cam.dtype == np.float64
    flat = points.reshape(-1, 3)
    d_world = np.linalg.norm(flat[:, None] - flat[None], axis=-1)
    d_cam = np.linalg.norm(cam.reshape(-1, 3)[:, None] - cam.reshape(-1, 3)[None], axis=-1)
    np.testing.assert_allclose(d_cam, d_world, atol=1e-9)  # distances kept: a rotation and a translation
    np.testing.assert_allclose(ext.world_to_camera(points[0, 0]), cam[0, 0])
