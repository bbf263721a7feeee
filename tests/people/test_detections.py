"""Tests for flowpose.people.detections: a detection's checks, its box, and the box arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import ShapeError
from flowpose.people.detections import (
    Detection,
    box_area,
    box_centre,
    box_intersection,
    box_iou,
    keypoint_box,
)


def test_a_detection_checks_its_shapes() -> None:
    with pytest.raises(ShapeError, match=r"keypoints must have shape \(J, 2\)"):
        Detection(np.zeros((17, 3), np.float32), np.ones(17, np.float32))
    with pytest.raises(ShapeError, match=r"conf must have shape \(17,\)"):
        Detection(np.zeros((17, 2), np.float32), np.ones(16, np.float32))


def test_box_and_score_use_the_visible_keypoints_only() -> None:
    kp = np.array([[10.0, 20.0], [30.0, 60.0], [np.nan, np.nan], [500.0, 500.0]], np.float32)
    det = Detection(kp, np.array([0.9, 0.5, 0.9, 0.1], np.float32))
    np.testing.assert_array_equal(det.visible(0.3), [True, True, False, False])
    assert det.box(0.3) == (10.0, 20.0, 30.0, 60.0)
    assert det.score(0.3) == pytest.approx(0.7)
    assert det.box(0.6) is None and det.score(0.95) == 0.0  # one visible keypoint makes no box


def test_box_arithmetic() -> None:
    a, b = (0.0, 0.0, 4.0, 2.0), (2.0, 1.0, 6.0, 5.0)
    assert box_area(a) == 8.0 and box_area((3.0, 0.0, 1.0, 2.0)) == 0.0
    assert box_intersection(a, b) == 2.0 and box_intersection(a, (5.0, 5.0, 6.0, 6.0)) == 0.0
    assert box_iou(a, b) == pytest.approx(2.0 / (8.0 + 16.0 - 2.0))
    assert box_iou(a, a) == 1.0 and box_iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    assert box_iou((1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0)) == 0.0  # degenerate: no area, no overlap
    assert box_centre(b) == (4.0, 3.0)
    assert keypoint_box(np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([True, True])) == (1.0, -1.0, 3.0, 2.0)
