"""Tests of flowpose.floor: a person scaled about the camera to stand on a calibrated floor."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.camera import project_np
from flowpose.errors import InputError
from flowpose.floor import (
    ANKLE_HEIGHT_M,
    floor_scale,
    in_the_air,
    lower_ankle_height,
    lower_ankle_heights,
    on_floor,
)
from flowpose.io.world_frame import ANKLES, WorldFrame
from flowpose.pose import PoseSequence
from tests.io.test_bvh_export import camera_poses

# A level camera 1.5 m up, looking along the world's +y: world z (up) is the camera's -y.
R = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
FRAME = WorldFrame(R=R, t=-R @ np.array([0.0, 0.0, 1.5]), camera="cam01")
K = np.array([[800.0, 0, 320], [0, 800, 240], [0, 0, 1]])


def standing(T: int = 8) -> np.ndarray:
    """(T, 17, 3) camera metres: the test body with its lower ankle 0.07 m above the floor in every frame."""
    joints = camera_poses(T)
    world_z = 1.5 - joints[..., 1]  # the height above the floor of each joint
    return joints + (world_z[:, ANKLES].min(1) - ANKLE_HEIGHT_M)[:, None, None] * np.array([0.0, 1.0, 0.0])


def test_a_person_placed_too_far_is_scaled_onto_the_floor() -> None:
    truth = standing()
    far = PoseSequence(joints3d=truth * 1.25, K=K)  # a quarter too large and too far: the same image
    scale, before = floor_scale(far, FRAME)
    assert scale == pytest.approx(0.8) and before < 0  # under the floor before
    placed = on_floor(far, scale)
    assert placed.world is None  # no frame given: the poses' own (none)
    np.testing.assert_array_equal(on_floor(far, scale, FRAME).world, np.hstack([FRAME.R, FRAME.t[:, None]]))
    np.testing.assert_allclose(placed.joints3d, truth, atol=1e-6)  # float32, as pose files hold them
    np.testing.assert_allclose(project_np(placed.joints3d, K), project_np(far.joints3d, K), atol=1e-4)
    # On a platform 0.2 m up, the person is farther than on the floor.
    assert floor_scale(far, FRAME, floor_z=0.2)[0] < scale
    assert lower_ankle_height(placed.joints3d, FRAME) == pytest.approx(ANKLE_HEIGHT_M)
    assert lower_ankle_height(far.joints3d, FRAME) == pytest.approx(before)


def test_each_frame_s_lower_ankle_height() -> None:
    joints = standing(4)
    joints[1, ANKLES[0], 1] -= 0.3  # one foot lifted 0.3 m: the other is the lower
    joints[2, list(ANKLES), 1] -= 0.4  # both 0.4 m up: in the air
    joints[3, list(ANKLES)] = np.nan  # no ankle
    heights = lower_ankle_heights(joints, FRAME)
    np.testing.assert_allclose(heights[:3], [ANKLE_HEIGHT_M, ANKLE_HEIGHT_M, ANKLE_HEIGHT_M + 0.4], atol=1e-9)
    assert np.isnan(heights[3])
    assert lower_ankle_height(joints, FRAME) == pytest.approx(ANKLE_HEIGHT_M)  # the median of the three with one
    np.testing.assert_array_equal(in_the_air(joints, FRAME, 0.0, 0.3), [False, False, True, False])  # 0.4 m up
    np.testing.assert_array_equal(in_the_air(joints, FRAME, 0.0, 0.5), [False, False, False, False])
    np.testing.assert_array_equal(in_the_air(joints, FRAME, -0.2, 0.3), [False, False, True, False])  # 0.6 m over z -0.2
    np.testing.assert_array_equal(in_the_air(joints, FRAME, -0.2, 0.5), [False, False, True, False])


def test_only_observed_ankles_count_and_the_median_frame_decides() -> None:
    joints = standing(9)
    conf = np.ones(joints.shape[:2])
    conf[2, ANKLES[0]] = 0.0
    joints[2, ANKLES[0], 1] += 3.0  # far below the floor, but not observed there
    joints[5, list(ANKLES), 1] -= 0.5  # one frame in the air: the median frame is on the ground
    assert floor_scale(PoseSequence(joints3d=joints, K=K, conf=conf), FRAME)[0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unobserved", r"an ankle is observed in 3 frames; placing the person on the floor needs 5 or more"),
        ("above", r"the person's ankles are not below camera cam01 \(it stands 1\.50 m up\)"),
        ("high floor", r"at z = 1\.2 m would scale them by 0\.16 \(outside 0\.5 to 2\)"),
        ("floor over the camera", r"the floor at z = 9 m is not below camera cam01 \(it stands 1\.50 m up\): the floor is "
                                  r"the height the person stands on, in metres"),
    ],
)
def test_what_cannot_stand_on_the_floor_is_refused(change: str, message: str) -> None:
    joints, conf, floor_z = standing(), np.ones((8, 17)), 0.0
    if change == "unobserved":
        conf[3:, list(ANKLES)] = 0.0
    elif change == "above":
        joints = joints - np.array([0.0, 3.0, 0.0])  # 3 m higher: above the camera
    else:
        floor_z = 1.2 if change == "high floor" else 9.0  # 9: a floor given in other units, or over the camera
    with pytest.raises(InputError, match=message):
        floor_scale(PoseSequence(joints3d=joints, K=K, conf=conf), FRAME, floor_z)


def test_a_world_whose_up_is_not_z_is_refused() -> None:
    lying = WorldFrame(R=np.eye(3), t=np.zeros(3), camera="board")  # the camera's own axes: its y is the body's
    with pytest.raises(InputError, match=r"the person's axis \(ankles to thorax\) is 90 degrees from the z of camera "
                                         r"board's world: the floor needs a world with Z up"):
        floor_scale(PoseSequence(joints3d=standing(), K=K), lying)
