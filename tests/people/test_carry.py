"""Tests of flowpose.people.carry."""

from __future__ import annotations

import numpy as np

from flowpose.people.carry import carry_keypoints, holes, interpolate_holes

V = np.array([3.0, -1.0])  # px per frame


def _forward(t: int, points: np.ndarray) -> np.ndarray:
    return points + V * (1 + 0.1 * t)  # a motion that changes with time: the chain must follow it


def _backward(t: int, points: np.ndarray) -> np.ndarray:
    return points - V * (1 + 0.1 * t)


def _truth(T: int) -> np.ndarray:
    steps = np.array([V * (1 + 0.1 * t) for t in range(T - 1)])
    start = np.array([[10.0, 20.0], [30.0, 40.0]])
    return start[None] + np.concatenate([np.zeros((1, 2)), np.cumsum(steps, 0)])[:, None]


def test_holes_are_filled_along_the_motion_from_both_sides() -> None:
    T = 10
    truth = _truth(T)
    seen = np.ones(T, bool)
    seen[[0, 4, 5, 6]] = False
    kp = truth.copy()
    kp[~seen] = -999.0  # never read
    out, carried = carry_keypoints(kp, seen, _forward, _backward, max_gap=3)
    np.testing.assert_allclose(out, truth, atol=1e-9)
    assert carried.tolist() == (~seen).tolist()


def test_long_holes_and_nan_joints_stay_unobserved() -> None:
    T = 8
    truth = _truth(T)
    seen = np.array([1, 0, 0, 0, 1, 1, 1, 0], bool)
    kp = truth.copy()
    out, carried = carry_keypoints(kp, seen, _forward, _backward, max_gap=2)
    assert carried.tolist() == [False] * 7 + [True]  # the 3-frame hole is too long
    np.testing.assert_allclose(out[7, 0], truth[7, 0])
    np.testing.assert_allclose(out[7, 1], truth[7, 1])
    kp[6, 1] = np.nan  # joint 1 unseen in the frame before the last hole
    out, _ = carry_keypoints(kp, seen, _forward, _backward, max_gap=2)
    assert np.isnan(out[7, 1]).all()  # nothing to carry it from


def test_interpolate_holes() -> None:
    values = np.array([[0.0], [9.0], [9.0], [3.0], [9.0]])
    seen = np.array([1, 0, 0, 1, 0], bool)
    out = interpolate_holes(values, seen, ~seen)
    np.testing.assert_allclose(out[:, 0], [0.0, 1.0, 2.0, 3.0, 3.0])
    assert holes(seen, 1) == [(4, 4)] and holes(np.zeros(3, bool), 5) == []
