"""MediaPipe's finds as people detections, and a look at a crop of the frame around somebody.

Shared by every search for people: the full-frame search (:mod:`flowpose.estimate.people`), the search in a
followed person's missed frames (:mod:`flowpose.estimate.gaps`), the re-detection apart
(:mod:`flowpose.estimate.separate`) and the further looks (:mod:`flowpose.estimate.looks`).
"""

from __future__ import annotations

import cv2
import numpy as np

from flowpose.estimate.mediapipe import MODEL_COMPLEXITY, EstimateConfig
from flowpose.people.detections import Box, Detection

SAME_PERSON_IOU = 0.5
"""Two finds whose boxes overlap this much (IoU) are the same person: a new find of a frame overlapping an
earlier one is that person again, and a look at a crop that overlaps the person's box less found somebody else."""

Landmarks = tuple[np.ndarray, np.ndarray]
"""(image landmarks (33, 4) normalised x, y, z, visibility; world landmarks (33, 3) hip-centred metres)."""


def mean_colour(frame: np.ndarray) -> np.ndarray:
    """The frame's mean colour, what a person found is painted over with before MediaPipe looks for the next.

    OpenCV's per-channel sums of 8-bit values are exact integers, so this is ``frame.reshape(-1, 3).mean(0)`` to the
    bit; NumPy sums along the long axis one pixel at a time (31 ms at 1080p against 0.04, as long as a MediaPipe look;
    ``benchmarks/RESULTS.md``, thirty-first session).

    Args:
        frame: (H, W, 3) uint8 RGB.

    Returns:
        (3,) uint8, each channel's mean rounded down.

    Example:
        >>> mean_colour(np.array([[[0, 7, 255], [3, 8, 255]]], np.uint8))
        array([  1,   7, 255], dtype=uint8)
    """
    H, W = frame.shape[:2]
    return (np.array(cv2.sumElems(frame)[:3]) / (H * W)).astype(np.uint8)


def landmarks_of(result: object) -> Landmarks | None:
    """The landmarks of a MediaPipe pose-solution result, or None when it found nobody."""
    if result.pose_landmarks is None or result.pose_world_landmarks is None:
        return None
    image = np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark])
    world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark])
    return image, world


def detection_of(landmarks: Landmarks, image_size: tuple[int, int]) -> Detection:
    """A MediaPipe-33 detection in pixels (pixel-centre convention) of an image of ``image_size`` (H, W); its
    ``payload`` is the landmarks."""
    H, W = image_size
    image, _ = landmarks
    keypoints = (image[:, :2] * np.array([W, H]) - 0.5).astype(np.float32)  # pixel-centre convention
    return Detection(keypoints, np.clip(image[:, 3], 0.0, 1.0).astype(np.float32), payload=landmarks)


def pose_options(config: EstimateConfig) -> dict[str, object]:
    """MediaPipe pose-solution settings shared by every search: the shipped "full" model, no smoothing."""
    return dict(
        model_complexity=MODEL_COMPLEXITY, smooth_landmarks=False, enable_segmentation=False,
        min_detection_confidence=config.min_confidence, min_tracking_confidence=config.min_confidence,
    )


def detect_in_box(single: object, image: np.ndarray, box: Box, pad: float) -> Detection | None:
    """MediaPipe (a single-image ``Pose``) on a crop of ``image`` ((H, W, 3) uint8 RGB) around ``box``, padded by
    ``pad`` of its size; the find in full-frame coordinates, or None (nobody, or a crop under 16 px)."""
    H, W = image.shape[:2]
    x0, y0, x1, y1 = box
    px, py = pad * (x1 - x0), pad * (y1 - y0)
    xa, ya = int(max(x0 - px, 0)), int(max(y0 - py, 0))
    xb, yb = int(min(x1 + px + 1, W)), int(min(y1 + py + 1, H))
    if xb - xa < 16 or yb - ya < 16:
        return None
    landmarks = landmarks_of(single.process(np.ascontiguousarray(image[ya:yb, xa:xb])))
    if landmarks is None:
        return None
    crop, world = landmarks
    full = crop.copy()  # crop-normalised -> frame-normalised image coordinates
    full[:, 0] = (crop[:, 0] * (xb - xa) + xa) / W
    full[:, 1] = (crop[:, 1] * (yb - ya) + ya) / H
    return detection_of((full, world), (H, W))
