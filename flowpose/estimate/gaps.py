"""Followed people looked for again in the frames they were missed, on a crop around where they should be."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from flowpose.estimate.crops import SAME_PERSON_IOU, detect_in_box, pose_options
from flowpose.estimate.mediapipe import EstimateConfig, require_mediapipe
from flowpose.estimate.native_log import mediapipe_quiet
from flowpose.people.detections import Detection, box_iou
from flowpose.people.track import Track

GAP_PAD = 0.3
"""Padding of a person's predicted box, as a fraction of its size, for the search in a missed frame."""
GAP_REACH = 5
"""Frames before a track's first and after its last detection that are searched as well."""


def _expected_boxes(track: Track, num_frames: int) -> dict[int, tuple[float, float, float, float]]:
    """Where the track's person should be in the frames of its span it missed (and ``GAP_REACH`` beyond):
    its boxes interpolated between the nearest frames it was seen in, held beyond its ends."""
    boxes = track.boxes()
    seen = [int(t) for t, b in zip(track.frames, boxes) if b is not None]
    if not seen:
        return {}
    arr = np.array([b for b in boxes if b is not None])
    lo, hi = max(seen[0] - GAP_REACH, 0), min(seen[-1] + GAP_REACH, num_frames - 1)
    missing = sorted(set(range(lo, hi + 1)) - {int(t) for t in track.frames})
    out = {}
    for t in missing:
        out[t] = tuple(float(np.interp(t, seen, arr[:, k])) for k in range(4))
    return out


def search_gaps(
    frames: Sequence[np.ndarray], detections: list[list[Detection]], tracks: Sequence[Track], config: EstimateConfig
) -> int:
    """Run MediaPipe on a crop around each followed person's expected box in the frames they were missed.

    A full-frame search can miss a person next to another one (MediaPipe's detector then returns one body
    made of both, or nothing); on a crop centred on the person it looks at them alone. A find is added to that
    frame's detections (in full-frame coordinates) unless it overlaps one already there.

    Returns:
        How many detections were added.
    """
    mp_pose = require_mediapipe()
    added = 0
    with mediapipe_quiet():
        with mp_pose.Pose(static_image_mode=True, **pose_options(config)) as single:
            for track in tracks:
                for t, box in _expected_boxes(track, len(frames)).items():
                    det = detect_in_box(single, np.asarray(frames[t]), box, GAP_PAD)
                    if det is None:
                        continue
                    box = det.box(0.0)
                    if box is None or any(box_iou(box, d.box(0.0)) > SAME_PERSON_IOU for d in detections[t]):
                        continue
                    detections[t].append(det)
                    added += 1
    return added
