"""Tests of the rigid-part body: frames, parallel transport, shapes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.synth.body import BODY_PARTS, CAPSULE, ELLIPSOID, T_POSE, build_body, transport_frames

PART = {p.name: k for k, p in enumerate(BODY_PARTS)}


def test_smoke_shapes_and_orthonormal_frames() -> None:
    joints = T_POSE[None].repeat(3, 0) + [0.0, 0.0, 4.0]
    body = build_body(joints)
    P = len(BODY_PARTS)
    assert body.rotation.shape == (3, P, 3, 3) and body.origin.shape == (3, P, 3)
    R = body.rotation
    np.testing.assert_allclose(R.transpose(0, 1, 3, 2) @ R, np.broadcast_to(np.eye(3), R.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    assert set(body.kind.tolist()) == {CAPSULE, ELLIPSOID}


def test_local_z_along_bone_and_origin_at_parent() -> None:
    body = build_body(T_POSE[None] + [0.0, 0.0, 4.0])
    k = PART["l_forearm"]  # elbow (0.43, -0.46) -> wrist (0.68, -0.46): +x
    np.testing.assert_allclose(body.rotation[0, k][:, 2], [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(body.origin[0, k], [0.43, -0.46, 4.0])
    np.testing.assert_allclose([body.z0[k], body.z1[k]], [0.0, 0.25], atol=1e-12)


def test_torso_frame_from_side_joints() -> None:
    body = build_body(T_POSE[None] + [0.0, 0.0, 4.0])
    R = body.rotation[0, PART["abdomen"]]
    np.testing.assert_allclose(R[:, 0], [1.0, 0.0, 0.0], atol=1e-12)  # l_hip - r_hip
    np.testing.assert_allclose(R[:, 2], [0.0, -1.0, 0.0], atol=1e-12)  # pelvis -> spine (y is down)
    np.testing.assert_allclose(R[:, 1], np.cross(R[:, 2], R[:, 0]), atol=1e-12)


def test_parallel_transport_follows_a_rotation_perpendicular_to_the_bone() -> None:
    """A bone turning about an axis perpendicular to it carries its frame by exactly that rotation."""
    angles = np.linspace(0.0, 1.2, 7)
    turn = Rotation.from_rotvec(np.outer(angles, [0.0, 0.0, 1.0])).as_matrix()  # about z, bone along x
    axes = turn @ np.array([1.0, 0.0, 0.0])
    x = transport_frames(axes[:, None, :])[:, 0]
    np.testing.assert_allclose(x, turn @ x[0], atol=1e-12)


def test_transport_keeps_the_twist_of_a_still_bone_and_stays_orthogonal() -> None:
    rng = np.random.default_rng(1)
    still = np.broadcast_to([0.0, 0.6, 0.8], (5, 1, 3))
    x = transport_frames(still)
    np.testing.assert_allclose(x, np.broadcast_to(x[0], x.shape), atol=1e-12)
    wobble = rng.normal(size=(20, 4, 3))
    wobble /= np.linalg.norm(wobble, axis=-1, keepdims=True)
    x = transport_frames(wobble)
    np.testing.assert_allclose(np.sum(x * wobble, -1), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(x, axis=-1), 1.0, atol=1e-9)


def test_shapes_use_the_median_bone_length() -> None:
    joints = T_POSE[None].repeat(3, 0) + [0.0, 0.0, 4.0]
    joints[1, 13, 0] = 0.73  # forearm 0.30 m in one frame, 0.25 in two
    body = build_body(joints, thickness=2.0)
    k = PART["l_forearm"]
    assert body.z1[k] == pytest.approx(0.25)
    assert body.radii[k, 0] == pytest.approx(2.0 * BODY_PARTS[k].radii[0])


def test_exceptions() -> None:
    with pytest.raises(ShapeError, match=r"joints must have shape \(T>=1, 17, 3\), got \(17, 3\)"):
        build_body(T_POSE)
    bad = T_POSE[None].copy()
    bad[0, 3, 0] = np.nan
    with pytest.raises(InputError, match="finite"):
        build_body(bad)
    bad = T_POSE[None].copy()
    bad[0, 13] = bad[0, 12]
    with pytest.raises(InputError, match="'l_forearm' has zero length at frame 0"):
        build_body(bad)
    with pytest.raises(InputError, match="thickness must be > 0, got 0"):
        build_body(T_POSE[None], thickness=0)
