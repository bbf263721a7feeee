"""Tests of flowpose.io.world_frame: camera-frame poses in a calibrated world, Y up."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError
from flowpose.io.rig_files import RigCamera
from flowpose.io.world_frame import Z_UP_TO_Y_UP, WorldFrame, lean_deg, world_frame, y_up

K = np.array([[1000.0, 0, 500], [0, 1000, 500], [0, 0, 1]])


def camera(R: np.ndarray | None, t: np.ndarray | None) -> RigCamera:
    return RigCamera("cam01", ("cam01",), K, None, None, R, t)


def test_points_go_back_to_the_world_turned_y_up() -> None:
    rng = np.random.default_rng(0)
    R = Rotation.from_rotvec([0.4, -1.1, 0.3]).as_matrix()
    t = np.array([0.2, 1.4, 3.5])
    world = rng.uniform(-1.0, 1.0, (4, 17, 3))
    in_camera = world @ R.T + t
    frame = world_frame(camera(R, t), "Calib.toml")
    np.testing.assert_allclose(frame.y_up(in_camera), world @ Z_UP_TO_Y_UP.T, atol=1e-12)
    np.testing.assert_allclose(y_up(in_camera, frame), frame.y_up(in_camera))
    # Pose2Sim's turn: new x, y, z = old y, z, x; up (world z) becomes Y, and it is a rotation, not a mirror.
    np.testing.assert_array_equal(Z_UP_TO_Y_UP @ np.array([1.0, 2.0, 3.0]), [2.0, 3.0, 1.0])
    assert np.linalg.det(Z_UP_TO_Y_UP) == 1.0
    nan = in_camera.copy()
    nan[1, 3] = np.nan
    assert np.isnan(frame.y_up(nan)[1, 3]).all() and np.isfinite(frame.y_up(nan)[0]).all()
    # The camera's centre (x_cam = 0) in the world: its z is the camera's height.
    centre = -R.T @ t
    assert frame.camera_height == pytest.approx(centre[2])
    np.testing.assert_allclose(R @ centre + t, 0.0, atol=1e-12)


def test_a_level_camera_s_frame_is_the_world_s_up_to_a_turn_about_the_vertical() -> None:
    # A level camera looking along the world's +y, 1.5 m up: its frame turned Y up has the world's up.
    R = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # world x -> camera x, world z (up) -> camera -y
    t = -R @ np.array([0.0, 0.0, 1.5])
    head = R @ np.array([0.3, 4.0, 1.7]) + t  # a head 1.7 m up, 4 m ahead
    assert y_up(head)[1] == pytest.approx(0.2)  # the camera's frame: 0.2 m above the camera
    assert world_frame(camera(R, t), "c").y_up(head)[1] == pytest.approx(1.7)  # the world: 1.7 m above the floor


@pytest.mark.parametrize(
    ("R", "t", "message"),
    [
        (None, None, r"Calib\.toml: camera cam01: no rotation and translation"),
        (np.diag([1.0, 1.0, -1.0]), np.zeros(3), r"its rotation is not a rotation"),  # a mirror
        (2 * np.eye(3), np.zeros(3), r"its rotation is not a rotation"),
        (np.eye(3), np.array([1500.0, -2000.0, 1800.0]), r"camera cam01: 3080\.58 from the world's origin: expected "
                                                          r"metres"),
    ],
)
def test_what_is_refused(R: np.ndarray | None, t: np.ndarray | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        world_frame(camera(R, t), "Calib.toml")


def test_a_person_s_lean_from_the_world_s_z() -> None:
    R = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # level: the world's z is the camera's -y
    joints = np.zeros((3, 17, 3))
    joints[:, 8] = [0.0, -1.0, 0.0]  # the thorax 1 m above the ankles (at the origin)
    assert lean_deg(joints, WorldFrame(R, np.zeros(3), "c")) == pytest.approx(0.0, abs=1e-6)
    tilted = Rotation.from_rotvec([np.radians(30.0), 0.0, 0.0]).as_matrix() @ R  # the camera pitched 30 degrees
    assert lean_deg(joints, WorldFrame(tilted, np.zeros(3), "c")) == pytest.approx(30.0)
    assert lean_deg(np.full((3, 17, 3), np.nan), WorldFrame(R, np.zeros(3), "c")) is None
