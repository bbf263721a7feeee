"""A second 2D for the pose stage: MediaPipe's keypoints on the mirrored crop (``EstimateConfig.mirrored_2d``).

The pose stage fits the 3D poses to their 2D keypoints (L_2D). When both come from one MediaPipe run they err
together, and the fit mostly returns the estimate's own error (README, "What real video looks like"). A second
look at each frame, on a crop around the person mirrored left to right, gives keypoints from the same network
that err partly apart from the first run: a network is not exactly mirror-equivariant (the "flip test" of 2D
pose detectors). Its landmarks are mirrored back (x -> W - 1 - x) and left and right swapped, and they replace
the 2D keypoints of the frames where the mirrored find is this person: the box of its keypoints overlaps the
box of the first run's by :data:`SAME_PERSON_IOU` or more (else the crop's detector found somebody near them).
Joints it is unsure of (visibility below :data:`MIN_VISIBILITY`) are unobserved in 2D there. The 3D, its
confidences and the root placement stay the first run's.

This is not an independent 2D detector (same weights, same training data); none with weights can be installed
offline here, and this is the nearest one. Measured on the real multi-person clip in
benchmarks/RESULTS.md (fifteenth session, ``benchmarks/experiments/flip_2d.py``). Off by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from flowpose.estimate.crops import SAME_PERSON_IOU, detect_in_box, pose_options
from flowpose.estimate.mediapipe import EstimateConfig, require_mediapipe
from flowpose.estimate.native_log import mediapipe_quiet
from flowpose.joint_map import to_h36m17
from flowpose.people.detections import box_iou, keypoint_box
from flowpose.pose import PoseSequence
from flowpose.skeleton import MEDIAPIPE33

CROP_PAD = 0.25
"""The crop around a frame's keypoints is padded by this fraction of their box's size."""
MIN_VISIBILITY = 0.3
"""Mirrored landmarks less visible than this are unobserved in 2D."""
MIN_KEYPOINTS = 4
"""Frames with fewer 2D keypoints than this have no box to crop and keep their 2D."""


def _mirror_permutation() -> np.ndarray:
    names = MEDIAPIPE33.joint_names
    swap = {"l_": "r_", "r_": "l_"}
    return np.array([names.index(swap[n[:2]] + n[2:] if n[:2] in swap else n) for n in names])


MIRROR = _mirror_permutation()
"""Landmark i of the mirrored image is landmark ``MIRROR[i]`` of the original (left and right swapped)."""


def second_look(
    frames: Sequence[np.ndarray], poses: PoseSequence, *, mirrored: bool = True, config: EstimateConfig = EstimateConfig()
) -> tuple[PoseSequence, int]:
    """``poses`` with 2D keypoints from MediaPipe run again on a crop around each frame's keypoints (module
    docstring), mirrored unless ``mirrored`` is False (the same crop as it is: a control).

    Args:
        frames: the video's (T, H, W, 3) uint8 RGB frames (a sequence of them).
        poses: one person's poses with their (T, 17, 2) px keypoints, from the first run.
        mirrored: look at the mirrored crop.
        config: MediaPipe's settings (its confidence threshold).

    Returns:
        The poses with the new 2D keypoints where the second look found this person, and how many frames those
        are.
    """
    if len(frames) != poses.num_frames:
        raise ValueError(f"second_look: {len(frames)} frames for {poses.num_frames} poses")
    if poses.joints2d is None:
        raise ValueError("second_look: the poses have no 2D keypoints to find the person by")
    mp_pose = require_mediapipe()
    joints2d = poses.joints2d.copy()
    replaced = 0
    with mediapipe_quiet(), mp_pose.Pose(static_image_mode=True, **pose_options(config)) as single:
        for t in range(poses.num_frames):
            seen = np.isfinite(joints2d[t]).all(-1)
            if seen.sum() < MIN_KEYPOINTS:
                continue
            found = _look(single, np.asarray(frames[t]), joints2d[t][seen], mirrored)
            if found is None:
                continue
            x17, vis17 = found
            ours, theirs = keypoint_box(x17, np.isfinite(x17).all(-1)), keypoint_box(joints2d[t], seen)
            if ours is None or box_iou(ours, theirs) < SAME_PERSON_IOU:
                continue
            joints2d[t] = np.where((vis17 >= MIN_VISIBILITY)[:, None], x17, np.nan)
            replaced += 1
    return replace(poses, joints2d=joints2d.astype(np.float32)), replaced


def _look(single: object, image: np.ndarray, points: np.ndarray, mirrored: bool):
    """MediaPipe on the (mirrored) crop around (N, 2) px ``points``: H36M-17 (17, 2) px and (17,) visibility in
    the unmirrored frame, or None."""
    W = image.shape[1]
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    if mirrored:
        image, (x0, x1) = image[:, ::-1], (W - 1 - x1, W - 1 - x0)
    det = detect_in_box(single, image, (float(x0), float(y0), float(x1), float(y1)), CROP_PAD)
    if det is None:
        return None
    x, vis = det.keypoints.astype(np.float64), det.conf.astype(np.float64)
    if mirrored:
        x, vis = x[MIRROR] * [-1.0, 1.0] + [W - 1.0, 0.0], vis[MIRROR]
    x17 = to_h36m17(x, MEDIAPIPE33.name, missing="nan")
    vis17 = np.nan_to_num(to_h36m17(vis[:, None], MEDIAPIPE33.name, missing="nan")[:, 0])
    return x17, vis17
