"""Tests of flowpose.people.track on a rendered two-person clip: the persons cross, and no track swaps them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.people.detections import Detection
from flowpose.people.select import track_keypoints
from flowpose.people.track import TrackConfig, long_enough, track_people
from flowpose.skeleton import H36M17
from tests.people.crossing import SIZE, T, detections_of, identities


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_crossing_persons_are_never_swapped(crossing, seed):
    detections = detections_of(crossing, seed=seed, drop=0.15)
    tracks = track_people(detections)
    assert len(tracks) >= 2
    for tr in tracks:
        assert len(identities(tr, detections)) == 1, (tr.id, [d.payload for d in tr.detections(detections)])
    # The two persons are each followed through most of the clip by one track.
    longest = {who: max((len(tr.frames) for tr in tracks if identities(tr, detections) == {who}), default=0)
               for who in "ab"}
    assert min(longest.values()) >= 0.6 * T, longest


def test_flow_motion_keeps_identities(crossing):
    frames = crossing[0]
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    flows = [dis.calc(grey[t], grey[t + 1], None) for t in range(T - 1)]

    def motion(t, points):
        x = np.clip(points.round().astype(int), 0, SIZE - 1)
        return points + flows[t][x[:, 1], x[:, 0]]

    detections = detections_of(crossing, seed=5, drop=0.1)
    tracks = track_people(detections, motion=motion)
    assert all(len(identities(tr, detections)) == 1 for tr in tracks)
    assert max(len(tr.frames) for tr in tracks) >= 0.8 * T


def test_config_is_checked():
    with pytest.raises(InputError, match=r"TrackConfig.max_gap is out of range: got 0"):
        TrackConfig(max_gap=0)


def test_source_ids_are_trusted_and_short_tracks_dropped():
    kp = np.array([[10.0, 10.0], [20.0, 40.0]], np.float32)
    conf = np.ones(2, np.float32)
    detections = [[Detection(kp + t, conf, source_id=7), Detection(kp + 50, conf, source_id=3)] for t in range(4)]
    detections.append([Detection(kp, conf, source_id=9)])  # one frame only: dropped
    tracks = track_people(detections)
    assert len(tracks) == 2 and all(len(tr.frames) == 4 for tr in tracks)
    with pytest.raises(InputError, match="two detections carry the same person id 7"):
        track_people([[Detection(kp, conf, source_id=7), Detection(kp, conf, source_id=7)]])


def test_a_video_shorter_than_min_length_keeps_a_person_seen_in_every_frame():
    kp = np.array([[10.0, 10.0], [20.0, 40.0]], np.float32)
    conf = np.ones(2, np.float32)
    two = [[Detection(kp + t, conf, source_id=7)] for t in range(2)]  # a 2-frame video: nobody was followed
    assert [len(tr.frames) for tr in track_people(two)] == [2]
    gap = [[Detection(kp, conf, source_id=7)], []]  # seen in one frame of two: still short
    assert track_people(gap) == []
    assert [len(tr.frames) for tr in track_people(two[:1])] == [1]


def _skeleton(rng: np.random.Generator) -> np.ndarray:
    """17 joints spread over a 60 x 120 px body (about 85 px in body size, the sqrt of its box area)."""
    return np.column_stack([rng.uniform(0, 60, 17), np.linspace(0, 120, 17)])


def _chimera_clip(seed: int, apart_px: float, noise_px: float) -> tuple[np.ndarray, list[list[Detection]]]:
    """30 frames of A and B walking right, B ``apart_px`` to A's right. In frames 10-19 the detector returns one
    body made of A's upper half and B's lower half, as MediaPipe does when one person leans over another.

    Returns:
        A's true keypoints (30, 17, 2) and the detections (payloads "a", "b", "chimera").
    """
    rng = np.random.default_rng(seed)
    shape = _skeleton(rng)
    conf = np.full(17, 0.9, np.float32)
    detections = []
    for t in range(30):
        a = shape + [100.0 + t, 50.0]
        b = a + [apart_px, 0.0]
        if 10 <= t < 20:
            chimera = np.concatenate([a[:9], b[9:]]) + rng.normal(0, noise_px, (17, 2))
            detections.append([Detection(chimera.astype(np.float32), conf, payload="chimera")])
        else:
            detections.append([Detection((p + rng.normal(0, noise_px, (17, 2))).astype(np.float32), conf, payload=w)
                               for p, w in ((a, "a"), (b, "b"))])
    truth = shape[None] + np.column_stack([100.0 + np.arange(30), np.full(30, 50.0)])[:, None]
    return truth, detections


def test_a_chimera_moves_only_the_joints_of_the_followed_person():
    truth, detections = _chimera_clip(0, apart_px=20.0, noise_px=0.5)  # 0.24 body sizes apart
    tracks = track_people(detections)
    followed = [tr for tr in tracks if "a" in identities(tr, detections)]
    assert len(followed) == 1 and identities(followed[0], detections) == {"a", "chimera"}
    kp, _ = track_keypoints(followed[0], detections, 30)
    assert np.isnan(kp[10:20, 9:]).all()  # B's joints of the chimera are dropped...
    np.testing.assert_allclose(kp[10:20, :9], truth[10:20, :9], atol=3.0)  # ...A's kept
    np.testing.assert_allclose(kp[20:], truth[20:], atol=3.0)  # and A is followed on, whole
    # The old single gate (agreement as loose as matching, no rivals) let B's joints move A's track.
    loose = track_people(detections, TrackConfig(agree_dist=0.3, reacquire_dist=0.3, rivals=False))
    kp_loose, _ = track_keypoints([tr for tr in loose if "a" in identities(tr, detections)][0], detections, 30)
    assert np.isfinite(kp_loose[10:20, 9:]).all()


def test_a_chimera_of_two_people_closer_than_the_gate_gives_each_their_own_joints():
    # B stands only 5 px (0.06 body sizes) from A, within the agreement gate: B's joints of the chimera lie
    # nearer B's track's prediction than A's.
    _, detections = _chimera_clip(2, apart_px=5.0, noise_px=0.3)
    for rivals in (True, False):
        tracks = track_people(detections, TrackConfig(rivals=rivals))
        followed = [tr for tr in tracks if "chimera" in identities(tr, detections)]
        assert len(followed) == 1 and identities(followed[0], detections) == {"a", "chimera"}
        kp, _ = track_keypoints(followed[0], detections, 30)
        assert np.isfinite(kp[10:20, :9]).all()
        # With rivals, B's joints are refused; the gate alone (5 px < 0.08 body sizes) takes them.
        assert np.isnan(kp[10:20, 9:]).all() if rivals else np.isfinite(kp[10:20, 9:]).all()


def test_a_joint_the_detector_moves_for_good_is_taken_back():
    # From frame 10 the detector puts joint 5 9 px (0.1 body sizes) off: refused once, then taken back by the
    # wider re-acquisition gate rather than refused for the rest of the video.
    rng = np.random.default_rng(1)
    shape = _skeleton(rng)
    conf = np.full(17, 0.9, np.float32)
    detections = []
    for t in range(25):
        kp = shape + [100.0 + t, 50.0] + rng.normal(0, 0.3, (17, 2))
        if t >= 10:
            kp[5] += [9.0, 0.0]
        detections.append([Detection(kp.astype(np.float32), conf)])
    (track,) = track_people(detections)
    assert not track.agree[10, 5] and track.agree[11:, 5].all()
    with pytest.raises(InputError, match="reacquire_dist"):
        TrackConfig(agree_dist=0.2, reacquire_dist=0.1)


def test_long_enough_keeps_the_order_and_numbers_the_kept_again():
    kp = np.array([[10.0, 10.0], [20.0, 40.0]], np.float32)
    conf = np.ones(2, np.float32)
    # Person 7 in every frame of 6, person 8 in frames 1-3 only, person 9 in frames 0-4.
    seen = {7: range(6), 8: range(1, 4), 9: range(5)}
    detections = [[Detection(kp + 50 * pid, conf * (1 + pid), source_id=pid) for pid, ts in seen.items() if t in ts]
                  for t in range(6)]
    tracks = track_people(detections)
    assert [len(tr.frames) for tr in tracks] == [5, 6, 3]  # by prominence: 9 (surest), 7, 8
    kept, left = long_enough(tracks, 4, 6)
    assert [(tr.id, len(tr.frames)) for tr in kept] == [(0, 5), (1, 6)] and [len(tr.frames) for tr in left] == [3]
    kept, left = long_enough(tracks, 10, 6)  # a video shorter than min_frames: found in every frame
    assert [(tr.id, len(tr.frames)) for tr in kept] == [(0, 6)] and [tr.id for tr in left] == [0, 2]


def _turning_clip(turned: range, T: int = 25) -> list[list[Detection]]:
    """T frames of one body facing the camera (H36M-17, its left joints 25 px right of its right ones, about 85 px
    in body size) walking right 2 px a frame, and a second body 150 px to its right; in the ``turned`` frames the
    detector gives the first body's left and right exchanged, as MediaPipe does when it takes a body for one that
    faces away."""
    rng = np.random.default_rng(3)
    side = np.array([25.0 if n.startswith("l_") else -25.0 if n.startswith("r_") else 0.0 for n in H36M17.joint_names])
    shape = np.column_stack([side, np.linspace(0.0, 120.0, 17)])
    conf = np.full(17, 0.9, np.float32)
    detections = []
    for t in range(T):
        body = shape + [100.0 + 2.0 * t, 50.0] + rng.normal(0, 0.5, (17, 2))
        seen = body[H36M17.flip_permutation] if t in turned else body
        other = shape + [250.0 + 2.0 * t, 50.0]
        detections.append([Detection(seen.astype(np.float32), conf, payload="a"),
                           Detection(other.astype(np.float32), conf, payload="b")])
    return detections


def test_a_person_the_detector_turns_round_stays_one_track_and_those_frames_are_not_trusted():
    detections = _turning_clip(turned=range(15, 25))
    tracks = track_people(detections, flip=H36M17.flip_permutation)
    (track,) = [tr for tr in tracks if "a" in identities(tr, detections)]
    assert identities(track, detections) == {"a"} and track.frames.tolist() == list(range(25))
    assert track.turned.tolist() == [t >= 15 for t in range(25)]
    assert track.agree.all()  # in the detector's own labelling every joint agrees
    seen = np.stack([d[0].keypoints for d in detections])
    kp, _ = track_keypoints(track, detections, 25, H36M17.flip_permutation)  # relabelled as the track labels them
    np.testing.assert_array_equal(kp, np.concatenate([seen[:15], seen[15:, H36M17.flip_permutation]]))
    kp, conf = track_keypoints(track, detections, 25)  # or, without the permutation, left out
    np.testing.assert_array_equal(kp[:15], seen[:15])
    assert np.isnan(kp[15:]).all() and (conf[15:] == 0).all()
    # The labelling most frames give is the track's: turned in 10 frames of 25, the first 10 are the odd ones.
    (track,) = [tr for tr in track_people(_turning_clip(turned=range(10, 25)), flip=H36M17.flip_permutation)
                if "a" in identities(tr, detections)]
    assert track.turned.tolist() == [t < 10 for t in range(25)]
    # Turned back and forth for a few frames: one track still, turned in those frames only.
    detections = _turning_clip(turned=range(8, 11))
    (track,) = [tr for tr in track_people(detections, flip=H36M17.flip_permutation) if "a" in identities(tr, detections)]
    assert track.frames.tolist() == list(range(25)) and np.flatnonzero(track.turned).tolist() == [8, 9, 10]
    # Without the layout's permutation the turned person was somebody new.
    detections = _turning_clip(turned=range(15, 25))
    unturned = [tr for tr in track_people(detections) if "a" in identities(tr, detections)]
    assert sorted(len(tr.frames) for tr in unturned) == [10, 15]


def test_a_turned_match_must_agree_as_closely_as_the_agreement_gate():
    # From frame 12 the detector gives the body's sides exchanged, 0.2 body sizes off besides (a mirrored upper half
    # with other points): within the matching gate, but too far to be the same body turned round.
    detections = _turning_clip(turned=range(12, 25))
    for t in range(12, 25):
        a = detections[t][0]
        detections[t][0] = Detection(a.keypoints + np.float32(12.0), a.conf, payload="a")
    tracks = track_people(detections, flip=H36M17.flip_permutation)
    assert not any(tr.turned.any() for tr in tracks)
    loose = track_people(detections, TrackConfig(turn_dist=0.3), flip=H36M17.flip_permutation)
    assert any(tr.turned.any() for tr in loose)
