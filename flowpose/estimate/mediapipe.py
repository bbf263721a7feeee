"""Initial 3D poses for a video that has none, from MediaPipe's BlazePose landmarker, offline.

MediaPipe 0.10.x wheels ship the landmark model inside the package (``pose_landmark_full.tflite``, run by the
legacy ``mp.solutions.pose`` API with ``model_complexity=1``), so nothing is downloaded. Each frame is
estimated on its own (``static_image_mode=True``: a fresh person detection per frame and no landmark
smoothing), which makes it a single-image estimator with the jitter refinement is meant to remove.

People are found, followed and chosen in :mod:`flowpose.estimate.people`. Per frame, MediaPipe gives 33
landmarks twice: image landmarks (x, y normalised by the image width and height)
and world landmarks (metres, origin between the hips, axes aligned with the camera: x right, y down, z away
from the camera). The world landmarks are root-relative; they are placed in the camera frame by the
translation that makes them project onto the image landmarks (:func:`flowpose.estimate.placement.place_root`,
a perspective PnP with identity rotation), under intrinsics built from a stated horizontal field of view. The
33 landmarks are mapped to Human3.6M-17 (:func:`flowpose.joint_map.to_h36m17`; H36M's head top has no
MediaPipe counterpart and stays NaN, i.e. unobserved), and landmark visibility becomes the confidence.

Installing: ``pip install "flowpose[estimate]"`` (see README: it replaces OpenCV's headless build by
``opencv-contrib-python`` and pulls jax; the README gives the lean alternative).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from flowpose.camera import intrinsics_from_fov
from flowpose.errors import InputError, ShapeError
from flowpose.estimate.placement import place_root
from flowpose.joint_map import to_h36m17
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17, MEDIAPIPE33

INSTALL_HINT = 'install the optional MediaPipe estimator with: pip install "flowpose[estimate]"'
"""What to do when ``mediapipe`` is missing."""

MODEL_COMPLEXITY = 1
"""BlazePose "full" (``pose_landmark_full.tflite``), the model the 0.10.x wheels ship."""


def require_mediapipe() -> Any:
    """Import ``mediapipe``'s pose solution.

    Returns:
        The ``mediapipe.solutions.pose`` module.

    Raises:
        InputError: when mediapipe is not installed (or does not import), with the install command.
    """
    # MediaPipe's C++ side logs through glog to stderr, configured once at import: quieten it before.
    os.environ.setdefault("GLOG_minloglevel", "2")
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ImportError as e:
        raise InputError(
            f"pose estimation needs MediaPipe, which is not available ({e}); {INSTALL_HINT}"
        ) from None
    return mp_pose


def landmarks_to_arrays(
    image_landmarks: np.ndarray, world_landmarks: np.ndarray, image_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's per-frame landmark arrays to pixels, root-relative metres and confidences.

    Pixels follow DESIGN.md's convention (0 at the centre of the top-left pixel): a normalised coordinate
    ``x`` in [0, 1] spans the image's full width, so ``u = x W - 0.5``.

    Args:
        image_landmarks: (T, 33, 4) normalised ``x, y, z, visibility``; NaN rows for frames without a person.
        world_landmarks: (T, 33, 3) metres ``x, y, z``, hip-centred.
        image_size: (H, W).

    Returns:
        keypoints: (T, 33, 2) pixels.
        joints_rel: (T, 33, 3) metres, hip-centred (a copy).
        conf: (T, 33) visibility clipped to [0, 1], 0 where missing.
    """
    H, W = image_size
    keypoints = image_landmarks[..., :2] * np.array([W, H], np.float64) - 0.5
    conf = np.clip(np.nan_to_num(image_landmarks[..., 3], nan=0.0), 0.0, 1.0)
    return keypoints, np.array(world_landmarks, np.float64), conf


def poses_from_landmarks(
    image_landmarks: np.ndarray,
    world_landmarks: np.ndarray,
    image_size: tuple[int, int],
    *,
    fov_deg: float = 60.0,
    fps: float = 30.0,
    K: np.ndarray | None = None,
) -> PoseSequence:
    """Place MediaPipe landmarks in the camera frame and convert them to an H36M-17 :class:`PoseSequence`.

    The placement uses all 33 landmarks, weighted by visibility; the mapping to H36M-17 comes after it.

    Args:
        image_landmarks: (T, 33, 4) normalised ``x, y, z, visibility`` (NaN for frames without a person).
        world_landmarks: (T, 33, 3) hip-centred metres.
        image_size: (H, W) of the frames.
        fov_deg: the camera's horizontal field of view in degrees (intrinsics from
            :func:`flowpose.camera.intrinsics_from_fov`).
        fps: the video's frame rate.
        K: (3, 3) calibrated intrinsics, px; when given, ``fov_deg`` is not used.

    Returns:
        H36M-17 poses (T, 17, 3) in the camera frame, with (3, 3) K, 2D keypoints and confidences; frames
        without a person are NaN with confidence 0.

    Raises:
        ShapeError: for arrays of the wrong shape.
        InputError: for a bad field of view.
    """
    T = image_landmarks.shape[0]
    if image_landmarks.shape != (T, MEDIAPIPE33.num_joints, 4):
        raise ShapeError("image_landmarks", f"({T}, 33, 4)", image_landmarks.shape)
    if world_landmarks.shape != (T, MEDIAPIPE33.num_joints, 3):
        raise ShapeError("world_landmarks", f"({T}, 33, 3)", world_landmarks.shape)
    K = intrinsics_from_fov(image_size[1], image_size[0], fov_deg) if K is None else np.asarray(K, np.float64)
    keypoints, rel, conf = landmarks_to_arrays(image_landmarks, world_landmarks, image_size)
    root = place_root(rel, keypoints, K, conf)  # (T, 3)
    joints3d = rel + root[:, None, :]
    conf17 = np.nan_to_num(to_h36m17(conf[..., None], MEDIAPIPE33.name, missing="nan")[..., 0], nan=0.0)
    conf17[~np.isfinite(root).all(-1)] = 0.0
    joints2d = to_h36m17(keypoints, MEDIAPIPE33.name, missing="nan")
    conf17[~np.isfinite(joints2d).all(-1)] = 0.0  # a joint made from an unobserved landmark is unobserved
    return PoseSequence(
        joints3d=to_h36m17(joints3d, MEDIAPIPE33.name, missing="nan").astype(np.float32),
        K=K.astype(np.float32),
        joints2d=joints2d.astype(np.float32),
        conf=conf17.astype(np.float32),
        skeleton=H36M17.name,
        fps=fps,
    )


MAX_LOOKS = 6
"""The most looks ``EstimateConfig.looks`` takes: ``len(flowpose.estimate.looks.LOOKS)``."""


@dataclass(frozen=True)
class EstimateConfig:
    """How the MediaPipe estimator runs."""

    fov_deg: float = 60.0
    """The camera's horizontal field of view in degrees; sets K (60 suits most phone and webcam footage;
    Human3.6M's cameras have about 47)."""
    tracking: bool = False
    """False: detect the person afresh in every frame (a true single-image estimator). True: MediaPipe's video
    mode, which looks for the person where the previous frame had it; it finds people the detector misses
    (close-ups, partial bodies) at the price of some temporal coupling. Landmark smoothing stays off either
    way, so refinement sees the estimator's own jitter. Only the first person of a frame is looked for so: with
    several people in view it can follow a person twice or in pieces (the real multi-person clip's cam02: the man
    in three tracks, two of them on him in frames 67-71; benchmarks/RESULTS.md, forty-fourth session)."""
    min_confidence: float = 0.5
    """MediaPipe's minimum detection (and tracking) confidence, in [0, 1]; lower finds more people and more
    false positives."""
    people: int = 3
    """People looked for in each frame (:mod:`flowpose.estimate.people`); every one is followed through the
    video and one is chosen, so the poses never hop to another person. 1 is fastest."""
    separate: bool = False
    """Where followed people overlap, detect each again with the others painted over and refuse the joints the
    two detections disagree on (:mod:`flowpose.estimate.separate`). Off: on the real multi-person clip it
    leaves fewer joints on the wrong person but refines worse (benchmarks/RESULTS.md, tenth session)."""
    carry_frames: int = 10
    """A person's track is carried along the optical flow through holes of up to this many frames where they
    were not detected (:mod:`flowpose.people.carry`), at half confidence; longer holes stay unobserved. 0: off."""
    min_frames: int = 10
    """A person followed through fewer frames than this, after the search for them in their gaps, is left out
    (and told); in a shorter video, one not found in every frame. On the real multi-person clip such brief
    tracks are MediaPipe fitting one body across two people (cam02: 4 and 7 frames of 100, each real person 38
    or more; benchmarks/RESULTS.md, forty-fourth session). 1: keep every track."""

    looks: int = 0
    """More MediaPipe looks at the crop around the person, mirrored and not (0 to :data:`MAX_LOOKS`,
    :data:`flowpose.estimate.looks.LOOKS`), their 3D averaged with the first look's and their 2D taken
    (:mod:`flowpose.estimate.looks`); each costs one more MediaPipe run per frame on a crop. 2 lowers the refined
    MPJPE by 3.6% (4-view reference) and 5.4% (held out) on the real multi-person clip; 0 (the default) while one
    clip is all it is measured on (benchmarks/RESULTS.md, forty-eighth and sixty-second sessions)."""

    def __post_init__(self) -> None:
        if self.people < 1:
            raise InputError(f"people must be >= 1, got {self.people}")
        if self.carry_frames < 0:
            raise InputError(f"carry_frames must be >= 0, got {self.carry_frames}")
        if not 0 <= self.looks <= MAX_LOOKS:
            raise InputError(f"looks must lie in 0 to {MAX_LOOKS}, got {self.looks}")
        if self.min_frames < 1:
            raise InputError(f"min_frames must be >= 1, got {self.min_frames}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise InputError(f"min_confidence must lie in [0, 1], got {self.min_confidence}")
        if not 0.0 < self.fov_deg < 180.0:
            raise InputError(f"fov must lie in (0, 180) degrees, got {self.fov_deg}")
