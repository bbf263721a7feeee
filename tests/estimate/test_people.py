"""Tests of flowpose.estimate.people without MediaPipe: masking, flow motion, poses of a track's landmarks."""

from __future__ import annotations

import numpy as np

from flowpose.estimate.crops import detection_of
from flowpose.estimate.people import ISOLATED_REFUSALS, PeopleInVideo, _paint_over, flow_motion
from flowpose.joint_map import to_h36m17
from flowpose.people.track import track_people
from flowpose.skeleton import MEDIAPIPE33
from tests.estimate.test_mediapipe import _synthetic_landmarks


def test_paint_over_covers_the_padded_box_only() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[:, 50:] = 200
    out = _paint_over(frame, (20.0, 20.0, 40.0, 40.0))
    assert (out[25, 25] == frame.reshape(-1, 3).mean(0).astype(np.uint8)).all()
    assert (out[10, 10] == 0).all() and (out[25, 80] == 200).all()
    assert (frame[25, 25] == 0).all()  # the input is not changed
    # The fill is the mean colour per channel, truncated as NumPy's mean would be (integer means included).
    rng = np.random.default_rng(2)
    for frame in (rng.integers(0, 256, (37, 53, 3), dtype=np.uint8), np.full((9, 7, 3), (0, 7, 255), np.uint8)):
        expected = frame.reshape(-1, 3).mean(0).astype(np.uint8)
        np.testing.assert_array_equal(_paint_over(frame, (1.0, 1.0, 3.0, 3.0))[2, 2], expected)


def test_flow_motion_follows_a_shifting_texture() -> None:
    rng = np.random.default_rng(0)
    texture = rng.uniform(0, 255, (160, 200)).astype(np.uint8)
    texture = np.repeat(np.repeat(texture, 1, 0), 1, 1)
    frames = [np.stack([np.roll(texture, 8 * t, axis=1)] * 3, -1)[:, :160] for t in range(2)]
    moved = flow_motion(frames)(0, np.array([[80.0, 80.0]]))
    assert abs(moved[0, 0] - 88.0) < 3.0 and abs(moved[0, 1] - 80.0) < 3.0
    back = flow_motion(frames, backward=True)(0, np.array([[88.0, 80.0]]))  # frame 1 -> frame 0
    assert abs(back[0, 0] - 80.0) < 3.0 and abs(back[0, 1] - 80.0) < 3.0


def test_poses_of_a_track() -> None:
    T, size = 4, (480, 640)
    image, world = _synthetic_landmarks(1, size, 60.0, np.array([[0.0, 0.0, 4.0]]))
    detections = [[detection_of((image[0], world[0]), size)] for _ in range(T)]  # a person standing still
    detections[2] = []  # missed once
    people = PeopleInVideo(detections, track_people(detections), size, 30.0)
    poses = people.poses(people.tracks[0])
    assert poses.joints3d.shape == (T, 17, 3) and (poses.conf[2] == 0).all() and (poses.conf[0] > 0).any()


def test_a_missed_frame_is_carried_along_the_flow() -> None:
    T, size = 5, (240, 320)
    image, world = _synthetic_landmarks(1, size, 60.0, np.array([[0.0, 0.0, 4.0]]))
    rng = np.random.default_rng(0)
    texture = rng.uniform(0, 255, (size[0], size[1] + 40)).astype(np.uint8)
    frames = [np.stack([texture[:, 40 - 4 * t : 40 - 4 * t + size[1]]] * 3, -1) for t in range(T)]  # 4 px/frame
    detections = []
    for t in range(T):  # the person moves with the texture, 4 px per frame to the right
        moved = image[0].copy()
        moved[:, 0] += 4.0 * t / size[1]
        detections.append([detection_of((moved, world[0]), size)])
    truth = detections[2][0].keypoints
    detections[2] = []  # missed
    people = PeopleInVideo(detections, track_people(detections), size, 30.0)
    track = people.tracks[0]
    assert people.carried(track, 10).tolist() == [False, False, True, False, False]
    assert not people.carried(track, 0).any()
    poses = people.poses(track, frames=frames, carry_frames=10)
    observed = poses.conf[1] > 0
    assert (poses.conf[2][observed] > 0).all()
    assert np.allclose(poses.conf[2][observed], 0.5 * poses.conf[1][observed], atol=1e-6)
    expected = to_h36m17(truth[None].astype(np.float64), MEDIAPIPE33.name, missing="nan")[0]
    err = np.linalg.norm(poses.joints2d[2] - expected, axis=-1)[observed]
    assert np.nanmax(err) < 1.5  # along the flow, not only between the neighbours
    assert np.isfinite(poses.joints3d[2]).all(-1)[observed].all()
    assert (people.poses(track).conf[2] == 0).all()  # without frames: unobserved, as before


def _people_with_landmarks_moved(landmarks: list[int]) -> PeopleInVideo:
    """A person standing still for 4 frames whose ``landmarks`` land 160 px away, on somebody else, in frame 2."""
    T, size = 4, (480, 640)
    image, world = _synthetic_landmarks(1, size, 60.0, np.array([[0.0, 0.0, 4.0]]))
    detections = []
    for t in range(T):
        moved = image[0].copy()
        if t == 2:
            moved[landmarks, :2] += 0.25
        detections.append([detection_of((moved, world[0]), size)])
    return PeopleInVideo(detections, track_people(detections), size, 30.0)


def test_an_isolated_refusal_loses_its_2d_and_keeps_its_3d() -> None:
    people = _people_with_landmarks_moved([24])  # the right hip
    poses = people.poses(people.tracks[0])
    assert not people.tracks[0].agree[2][24] and people.tracks[0].agree[2][23]
    assert np.isnan(poses.joints2d[2, [0, 1]]).all()  # the pelvis is the hips' mean; H36M 1 is the right hip
    assert (np.isfinite(poses.joints3d[2]) == np.isfinite(poses.joints3d[1])).all()  # the 3D skeleton stays
    # Two H36M joints refused (at most ISOLATED_REFUSALS): they keep the detection's confidence for the 3D term.
    assert np.allclose(poses.conf[2, [0, 1]], poses.conf[1, [0, 1]]) and (poses.conf[2, [0, 1]] > 0).all()
    assert poses.conf[2, 4] > 0 and np.isfinite(poses.joints2d[2, 4]).all()  # the left hip (H36M 4) agreed
    assert np.isfinite(poses.joints2d[1, 0]).all()


def test_a_chimeras_refused_joints_lose_2d_and_3d() -> None:
    legs = list(range(23, 33))  # hips, knees, ankles, heels and feet on somebody else: 7 H36M joints
    people = _people_with_landmarks_moved(legs)
    poses = people.poses(people.tracks[0])
    assert len(people.tracks) == 1 and not people.tracks[0].agree[2][legs].any()
    lower = [0, 1, 2, 3, 4, 5, 6]  # pelvis, right and left hip, knee, ankle
    assert 7 > ISOLATED_REFUSALS
    assert (poses.conf[2, lower] == 0).all() and np.isnan(poses.joints2d[2, lower]).all()
    assert (poses.conf[2, 8:] > 0).any() and (poses.conf[1, lower] > 0).all()
