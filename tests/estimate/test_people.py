"""Tests of flowpose.estimate.people without MediaPipe: masking, flow motion, poses of a track's landmarks,
brief tracks left out."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.estimate.crops import detection_of
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.people import (
    ISOLATED_REFUSALS,
    SIDES,
    PeopleInVideo,
    _paint_over,
    estimate_poses,
    find_people,
    flow_motion,
)
from flowpose.joint_map import to_h36m17
from flowpose.people.track import track_people
from flowpose.skeleton import MEDIAPIPE33
from tests.estimate.fake_pose import BLUE, RED, FakePose, region, use_fake_mediapipe
from tests.estimate.test_crops import GRID
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


def test_frames_mediapipe_turned_the_person_round_in_are_relabelled_and_their_3d_interpolated() -> None:
    # In frames 3 and 4 of 7 MediaPipe gives the person's left and right exchanged (2D and 3D), and its 3D of them
    # is another body (a body turned round).
    T, size = 7, (240, 320)
    image, world = _synthetic_landmarks(1, size, 60.0, np.array([[0.0, 0.0, 4.0]]))
    detections, truth = [], []
    for t in range(T):
        moved = image[0].copy()
        moved[:, 0] += 4.0 * t / size[1]
        truth.append(detection_of((moved, world[0]), size).keypoints)
        turned = (moved[SIDES], -world[0][SIDES]) if t in (3, 4) else None
        detections.append([detection_of(turned or (moved, world[0]), size)])
    people = PeopleInVideo(detections, track_people(detections, flip=SIDES), size, 30.0)
    (track,) = people.tracks
    assert np.flatnonzero(track.turned).tolist() == [3, 4] and people.seen(track).all()
    poses = people.poses(track)
    expected = to_h36m17(np.stack(truth).astype(np.float64), MEDIAPIPE33.name, missing="nan")
    np.testing.assert_allclose(poses.joints2d, expected, atol=1e-3)  # every frame in the track's labels
    np.testing.assert_allclose(poses.conf[3:5], 0.5 * poses.conf[[2, 2]], atol=1e-6)  # as sure as a carried frame
    root_relative = poses.joints3d - poses.joints3d[:, :1]
    np.testing.assert_allclose(root_relative[3:5], root_relative[[2, 2]], atol=1e-4)  # not the turned body's


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


class RedThenBlue(FakePose):
    """33 joints over the red body, or, once it is painted over (or absent), over the blue one."""

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        body = region(image, RED) or region(image, BLUE)
        if body is None:
            return None
        x0, y0, x1, y1 = body
        return np.array([x0, y0]) + GRID * np.array([x1 - 1 - x0, y1 - 1 - y0]), np.linspace(0.3, 1.0, 33)


def red_and_brief_blue(T: int, blue_in: range, red: bool = True) -> list[np.ndarray]:
    """T frames: a red body walking right in every frame (unless ``red`` is False), a blue one standing in the
    frames ``blue_in``."""
    frames = []
    for t in range(T):
        frame = np.full((200, 240, 3), 128, np.uint8)
        if red:
            frame[20:120, 10 + 3 * t : 50 + 3 * t] = RED
        if t in blue_in:
            frame[60:180, 170:220] = BLUE
        frames.append(frame)
    return frames


def test_a_person_found_in_fewer_than_min_frames_is_left_out_and_told(monkeypatch) -> None:
    use_fake_mediapipe(monkeypatch, RedThenBlue)
    frames = red_and_brief_blue(12, range(4, 7))
    every = find_people(frames, EstimateConfig(people=2, min_frames=3))
    assert [len(tr.frames) for tr in every.tracks] == [12, 3] and every.left_out == ()
    assert every.left_out_note() is None
    people = find_people(frames, EstimateConfig(people=2))  # min_frames 10
    assert [(tr.id, len(tr.frames)) for tr in people.tracks] == [(0, 12)] and people.min_frames == 10
    assert [len(tr.frames) for tr in people.left_out] == [3]
    assert people.left_out_note() == ("left out 1 track found in fewer than 10 frames (3 frames): often MediaPipe "
                                      "fitting one body across two people; --min-frames 3 keeps it")
    # In a video shorter than min_frames, a person must be found in every frame.
    short = find_people(frames[3:8], EstimateConfig(people=2))
    assert [len(tr.frames) for tr in short.tracks] == [5] and [len(tr.frames) for tr in short.left_out] == [3]
    assert short.min_frames == 5
    # The id of a track left out is refused with the option that keeps it.
    with pytest.raises(InputError, match=r"^--person 1: the video \(people.png of flowpose estimate --all-people shows "
                                         r"who is which\), without the 1 track found in fewer than 10 frames "
                                         r"\(--min-frames 3 keeps it\), has tracks 0 to 0$"):
        estimate_poses(frames, EstimateConfig(people=2), person=1)


def test_nobody_followed_long_enough_names_the_option(monkeypatch) -> None:
    use_fake_mediapipe(monkeypatch, RedThenBlue)
    frames = red_and_brief_blue(12, range(4, 8), red=False)
    with pytest.raises(InputError, match=r"^clip.mp4: MediaPipe followed nobody through 10 or more of its 12 frames "
                                         r"\(the longest track was found in 4; --min-frames 4 keeps it\)$"):
        estimate_poses(frames, EstimateConfig(people=2), source="clip.mp4")
    nobody = find_people(red_and_brief_blue(12, range(0), red=False), EstimateConfig(people=2))
    assert nobody.nobody_found("clip.mp4") == ("clip.mp4: MediaPipe found no person followed through any of its 12 "
                                               "frames (try --track or a lower --min-confidence)")


def test_min_frames_below_one_is_refused() -> None:
    with pytest.raises(InputError, match="min_frames must be >= 1, got 0"):
        EstimateConfig(min_frames=0)


def test_video_mode_with_several_people_is_told_and_not_advised(monkeypatch) -> None:
    use_fake_mediapipe(monkeypatch, RedThenBlue)
    frames = red_and_brief_blue(12, range(12))  # two people in every frame
    single = find_people(frames, EstimateConfig(people=2))
    assert len(single.tracks) == 2 and not single.video_mode and single.video_mode_note() is None
    assert single.retry_hint() == "try a lower --min-confidence"  # --track would follow one of the two
    tracked = find_people(frames, EstimateConfig(people=2, tracking=True))
    assert len(tracked.tracks) == 2 and tracked.video_mode
    assert tracked.video_mode_note().startswith("--track: MediaPipe's video mode follows only the first person")
    with pytest.warns(UserWarning, match=r"^clip.mp4: --track: MediaPipe's video mode follows only the first person "
                                         r".*\(for several people in view, leave --track off\)$"):
        estimate_poses(frames, EstimateConfig(people=2, tracking=True), source="clip.mp4")
    alone = find_people(red_and_brief_blue(12, range(0)), EstimateConfig(people=2, tracking=True))
    assert len(alone.tracks) == 1 and alone.video_mode_note() is None
    assert alone.retry_hint() == "try a lower --min-confidence"  # --track is on already
    nobody = find_people(red_and_brief_blue(12, range(0), red=False), EstimateConfig(people=2, tracking=True))
    assert nobody.nobody_found("clip.mp4") == ("clip.mp4: MediaPipe found no person followed through any of its 12 "
                                               "frames (try a lower --min-confidence)")
