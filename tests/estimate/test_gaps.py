"""Tests for flowpose.estimate.gaps: a followed person looked for again where they were missed."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.estimate.crops import detection_of, landmarks_of
from flowpose.estimate.gaps import GAP_REACH, _expected_boxes, search_gaps
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.people.track import Track
from tests.estimate.fake_pose import use_fake_mediapipe
from tests.estimate.test_crops import RED, RedBody


def _track(frames: list[int], boxes: list[tuple[float, float, float, float]]) -> Track:
    state = np.array([[[x0, y0], [x1, y1]] for x0, y0, x1, y1 in boxes], np.float64)
    n = len(frames)
    return Track(0, np.array(frames), np.zeros(n, int), 1.0, np.ones((n, 2), bool), state, np.zeros(n, bool))


def test_expected_boxes_interpolate_between_sightings_and_hold_beyond_the_ends() -> None:
    track = _track([3, 7], [(0.0, 0.0, 10.0, 10.0), (40.0, 0.0, 50.0, 20.0)])
    boxes = _expected_boxes(track, num_frames=20)
    assert sorted(boxes) == [t for t in range(0, 7 + GAP_REACH + 1) if t not in (3, 7)]
    assert boxes[5] == pytest.approx((20.0, 0.0, 30.0, 15.0))
    assert boxes[0] == pytest.approx((0.0, 0.0, 10.0, 10.0))
    assert boxes[7 + GAP_REACH] == pytest.approx((40.0, 0.0, 50.0, 20.0))


def _frames(T: int) -> list[np.ndarray]:
    frames = []
    for t in range(T):
        frame = np.full((200, 240, 3), 128, np.uint8)
        frame[50:150, 60 + 10 * t : 100 + 10 * t] = RED
        frames.append(frame)
    return frames


def test_search_gaps_adds_the_missed_person_once(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_mediapipe(monkeypatch, RedBody)
    frames = _frames(5)
    detections = [[] for _ in frames]
    for t in (0, 4):  # the full-frame search found the person in the first and last frame only
        detections[t].append(detection_of(landmarks_of(RedBody().process(frames[t])), frames[t].shape[:2]))
    track = _track([0, 4], [detections[t][0].box(0.0) for t in (0, 4)])
    assert search_gaps(frames, detections, [track], EstimateConfig()) == 3
    assert [len(d) for d in detections] == [1, 1, 1, 1, 1]
    found = detections[2][0].box(0.0)
    assert found == pytest.approx((80.0, 50.0, 119.0, 149.0), abs=1e-3)  # where the person is in frame 2
    assert search_gaps(frames, detections, [track], EstimateConfig()) == 0  # the finds overlap those there
