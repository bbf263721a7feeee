"""Tests of flowpose.frame_runs: runs of frames, and how a line lists them."""

from __future__ import annotations

import numpy as np

from flowpose.frame_runs import frame_runs, runs_text


def test_frame_runs_are_inclusive_and_counted_from_the_first_frame() -> None:
    flags = np.array([1, 1, 0, 1, 0, 0, 1], bool)
    assert frame_runs(flags) == [(0, 1), (3, 3), (6, 6)]
    assert frame_runs(flags, first_frame=10) == [(10, 11), (13, 13), (16, 16)]
    assert frame_runs(np.zeros(4, bool)) == []


def test_runs_text_lists_runs_and_counts_the_rest() -> None:
    flags = np.array([1, 1, 0, 1, 0, 0, 1], bool)
    assert runs_text(flags) == "0-1, 3, 6"
    assert runs_text(flags, first_frame=100, max_runs=1) == "100-101, and 2 more runs"
    assert runs_text(np.zeros(3, bool)) == ""
