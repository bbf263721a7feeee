"""More looks at the person (``EstimateConfig.looks``): MediaPipe again on crops around them, mirrored and not,
its 3D and 2D averaged with the first look's (test-time augmentation).

A single-image network errs partly apart on the same person seen again a little differently: on a tighter or
looser crop, or mirrored left to right (the "flip test" of 2D detectors, the flip augmentation of 3D lifters at
test time). Each look ``l`` runs MediaPipe on the crop around the frame's keypoints from the first look, padded
by ``pad_l`` of their box (:data:`LOOKS`: 0.25, 0.15, 0.4 of it, each mirrored, then as it is). A mirrored look's
landmarks are mirrored back, x -> W - 1 - x in the image and x -> -x in its hip-centred metres (the image's
axes), and left and right swapped (:data:`MIRROR`). A look counts in a frame where it found this person: the box
of its keypoints overlaps the first look's by :data:`~flowpose.estimate.crops.SAME_PERSON_IOU` or more (else the
crop's detector found somebody near them) and it labels the person's sides as the first look does (its keypoints
lie nearer the first look's as they are than with left and right exchanged: where MediaPipe turned the person
round, :attr:`flowpose.people.track.Track.turned`, the first look's are relabelled, and another look that turns
them again would undo it). Then per frame and joint

    P_j = mean over the first look and the looks that have j of  (X_j - X_pelvis)     (pelvis-relative, metres)
    x_j = mean over the looks that are sure of j (visibility >= MIN_VISIBILITY)  of x_j^l     (px)

(``x_j`` stays the first look's where no look is sure of it; a joint the first look lacks stays missing), and
``P`` is placed in the camera frame by the least-squares fit to ``x`` that ``estimate`` places its own poses with
(:func:`flowpose.estimate.placement.place_root`, here over the 17 joints). Confidences stay the first look's.
The first look's 2D is left out of the mean: it refines worse than a look's at the crop (``flip_2d.py``, held
out, without flow: 115.6 mm against 112.6; benchmarks/RESULTS.md, forty-sixth session).

On the real multi-person clip (``benchmarks/experiments/many_looks.py``; benchmarks/RESULTS.md, forty-eighth
session) two looks lower the refined MPJPE by 3.1% against the 4-view reference and 4.4% held out (PA-MPJPE 4.6% and
6.1%, every pair better); one look gains less, six no more. On the references made consistent in left and right
(sixty-first session): 3.8% and 5.6% (PA-MPJPE 5.6% and 8.1%); with the pose stage's depth hold (sixty-second): 3.6% and
5.4% (PA-MPJPE 5.6% and 8.1%). Each look is one more MediaPipe run per frame on a crop
(2.6 s per 100 frames here, against 17 s for the first look's search of the whole frame). This is not an
independent detector: the same weights see the same image.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from flowpose.estimate.crops import SAME_PERSON_IOU, detect_in_box, pose_options
from flowpose.estimate.mediapipe import EstimateConfig, require_mediapipe
from flowpose.estimate.native_log import mediapipe_quiet
from flowpose.estimate.placement import place_root
from flowpose.joint_map import to_h36m17
from flowpose.people.detections import box_iou, keypoint_box
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17, MEDIAPIPE33

LOOKS = ((0.25, True), (0.25, False), (0.15, True), (0.15, False), (0.4, True), (0.4, False))
"""(pad, mirrored) of each look, in the order ``looks = n`` takes the first n: the crop around the keypoints is
padded by ``pad`` of their box's size on each side."""
MIN_VISIBILITY = 0.3
"""A look's landmarks less visible than this do not count in the 2D mean."""
MIN_KEYPOINTS = 4
"""Frames with fewer 2D keypoints than this have no box to crop and keep the first look."""
PELVIS = H36M17.index("pelvis")


MIRROR = MEDIAPIPE33.flip_permutation
"""Landmark i of the mirrored image is landmark ``MIRROR[i]`` of the original (left and right swapped)."""


@dataclass(frozen=True)
class Look:
    """One more look at a person through a video (NaN in the frames where it did not find them).

    Attributes:
        relative: (T, 17, 3) pelvis-relative metres, camera-aligned axes.
        joints2d: (T, 17, 2) px in the video's frame, NaN where the look is unsure of a joint.
        found: (T,) bool, the frames where the look found this person.
    """

    relative: np.ndarray
    joints2d: np.ndarray
    found: np.ndarray


def look_again(
    frames: Sequence[np.ndarray],
    poses: PoseSequence,
    *,
    pad: float,
    mirrored: bool,
    config: EstimateConfig = EstimateConfig(),
) -> Look:
    """MediaPipe on the crop around each frame's keypoints of ``poses`` (padded by ``pad`` of their box),
    mirrored left to right if ``mirrored`` and read back (module docstring).

    Args:
        frames: the video's (T, H, W, 3) uint8 RGB frames (a sequence of them).
        poses: one person's Human3.6M-17 poses with their (T, 17, 2) px keypoints, from the first look.
        pad: the crop's margin on each side, a fraction of the keypoints' box.
        mirrored: look at the mirrored crop.
        config: MediaPipe's settings (its confidence threshold).

    Raises:
        ValueError: frames and poses of different lengths, or poses without 2D keypoints.
    """
    if len(frames) != poses.num_frames:
        raise ValueError(f"look_again: {len(frames)} frames for {poses.num_frames} poses")
    if poses.joints2d is None:
        raise ValueError("look_again: the poses have no 2D keypoints to find the person by")
    T = poses.num_frames
    look = Look(np.full((T, 17, 3), np.nan), np.full((T, 17, 2), np.nan), np.zeros(T, bool))
    with mediapipe_quiet(), require_mediapipe().Pose(static_image_mode=True, **pose_options(config)) as single:
        for t in range(T):
            seen = np.isfinite(poses.joints2d[t]).all(-1)
            if seen.sum() < MIN_KEYPOINTS:
                continue
            found = _look(single, np.asarray(frames[t]), poses.joints2d[t][seen], pad, mirrored)
            if found is None:
                continue
            x17, vis17, world17 = found
            ours, theirs = keypoint_box(x17, np.isfinite(x17).all(-1)), keypoint_box(poses.joints2d[t], seen)
            if ours is None or box_iou(ours, theirs) < SAME_PERSON_IOU or _turned(x17, poses.joints2d[t]):
                continue
            look.relative[t] = world17 - world17[PELVIS]
            look.joints2d[t] = np.where((vis17 >= MIN_VISIBILITY)[:, None], x17, np.nan)
            look.found[t] = True
    return look


def _turned(x17: np.ndarray, first: np.ndarray) -> bool:
    """Whether (17, 2) px keypoints lie nearer (17, 2) ``first`` with their left and right exchanged (median
    distance over the joints both have)."""
    def median_distance(x: np.ndarray) -> float:
        both = np.isfinite(x).all(-1) & np.isfinite(first).all(-1)
        return float(np.median(np.linalg.norm(x[both] - first[both], axis=-1))) if both.any() else np.inf

    return median_distance(x17[H36M17.flip_permutation]) < median_distance(x17)


def _look(single: object, image: np.ndarray, points: np.ndarray, pad: float, mirrored: bool):
    """MediaPipe on the (mirrored) crop around (N, 2) px ``points``: H36M-17 (17, 2) px, (17,) visibility and
    (17, 3) hip-centred metres, in the unmirrored frame; or None."""
    W = image.shape[1]
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    if mirrored:
        image, (x0, x1) = image[:, ::-1], (W - 1 - x1, W - 1 - x0)
    det = detect_in_box(single, image, (float(x0), float(y0), float(x1), float(y1)), pad)
    if det is None:
        return None
    x, vis, world = det.keypoints.astype(np.float64), det.conf.astype(np.float64), np.asarray(det.payload[1], float)
    if mirrored:
        x, vis = x[MIRROR] * [-1.0, 1.0] + [W - 1.0, 0.0], vis[MIRROR]
        world = world[MIRROR] * [-1.0, 1.0, 1.0]
    x17 = to_h36m17(x, MEDIAPIPE33.name, missing="nan")
    vis17 = np.nan_to_num(to_h36m17(vis[:, None], MEDIAPIPE33.name, missing="nan")[:, 0])
    return x17, vis17, to_h36m17(world, MEDIAPIPE33.name, missing="nan")


def with_looks(
    frames: Sequence[np.ndarray], poses: PoseSequence, looks: int, config: EstimateConfig = EstimateConfig()
) -> tuple[PoseSequence, int]:
    """``poses`` averaged with ``looks`` more looks at the person (module docstring).

    Args:
        frames: the video's (T, H, W, 3) uint8 RGB frames (a sequence of them).
        poses: one person's Human3.6M-17 camera-frame poses (T, 17, 3) metres with their (T, 17, 2) px
            keypoints and K, from the first look.
        looks: how many of :data:`LOOKS` to take, 0 to ``len(LOOKS)``.
        config: MediaPipe's settings.

    Returns:
        The poses (3D and 2D averaged where a look found the person; confidences, K and frames kept), and the
        number of frames some look found the person in.

    Raises:
        ValueError: ``looks`` outside 0 to ``len(LOOKS)``, or as :func:`look_again`.
    """
    if not 0 <= looks <= len(LOOKS):
        raise ValueError(f"looks must lie in 0 to {len(LOOKS)}, got {looks}")
    if looks == 0:
        return poses, 0
    taken = [look_again(frames, poses, pad=pad, mirrored=m, config=config) for pad, m in LOOKS[:looks]]
    first = np.asarray(poses.joints3d, np.float64)
    found = np.any([look.found for look in taken], 0) & np.isfinite(first[:, PELVIS]).all(-1)
    relative = _mean([first - first[:, PELVIS:PELVIS + 1]] + [look.relative for look in taken])
    joints2d = _mean([look.joints2d for look in taken])
    joints2d = np.where(np.isfinite(joints2d), joints2d, poses.joints2d)
    # The looks refine what the first look has; they add no joint it lacks (its confidence is 0 there).
    relative = np.where(np.isfinite(first), relative, np.nan)
    joints2d = np.where(np.isfinite(poses.joints2d), joints2d, np.nan)
    conf = np.where(np.isfinite(relative).all(-1) & np.isfinite(joints2d).all(-1), poses.confidence(), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a frame it cannot place keeps the first look's place
        root = place_root(np.nan_to_num(relative), np.nan_to_num(joints2d), poses.K_per_frame(), conf)
    root = np.where(np.isfinite(root), root, first[:, PELVIS])
    joints3d = np.where(found[:, None, None], relative + root[:, None, :], first)
    joints2d = np.where(found[:, None, None], joints2d, poses.joints2d)
    return replace(poses, joints3d=joints3d.astype(np.float32), joints2d=joints2d.astype(np.float32)), int(found.sum())


def _mean(arrays: list[np.ndarray]) -> np.ndarray:
    """The mean of (T, 17, D) arrays where each has the joint (all D finite); NaN where none has."""
    stack = np.stack(arrays)
    ok = np.isfinite(stack).all(-1, keepdims=True)
    n = ok.sum(0)
    return np.where(n > 0, np.where(ok, stack, 0.0).sum(0) / np.maximum(n, 1), np.nan)
