"""Tests of flowpose.io.playback: frames of a variable frame rate written to play at their own times."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.playback import MAX_TICKS_PER_FRAME, playback_schedule, repeat_frames


def test_evenly_spaced_frames_are_written_once_each_at_their_rate() -> None:
    rate, counts = playback_schedule(np.arange(6) / 25.0, 30.0)
    assert rate == 25.0 and counts.tolist() == [1] * 6
    rate, counts = playback_schedule(None, 30.0)
    assert rate == 30.0 and len(counts) == 0
    assert playback_schedule(np.array([0.5]), 12.0)[0] == 12.0  # one frame: no interval to take a rate from


def test_each_frame_starts_at_its_own_time() -> None:
    times = np.array([0, 1, 2, 3, 4, 6, 8, 10]) / 30.0 + 7.0  # 4 frames at 30 fps, then 4 at 15; a late start
    rate, counts = playback_schedule(times, 30.0)
    assert rate == 30.0 and counts.tolist() == [1, 1, 1, 1, 2, 2, 2, 1]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    np.testing.assert_allclose(starts / rate, times - times[0], atol=1e-9)
    phone = np.cumsum(np.r_[0.0, np.random.default_rng(0).choice([1 / 30, 1 / 30, 1 / 15, 0.1], 200)])  # drops
    rate, counts = playback_schedule(phone, 29.0)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    assert rate == 30.0 and np.abs(starts / rate - (phone - phone[0])).max() <= 0.5 / rate + 1e-9


def test_a_very_short_interval_caps_the_rate_and_drops_no_frame() -> None:
    times = np.array([0.0, 0.001, 0.1, 0.2, 0.3])  # a 1 ms interval among 100 ms ones
    rate, counts = playback_schedule(times, 10.0)
    assert rate == pytest.approx(MAX_TICKS_PER_FRAME * 4 / 0.3, abs=1e-3)  # not 1000 fps
    assert counts.min() >= 1 and abs(counts[:-1].sum() / rate - 0.3) <= 1 / rate  # the last frame at its time


def test_bad_times_and_rates_are_refused() -> None:
    with pytest.raises(InputError, match="increase"):
        playback_schedule(np.array([0.0, 0.1, 0.1]), 30.0)
    with pytest.raises(InputError, match="positive"):
        playback_schedule(None, 0.0)


def test_repeat_frames_repeats_each_frame_and_checks_the_count() -> None:
    frames = [np.full((2, 2, 3), v, np.uint8) for v in range(3)]
    out = [int(f[0, 0, 0]) for f in repeat_frames(iter(frames), np.array([1, 3, 2]), "o.mp4")]
    assert out == [0, 1, 1, 1, 2, 2]
    assert len(list(repeat_frames(frames, None, "o.mp4"))) == 3
    with pytest.raises(InputError, match=r"o\.mp4: 3 frames for 4 frame times"):
        list(repeat_frames(frames, np.ones(4, np.int64), "o.mp4"))
    with pytest.raises(InputError, match=r"o\.mp4: more frames than the 2 frame times"):
        list(repeat_frames(frames, np.ones(2, np.int64), "o.mp4"))
