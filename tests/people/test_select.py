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


def test_parse_person():
    assert parse_person("center") == "center" and parse_person("2") == 2
    with pytest.raises(InputError, match="--person must be one of"):
        parse_person("tallest")
