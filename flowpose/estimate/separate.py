"""People who overlap in the image, detected again with the others painted over.

MediaPipe fits one body per image. Where two people overlap, the body it fits to one of them can take a joint
from the other: a shoulder on the person standing in front, a hip on the legs beside. A track keeps such a
joint when it moves smoothly with the body, as it does when the detector makes the same mistake frame after
frame. Where a followed person's box overlaps another followed person's, the other is painted over (the hull
of their trusted keypoints, widened by ``HULL_PAD`` of their body size, in the frame's mean colour), and the
person is detected again on a crop around their own box. When the re-detection is the same person (its box
overlaps the original's by ``SAME_PERSON_IOU`` or more), the original's joints it puts more than ``VETO`` body
sizes away are refused (confidence 0): they rested on the other person's pixels. So may the person's own joints
hidden under the other's hull, which the re-detection can only guess; on the real multi-person clip most of the
refused joints are good ones, and the refinement is worse (benchmarks/RESULTS.md, tenth session). Off by default
(``EstimateConfig.separate``).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from flowpose.estimate.crops import SAME_PERSON_IOU, detect_in_box, mean_colour, pose_options
from flowpose.estimate.mediapipe import EstimateConfig, require_mediapipe
from flowpose.estimate.native_log import mediapipe_quiet
from flowpose.people.detections import Box, Detection, box_area, box_intersection, box_iou, keypoint_box
from flowpose.people.track import Track

HULL_PAD = 0.05
"""The painted hull of another person is widened by this fraction of their body size (sqrt of box area)."""
CROP_PAD = 0.3
"""The crop around the re-detected person's box is padded by this fraction of its size."""
VETO = 0.08
"""A joint the re-detection puts farther than this from the original, in body sizes, is the original's doubt."""
MIN_OVERLAP = 0.05
"""Two people overlap when the intersection of their boxes covers this fraction of either box."""


def overlapping(a: Box, b: Box) -> bool:
    """Whether the intersection of two boxes covers at least :data:`MIN_OVERLAP` of either.

    Example:
        >>> overlapping((0, 0, 10, 10), (9, 0, 20, 10)), overlapping((0, 0, 10, 10), (9.9, 0, 20, 10))
        (True, False)
    """
    return box_intersection(a, b) >= MIN_OVERLAP * min(box_area(a), box_area(b)) > 0


def paint_hull(image: np.ndarray, points: np.ndarray, pad_px: float, colour: np.ndarray) -> np.ndarray:
    """``image`` with the convex hull of ``points`` ((N, 2) px, N >= 3), widened by ``pad_px``, filled with
    ``colour``; a copy."""
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points.astype(np.float32)).astype(np.int32), 1)
    size = 2 * int(round(pad_px)) + 1
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    out = image.copy()
    out[mask > 0] = colour
    return out


def vetoed(det: Detection, veto: np.ndarray) -> Detection:
    """``det`` with the ``veto`` joints ((J,) bool) at confidence 0, in its landmarks' visibility too."""
    image, world = det.payload
    image = image.copy()
    image[veto, 3] = 0.0
    return Detection(det.keypoints, np.where(veto, 0.0, det.conf).astype(det.conf.dtype), det.source_id, (image, world))


def separate_people(
    frames: Sequence[np.ndarray],
    detections: list[list[Detection]],
    tracks: Sequence[Track],
    config: EstimateConfig,
    outlines: tuple[Sequence[Sequence[Detection]], Sequence[Track]],
    min_conf: float = 0.3,
) -> int:
    """Re-detect each followed person, in the frames where their box overlaps another's, with the others
    painted over (module docstring), and refuse the joints the two detections disagree on: their confidence
    becomes 0 in ``detections`` (in place).

    Args:
        frames: T frames (H, W, 3) uint8 RGB.
        detections: per frame, the people found (changed in place).
        tracks: the followed people, linked from ``detections``.
        config: MediaPipe's settings.
        outlines: the detections and tracks that outline everyone: ``detections`` with more appended to each
            frame's list (people followed further by crop searches), linked again.
        min_conf: keypoints below this confidence do not outline a person.

    Returns:
        How many joints were refused.
    """
    outline_dets, outline_tracks = outlines
    sightings = {(int(t), int(m)): track.id for track in tracks for t, m in zip(track.frames, track.members)}
    everyone: dict[int, list[tuple[int | None, np.ndarray, Box]]] = {}  # frame -> (whose, trusted keypoints, box)
    for outline in outline_tracks:
        # Whose outline: the followed person it shares most detections with (None: somebody not followed).
        shared = [sightings.get((int(t), int(m))) for t, m in zip(outline.frames, outline.members)]
        ids = [i for i in shared if i is not None]
        whose = max(set(ids), key=ids.count) if ids else None
        for t, ok, det in zip(outline.frames, outline.agree, outline.detections(outline_dets)):
            seen = ok & det.visible(min_conf)
            box = keypoint_box(det.keypoints, seen)
            if seen.sum() >= 3 and box is not None:
                everyone.setdefault(int(t), []).append((whose, det.keypoints[seen], box))
    present: dict[int, list[tuple[int, int, Box]]] = {}  # frame -> (track id, member, box)
    for track in tracks:
        for t, member, det in zip(track.frames, track.members, track.detections(detections)):
            box = det.box(min_conf)
            if box is not None:
                present.setdefault(int(t), []).append((track.id, int(member), box))
    refused = 0
    mp_pose = require_mediapipe()
    with mediapipe_quiet():
        with mp_pose.Pose(static_image_mode=True, **pose_options(config)) as single:
            for t, people in present.items():
                frame = np.asarray(frames[t])
                colour = mean_colour(frame)
                for track_id, member, box in people:
                    others = [(pts, b) for whose, pts, b in everyone.get(t, []) if whose != track_id and overlapping(box, b)]
                    if not others:
                        continue
                    image = frame
                    for points, other_box in others:
                        image = paint_hull(image, points, HULL_PAD * np.sqrt(box_area(other_box)), colour)
                    det = detect_in_box(single, image, box, CROP_PAD)
                    if det is None:
                        continue
                    new_box, old = det.box(0.0), detections[t][member]
                    if new_box is None or box_iou(new_box, old.box(0.0)) < SAME_PERSON_IOU:
                        continue
                    moved = np.linalg.norm(det.keypoints - old.keypoints, axis=-1) > VETO * np.sqrt(box_area(box))
                    veto = moved & old.visible(min_conf)
                    if veto.any():
                        detections[t][member] = vetoed(old, veto)
                        refused += int(veto.sum())
    return refused
