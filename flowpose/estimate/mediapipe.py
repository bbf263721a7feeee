"""Initial 3D poses for a video that has none, from MediaPipe's BlazePose landmarker, offline.

MediaPipe 0.10.x wheels ship the landmark model inside the package (``pose_landmark_full.tflite``, run by the
legacy ``mp.solutions.pose`` API with ``model_complexity=1``), so nothing is downloaded. Each frame is
estimated on its own (``static_image_mode=True``: a fresh person detection per frame and no landmark
smoothing), which makes it a single-image estimator with the jitter refinement is meant to remove.

Per frame, MediaPipe gives 33 landmarks twice: image landmarks (x, y normalised by the image width and height)
and world landmarks (metres, origin between the hips, axes aligned with the camera: x right, y down, z away
from the camera). The world landmarks are root-relative; they are placed in the camera frame by the
translation that makes them project onto the image landmarks (:func:`flowpose.estimate.placement.place_root`,
a perspective PnP with identity rotation), under intrinsics built from a stated horizontal field of view. The
33 landmarks are mapped to Human3.6M-17 (:func:`flowpose.skeleton.to_h36m17`; H36M's head top has no
MediaPipe counterpart and stays NaN, i.e. unobserved), and landmark visibility becomes the confidence.

Installing: ``pip install "flowpose[estimate]"`` (see README: it replaces OpenCV's headless build by
``opencv-contrib-python`` and pulls jax; the README gives the lean alternative).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from tqdm import tqdm

from flowpose.camera import intrinsics_from_fov
from flowpose.errors import InputError, ShapeError
from flowpose.estimate.placement import place_root
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17, MEDIAPIPE33, to_h36m17

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
    return PoseSequence(
        joints3d=to_h36m17(joints3d, MEDIAPIPE33.name, missing="nan").astype(np.float32),
        K=K.astype(np.float32),
        joints2d=to_h36m17(keypoints, MEDIAPIPE33.name, missing="nan").astype(np.float32),
        conf=conf17.astype(np.float32),
        skeleton=H36M17.name,
        fps=fps,
    )


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
    way, so refinement sees the estimator's own jitter."""
    min_confidence: float = 0.5
    """MediaPipe's minimum detection (and tracking) confidence, in [0, 1]; lower finds more people and more
    false positives."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise InputError(f"min_confidence must lie in [0, 1], got {self.min_confidence}")
        if not 0.0 < self.fov_deg < 180.0:
            raise InputError(f"fov must lie in (0, 180) degrees, got {self.fov_deg}")


def run_landmarker(
    frames: Sequence[np.ndarray], config: EstimateConfig = EstimateConfig(), *, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Run MediaPipe's pose landmarker on every frame.

    Args:
        frames: T frames (H, W, 3) uint8 RGB (an array or a :class:`~flowpose.io.video.VideoReader`).
        config: detection mode and threshold.
        progress: show a progress bar.

    Returns:
        image_landmarks: (T, 33, 4) normalised ``x, y, z, visibility``, NaN where no person was found.
        world_landmarks: (T, 33, 3) hip-centred metres, NaN where no person was found.

    Raises:
        InputError: when mediapipe is missing.
    """
    mp_pose = require_mediapipe()
    T = len(frames)
    image = np.full((T, MEDIAPIPE33.num_joints, 4), np.nan)
    world = np.full((T, MEDIAPIPE33.num_joints, 3), np.nan)
    with warnings.catch_warnings():
        # mediapipe 0.10.14 calls a protobuf API that protobuf 4.x deprecates; nothing a user can act on.
        warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
        with mp_pose.Pose(
            static_image_mode=not config.tracking,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=False,
            enable_segmentation=False,
            min_detection_confidence=config.min_confidence,
            min_tracking_confidence=config.min_confidence,
        ) as det:
            for t in tqdm(range(T), disable=not progress, desc="estimate (mediapipe)", unit="frame"):
                out = det.process(np.ascontiguousarray(frames[t]))
                if out.pose_landmarks is None or out.pose_world_landmarks is None:
                    continue
                image[t] = [(p.x, p.y, p.z, p.visibility) for p in out.pose_landmarks.landmark]
                world[t] = [(p.x, p.y, p.z) for p in out.pose_world_landmarks.landmark]
    return image, world


def estimate_poses(
    frames: Sequence[np.ndarray],
    config: EstimateConfig = EstimateConfig(),
    *,
    fps: float = 30.0,
    progress: bool = False,
    source: str = "video",
    K: np.ndarray | None = None,
) -> PoseSequence:
    """Estimate H36M-17 camera-frame 3D poses for a video with MediaPipe, one frame at a time.

    Args:
        frames: T frames (H, W, 3) uint8 RGB.
        config: field of view, detection mode and threshold.
        fps: the video's frame rate.
        progress: show a progress bar.
        source: the video's name, for messages.
        K: (3, 3) intrinsics, px (e.g. :meth:`flowpose.io.intrinsics.CameraOptions.matrix`); None: from
            ``config.fov_deg``.

    Returns:
        The poses (see :func:`poses_from_landmarks`).

    Raises:
        InputError: when mediapipe is missing, or no person is found in any frame.

    Example:
        >>> with open_video("clip.mp4") as video:  # doctest: +SKIP
        ...     poses = estimate_poses(video, EstimateConfig(fov_deg=47.0), fps=video.fps)
    """
    if len(frames) == 0:
        raise InputError(f"{source}: no frames to estimate poses on")
    image, world = run_landmarker(frames, config, progress=progress)
    found = np.isfinite(world).all((-1, -2))
    if not found.any():
        raise InputError(
            f"{source}: MediaPipe found no person in any of its {len(frames)} frames "
            "(try --track or a lower --min-confidence)"
        )
    if not found.all():
        warnings.warn(
            f"{source}: MediaPipe found no person in {int((~found).sum())} of {len(frames)} frames; they "
            "stay unobserved (try --track or a lower --min-confidence)",
            stacklevel=2,
        )
    H, W = np.asarray(frames[0]).shape[:2]
    with warnings.catch_warnings():
        if not found.all():  # the frames without a person cannot be placed either: said just above
            warnings.filterwarnings("ignore", message="place_root: ", category=UserWarning)
        return poses_from_landmarks(image, world, (H, W), fov_deg=config.fov_deg, K=K, fps=fps)
