"""Tests of flowpose.estimate.separate, with a stand-in for MediaPipe that fits one body to coloured pixels."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.estimate import separate
from flowpose.estimate.crops import detection_of
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.separate import overlapping, paint_hull, separate_people, vetoed
from flowpose.people.track import track_people
from tests.estimate.fake_pose import BLUE, RED, FakePose, region, use_fake_mediapipe

R_SHOULDER = 12
GRID = np.stack(np.meshgrid(np.linspace(0.0, 1.0, 6), np.linspace(0.0, 1.0, 6)), -1).reshape(-1, 2)[:33]


class _FakePose(FakePose):
    """One body per image: 33 joints spread over the red pixels, or over the blue ones where there is no red;
    the red body's right shoulder lands on the blue pixels when there are any (a detector's chimera)."""

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        red, blue = region(image, RED), region(image, BLUE)
        body = red or blue
        if body is None:
            return None
        x0, y0, x1, y1 = body
        points = np.array([x0, y0]) + GRID * np.array([x1 - x0, y1 - y0])
        if red is not None and blue is not None:
            points[R_SHOULDER] = [(blue[0] + blue[2]) / 2, (blue[1] + blue[3]) / 2]
        return points, np.full(33, 0.9)


def _two_people(T: int = 3) -> list[np.ndarray]:
    frames = []
    for _ in range(T):
        frame = np.full((200, 240, 3), 128, np.uint8)
        frame[40:180, 40:130] = RED  # the person followed
        frame[30:170, 120:200] = BLUE  # another, overlapping them
        frames.append(frame)
    return frames


def _detect(image: np.ndarray) -> object:
    from flowpose.estimate.crops import landmarks_of

    return detection_of(landmarks_of(_FakePose().process(image)), image.shape[:2])


@pytest.fixture
def fake_mediapipe(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_mediapipe(monkeypatch, _FakePose)


def test_overlapping_and_paint_hull() -> None:
    assert overlapping((0, 0, 10, 10), (5, 5, 15, 15)) and not overlapping((0, 0, 10, 10), (20, 0, 30, 10))
    image = np.zeros((50, 50, 3), np.uint8)
    out = paint_hull(image, np.array([[10.0, 10.0], [30.0, 10.0], [20.0, 30.0]]), 2.0, np.array([9, 9, 9]))
    assert (out[15, 20] == 9).all() and (out[45, 45] == 0).all() and (out[8, 20] == 9).all()  # widened by 2 px
    assert (image == 0).all()  # the input is not changed


def test_vetoed_joints_lose_confidence_and_visibility_only() -> None:
    det = _detect(_two_people(1)[0])
    veto = np.zeros(33, bool)
    veto[R_SHOULDER] = True
    out = vetoed(det, veto)
    assert out.conf[R_SHOULDER] == 0 and out.payload[0][R_SHOULDER, 3] == 0
    assert np.array_equal(out.keypoints, det.keypoints) and (out.conf[~veto] == det.conf[~veto]).all()
    assert det.conf[R_SHOULDER] > 0  # the original is not changed


def test_a_joint_on_the_other_person_is_refused(fake_mediapipe: None) -> None:
    frames = _two_people()
    blue_only = [np.where((f == RED).all(-1, keepdims=True), 128, f).astype(np.uint8) for f in frames]
    # Full-frame detections: the red person, with the right shoulder on the blue one; the blue person alone.
    detections = [[_detect(f), _detect(b)] for f, b in zip(frames, blue_only)]
    assert (np.abs(detections[0][0].keypoints[R_SHOULDER] - [160, 100]) < 2).all()  # on the blue pixels
    tracks = track_people(detections)
    refused = separate_people(frames, detections, tracks, EstimateConfig(), (detections, tracks))
    red = next(t for t in tracks if t.members[0] == 0)
    for t, member in zip(red.frames, red.members):
        conf = detections[t][member].conf
        assert conf[R_SHOULDER] == 0 and (np.delete(conf, R_SHOULDER) > 0).all()
    assert refused >= len(frames)


@pytest.mark.parametrize("apart", [False, True])
def test_find_people_separates_on_request(monkeypatch: pytest.MonkeyPatch, apart: bool) -> None:
    from flowpose.estimate import people

    use_fake_mediapipe(monkeypatch, _FakePose)
    calls = []

    def spy(frames, detections, tracks, config, outlines):  # noqa: ANN001, ANN202
        calls.append((len(detections), len(tracks), len(outlines[0])))
        return 0

    monkeypatch.setattr(separate, "separate_people", spy)
    frames = _two_people(4)
    found = people.find_people(frames, EstimateConfig(people=2, separate=apart))
    assert found.tracks and calls == ([(4, len(found.tracks), 4)] if apart else [])
