"""Tests of flowpose.camera_place: a camera's world frame from its height and tilt, and back."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowpose.camera_place import camera_tilt, placed_frame
from flowpose.errors import InputError
from flowpose.floor import ANKLE_HEIGHT_M, floor_scale
from flowpose.io.world_frame import WorldFrame
from flowpose.pose import PoseSequence
from tests.test_floor import FRAME, K, standing


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """World (Z up) to OpenCV camera: facing the world's +y turned by ``yaw`` about z, tilted ``pitch`` down,
    rolled ``roll`` clockwise as seen from behind (radians), composed from elementary turns, not from the module's
    formula."""
    level = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # a level camera facing +y
    cz, sz = math.cos(yaw), math.sin(yaw)
    turn = np.array([[cz, sz, 0], [-sz, cz, 0], [0, 0, 1]])  # the world turned by -yaw: the camera by +yaw
    cp, sp = math.cos(pitch), math.sin(pitch)
    down = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])  # about the camera's x: z goes down for pitch > 0
    cr, sr = math.cos(roll), math.sin(roll)
    clockwise = np.array([[cr, sr, 0], [-sr, cr, 0], [0, 0, 1]])  # about the camera's z
    return clockwise @ down @ level @ turn


def test_a_level_camera_and_one_looking_down() -> None:
    level = placed_frame(1.5, 0.0)
    np.testing.assert_allclose(level.R, FRAME.R, atol=1e-12)  # the floor tests' camera: 1.5 m up, level
    np.testing.assert_allclose(level.t, FRAME.t, atol=1e-12)
    down = placed_frame(2.0, 30.0)
    ahead = down.R @ np.array([0.0, 3.0, 0.0]) + down.t  # 3 m ahead of the camera's foot, on the floor
    assert ahead[2] > 0 and ahead[1] > 0  # in front, and below the image's middle
    assert ahead[1] / ahead[2] == pytest.approx(math.tan(math.atan2(2.0, 3.0) - math.radians(30.0)))


@pytest.mark.parametrize("yaw,pitch,roll", [(0.3, 0.35, 0.2), (-2.0, 0.1, -0.45), (1.0, -0.2, 0.0)])
def test_the_tilt_of_any_camera_is_read_back_and_gives_its_floor(yaw: float, pitch: float, roll: float) -> None:
    R = rotation(yaw, pitch, roll)
    centre = np.array([0.4, -1.2, 1.8])
    calibrated = WorldFrame(R=R, t=-R @ centre, camera="cam01")
    height, p, r = camera_tilt(calibrated)
    assert (height, p, r) == pytest.approx((1.8, math.degrees(pitch), math.degrees(roll)))
    given = placed_frame(height, p, r)
    np.testing.assert_allclose(given.R[:, 2], R[:, 2], atol=1e-12)  # the world's up, in the camera: all the floor reads
    np.testing.assert_allclose(given.R, rotation(0.0, pitch, roll), atol=1e-12)  # facing the world's +y, yaw 0
    assert np.linalg.det(given.R) == pytest.approx(1.0)
    assert camera_tilt(given) == pytest.approx((height, p, r))
    # The floor tests' body, standing in front of this camera (1.5 m under it: its ankles 0.07 m above the floor).
    body = standing()
    level = rotation(yaw, 0.0, 0.0)  # rows: the camera's right, down and forward in the world, without the tilt
    world = centre + body[..., :1] * level[0] + body[..., 2:] * level[2] - (body[..., 1:2] + 0.3) * np.array([0, 0, 1.0])
    camera = world @ R.T + calibrated.t
    poses = PoseSequence(joints3d=camera * 1.2, K=K)  # a fifth too large and too far
    assert floor_scale(poses, calibrated)[0] == pytest.approx(1 / 1.2)
    assert floor_scale(poses, given)[0] == pytest.approx(1 / 1.2)
    assert floor_scale(poses, given, 0.1) == pytest.approx(floor_scale(poses, calibrated, 0.1))


def test_a_person_is_stood_on_the_floor_of_a_given_place() -> None:
    truth = standing()  # 0.07 m above the floor of FRAME, a level camera 1.5 m up
    scale, before = floor_scale(PoseSequence(joints3d=truth * 0.9, K=K), placed_frame(1.5, 0.0))
    assert scale == pytest.approx(1 / 0.9) and before == pytest.approx(ANKLE_HEIGHT_M + 0.1 * 1.5 - 0.1 * ANKLE_HEIGHT_M)


@pytest.mark.parametrize("height,pitch,roll,message", [
    (0.0, 10.0, 0.0, "height above the floor"),
    (150.0, 10.0, 0.0, "height above the floor"),
    (float("nan"), 10.0, 0.0, "height above the floor"),
    (1.5, 85.0, 0.0, "pitch"),
    (1.5, 10.0, -120.0, "roll"),
])
def test_a_place_that_cannot_be_is_refused(height: float, pitch: float, roll: float, message: str) -> None:
    with pytest.raises(InputError, match=message):
        placed_frame(height, pitch, roll)
