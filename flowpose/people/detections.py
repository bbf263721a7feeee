"""A person found in one frame: 2D keypoints with confidences, and what its source knows of its identity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowpose.errors import ShapeError
from flowpose.reprs import short_repr

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in full-frame pixels."""


@dataclass(frozen=True)
class Detection:
    """One person in one frame.

    Attributes:
        keypoints: (J, 2) pixels, NaN where not found.
        conf: (J,) confidence in [0, 1] (0 where not found).
        source_id: an identity the source gave (OpenPose ``person_id``, a COCO ``track_id``), or None.
        payload: anything the source wants back for the chosen person (e.g. MediaPipe's landmarks).
    """

    keypoints: np.ndarray
    conf: np.ndarray
    source_id: int | None = None
    payload: object = None

    __repr__ = short_repr

    def __post_init__(self) -> None:
        if self.keypoints.ndim != 2 or self.keypoints.shape[1] != 2:
            raise ShapeError("keypoints", "(J, 2)", self.keypoints.shape)
        if self.conf.shape != self.keypoints.shape[:1]:
            raise ShapeError("conf", f"({self.keypoints.shape[0]},)", self.conf.shape)

    def visible(self, min_conf: float) -> np.ndarray:
        """(J,) bool: keypoints that are finite and at least ``min_conf`` sure."""
        return np.isfinite(self.keypoints).all(-1) & (np.nan_to_num(self.conf) >= min_conf)

    def box(self, min_conf: float) -> Box | None:
        """The box around the visible keypoints, or None with fewer than two."""
        return keypoint_box(self.keypoints, self.visible(min_conf))

    def score(self, min_conf: float) -> float:
        """Mean confidence of the visible keypoints (0 with none)."""
        vis = self.visible(min_conf)
        return float(self.conf[vis].mean()) if vis.any() else 0.0


def keypoint_box(points: np.ndarray, mask: np.ndarray) -> Box | None:
    """The (x0, y0, x1, y1) box of ``points[mask]`` ((J, 2) px), or None when fewer than two are masked in."""
    if int(mask.sum()) < 2:
        return None
    p = points[mask]
    x0, y0 = p.min(0)
    x1, y1 = p.max(0)
    return float(x0), float(y0), float(x1), float(y1)


def box_area(box: Box) -> float:
    """Area in px^2 (0 for a degenerate box)."""
    return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)


def box_intersection(a: Box, b: Box) -> float:
    """Area of the overlap of two boxes, px^2 (0 when they do not overlap)."""
    return box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes, in [0, 1].

    Example:
        >>> box_iou((0, 0, 2, 2), (1, 0, 3, 2))
        0.3333333333333333
    """
    inter = box_intersection(a, b)
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def box_centre(box: Box) -> tuple[float, float]:
    """The box's centre (x, y), px."""
    return 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])
