"""Tests for flowpose.estimate.crops: MediaPipe's results as detections, and a look at a crop."""

from __future__ import annotations

import numpy as np

from flowpose.estimate.crops import detect_in_box, detection_of, landmarks_of
from tests.estimate.fake_pose import RED, FakePose, region

GRID = np.stack(np.meshgrid(np.linspace(0.0, 1.0, 6), np.linspace(0.0, 1.0, 6)), -1).reshape(-1, 2)[:33]


class RedBody(FakePose):
    """33 joints spread over the red pixels of the image it is given (a crop, for :func:`detect_in_box`)."""

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        body = region(image, RED)
        if body is None:
            return None
        x0, y0, x1, y1 = body
        return np.array([x0, y0]) + GRID * np.array([x1 - 1 - x0, y1 - 1 - y0]), np.linspace(0.0, 1.0, 33)


def _frame() -> np.ndarray:
    frame = np.full((200, 240, 3), 128, np.uint8)
    frame[50:150, 100:140] = RED
    return frame


def test_a_result_becomes_a_detection_in_pixels() -> None:
    frame = _frame()
    points, vis = RedBody().landmarks(frame)
    det = detection_of(landmarks_of(RedBody().process(frame)), frame.shape[:2])
    np.testing.assert_allclose(det.keypoints, points, atol=1e-3)  # the pixel-centre convention undone
    np.testing.assert_allclose(det.conf, vis, atol=1e-6)
    assert det.payload[0].shape == (33, 4) and det.payload[1].shape == (33, 3)


def test_nobody_found_is_none() -> None:
    empty = np.full((50, 60, 3), 128, np.uint8)
    assert landmarks_of(RedBody().process(empty)) is None
    assert detect_in_box(RedBody(), empty, (10.0, 10.0, 40.0, 40.0), 0.3) is None


def test_a_find_on_a_crop_is_given_in_frame_coordinates() -> None:
    frame = _frame()
    whole = RedBody().landmarks(frame)[0]
    det = detect_in_box(RedBody(), frame, (95.0, 45.0, 145.0, 155.0), 0.3)
    assert det is not None
    np.testing.assert_allclose(det.keypoints, whole, atol=1e-3)


def test_a_crop_under_16_px_is_not_looked_at() -> None:
    assert detect_in_box(RedBody(), _frame(), (110.0, 60.0, 115.0, 70.0), 0.3) is None
