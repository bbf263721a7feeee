"""Tests of flowpose.synth.placement: intrinsics, and a person turned to face an OpenCV camera."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.skeleton import H36M17
from flowpose.synth.placement import default_intrinsics, facing_yaw, place_in_camera

J = H36M17.index


def standing_person(forward: np.ndarray, frames: int = 3) -> np.ndarray:
    """A crude Y-up H36M-17 person 1.7 m tall facing ``forward`` (horizontal), left = up x forward."""
    up = np.array([0.0, 1.0, 0.0])
    forward = forward / np.linalg.norm(forward)
    left = np.cross(up, forward)
    p = {
        "pelvis": 0.9 * up, "spine": 1.15 * up, "thorax": 1.4 * up, "neck": 1.55 * up, "head": 1.7 * up,
        "l_hip": 0.9 * up + 0.1 * left, "l_knee": 0.5 * up + 0.1 * left + 0.05 * forward,
        "l_ankle": 0.08 * up + 0.1 * left, "l_shoulder": 1.4 * up + 0.18 * left,
        "l_elbow": 1.1 * up + 0.2 * left, "l_wrist": 0.85 * up + 0.2 * left + 0.1 * forward,
    }
    for name in list(p):
        if name.startswith("l_"):
            p["r_" + name[2:]] = p[name] - 2.0 * np.dot(p[name], left) * left  # mirror across the body plane
    joints = np.stack([p[n] for n in H36M17.joint_names])
    return np.repeat(joints[None], frames, axis=0) + np.array([3.0, 0.0, -2.0])


def test_default_intrinsics_by_hand() -> None:
    K = default_intrinsics(256, 256, 55.0)
    f = 128.0 / np.tan(np.radians(27.5))
    np.testing.assert_allclose(K, [[f, 0, 127.5], [0, f, 127.5], [0, 0, 1]])
    assert default_intrinsics(64, 32, 90.0)[0, 0] == pytest.approx(32.0)


@pytest.mark.parametrize("yaw", [0.0, 1.0, 2.5, -2.0])
def test_facing_yaw(yaw: float) -> None:
    forward = np.array([np.sin(yaw), 0.0, np.cos(yaw)])
    assert facing_yaw(standing_person(forward)) == pytest.approx(yaw)


@pytest.mark.parametrize("yaw", [0.0, 1.3, 3.0, -2.2])
def test_person_faces_camera_upright_and_centred(yaw: float) -> None:
    world = standing_person(np.array([np.sin(yaw), 0.0, np.cos(yaw)]))
    cam = place_in_camera(world, distance_m=4.0)
    assert cam.dtype == np.float32 and cam.shape == world.shape
    np.testing.assert_allclose(cam.reshape(-1, 3).mean(0), [0.0, 0.0, 4.0], atol=1e-5)
    assert (cam[:, J("head"), 1] < cam[:, J("l_ankle"), 1]).all()  # y down: head above the feet
    assert (cam[:, J("l_hip"), 0] > cam[:, J("r_hip"), 0] + 0.15).all()  # the person's left on image right
    assert (cam[:, J("l_wrist"), 2] < cam[:, J("l_elbow"), 2]).all()  # the hand reaches towards the camera
    # Rigid: every pairwise distance kept.
    d_world = np.linalg.norm(world[:, :, None] - world[:, None], axis=-1)
    d_cam = np.linalg.norm(cam[:, :, None] - cam[:, None], axis=-1)
    np.testing.assert_allclose(d_cam, d_world, atol=1e-5)


def test_yaw_turns_the_person() -> None:
    world = standing_person(np.array([1.0, 0.0, 0.0]))
    back = place_in_camera(world, yaw_deg=180.0)
    assert (back[:, J("l_hip"), 0] < back[:, J("r_hip"), 0]).all()  # seen from behind
    side = place_in_camera(world, yaw_deg=90.0)  # faces the image's right
    assert (side[:, J("l_wrist"), 0] > side[:, J("l_elbow"), 0]).all()


@pytest.mark.parametrize("pitch", [25.0, -10.0])
def test_a_pitched_camera_looks_down_at_the_person_still_centred(pitch: float) -> None:
    world = standing_person(np.array([0.3, 0.0, 1.0]), frames=2)
    world[1] += [0.0, 1.0, 0.0]  # the second frame 1 m higher: the world's up in the camera's frame
    level, pitched = place_in_camera(world, distance_m=4.0), place_in_camera(world, distance_m=4.0, pitch_deg=pitch)
    p = np.radians(pitch)
    np.testing.assert_allclose(pitched[1] - pitched[0], np.broadcast_to([0.0, -np.cos(p), -np.sin(p)], (17, 3)),
                               atol=1e-5)
    np.testing.assert_allclose(pitched.reshape(-1, 3).mean(0), [0.0, 0.0, 4.0], atol=1e-5)
    # The level view turned about the camera's x by the pitch, about the mean body centre: the same body.
    centre = np.array([0.0, 0.0, 4.0])
    turn = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(p), -np.sin(p)], [0.0, np.sin(p), np.cos(p)]])
    np.testing.assert_allclose(pitched, (level - centre) @ turn.T + centre, atol=1e-5)
    if pitch > 0:  # looking down: the feet farther than the head
        assert (pitched[:, J("l_ankle"), 2] > pitched[:, J("head"), 2]).all()


def test_errors() -> None:
    with pytest.raises(ShapeError, match=r"\(T, 17, 3\)"):
        place_in_camera(np.zeros((3, 16, 3)))
    with pytest.raises(InputError, match="distance_m must be positive"):
        place_in_camera(standing_person(np.array([0.0, 0.0, 1.0])), distance_m=0.0)
    with pytest.raises(InputError, match="NaN"):
        place_in_camera(np.full((2, 17, 3), np.nan))
    with pytest.raises(InputError, match="fov_deg"):
        default_intrinsics(64, 64, 180.0)
