"""Tests of flowpose.estimate.people without MediaPipe: masking, flow motion, poses of a track's landmarks."""

from __future__ import annotations

import numpy as np

from flowpose.estimate.people import PeopleInVideo, _detection, _paint_over, flow_motion
from flowpose.people.track import track_people
from tests.estimate.test_mediapipe import _synthetic_landmarks


def test_paint_over_covers_the_padded_box_only() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[:, 50:] = 200
    out = _paint_over(frame, (20.0, 20.0, 40.0, 40.0))
    assert (out[25, 25] == frame.reshape(-1, 3).mean(0).astype(np.uint8)).all()
    assert (out[10, 10] == 0).all() and (out[25, 80] == 200).all()
    assert (frame[25, 25] == 0).all()  # the input is not changed


def test_flow_motion_follows_a_shifting_texture() -> None:
    rng = np.random.default_rng(0)
    texture = rng.uniform(0, 255, (160, 200)).astype(np.uint8)
    texture = np.repeat(np.repeat(texture, 1, 0), 1, 1)
    frames = [np.stack([np.roll(texture, 8 * t, axis=1)] * 3, -1)[:, :160] for t in range(2)]
    moved = flow_motion(frames)(0, np.array([[80.0, 80.0]]))
    assert abs(moved[0, 0] - 88.0) < 3.0 and abs(moved[0, 1] - 80.0) < 3.0


def test_poses_of_a_track() -> None:
    T, size = 4, (480, 640)
    image, world = _synthetic_landmarks(1, size, 60.0, np.array([[0.0, 0.0, 4.0]]))
    detections = [[_detection((image[0], world[0]), size)] for _ in range(T)]  # a person standing still
    detections[2] = []  # missed once
    people = PeopleInVideo(detections, track_people(detections), size, 30.0)
    poses = people.poses(people.tracks[0])
    assert poses.joints3d.shape == (T, 17, 3) and (poses.conf[2] == 0).all() and (poses.conf[0] > 0).any()
