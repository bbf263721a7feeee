"""Tests for flowpose.people.select: which track is the person, and their keypoints."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.people.select import choose_track, parse_person, track_keypoints
from flowpose.people.track import track_people
from tests.people.crossing import SIZE, T, detections_of, identities


def test_prominence_choice_and_keypoints(crossing):
    detections = detections_of(crossing, seed=3, drop=0.0)
    tracks = track_people(detections)
    assert [tr.id for tr in tracks] == list(range(len(tracks)))
    assert identities(choose_track(tracks, detections, "prominent", (SIZE, SIZE)), detections) == {"a"}  # nearer
    assert identities(choose_track(tracks, detections, "largest", (SIZE, SIZE)), detections) == {"a"}
    assert choose_track(tracks, detections, 1, (SIZE, SIZE)) is tracks[1]
    kp, conf = track_keypoints(tracks[0], detections, T)
    assert kp.shape == (T, 17, 2) and conf.shape == (T, 17)
    np.testing.assert_allclose(kp[0], detections[0][tracks[0].members[0]].keypoints)
    with pytest.raises(InputError, match=r"--person 7: the video has tracks 0 to 1"):
        choose_track(tracks, detections, 7, (SIZE, SIZE))
    with pytest.raises(InputError, match="no person was followed"):
        choose_track([], detections, "prominent", (SIZE, SIZE))


def test_center_and_largest_choose_by_the_mean_box():
    # Two people standing still: a small one at the image centre, a large one near the left edge.
    from flowpose.people.detections import Detection
    from flowpose.synth.body import T_POSE

    shape = T_POSE[:, :2] * np.array([1.0, -1.0]) - T_POSE[:, :2].mean(0) * np.array([1.0, -1.0])  # y down, centred
    rng = np.random.default_rng(0)
    people = {"small, centred": shape * 20.0 + (SIZE - 1) / 2, "large, at the edge": shape * 40.0 + [25.0, 48.0]}
    detections = [[Detection((kp + rng.normal(0, 0.5, kp.shape)).astype(np.float32), np.full(17, 0.9, np.float32),
                             payload=who) for who, kp in people.items()] for _ in range(T)]
    tracks = track_people(detections)
    assert len(tracks) == 2
    assert identities(choose_track(tracks, detections, "center", (SIZE, SIZE)), detections) == {"small, centred"}
    assert identities(choose_track(tracks, detections, "largest", (SIZE, SIZE)), detections) == {"large, at the edge"}
    with pytest.raises(InputError, match="--person must be one of"):
        choose_track(tracks, detections, "tallest", (SIZE, SIZE))


def test_parse_person():
    assert parse_person("center") == "center" and parse_person("2") == 2
    with pytest.raises(InputError, match="--person must be one of"):
        parse_person("tallest")
