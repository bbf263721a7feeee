"""Lens distortion: a camera with a distorting lens, made a pinhole camera for refinement, and back.

flowpose's refinement projects through a pinhole K (:func:`flowpose.camera.project`). A video recorded through
a lens that distorts (OpenCV's model: radial k1..k6, tangential p1, p2, thin prism s1..s4; the coefficients
``dist`` of :class:`~flowpose.pose.PoseSequence`) is made such a camera where it enters:

- each frame is resampled to the image the pinhole camera K would record (:class:`UndistortedVideo`;
  ``cv2.initUndistortRectifyMap`` with the same K as the new camera, so the image keeps its size and K);
- the 2D keypoints move with it (:func:`undistort_pixels`), and ``dist`` is dropped (:func:`pinhole_poses`).

Refinement runs on that camera. Its 2D keypoints go back through the lens (:func:`distort_pixels`,
:func:`through_lens`), so a pose file's ``joints2d`` are always pixels of the video as recorded, and ``joints3d``
project onto them through K and ``dist``. Pixels of the pinhole image that no recorded pixel maps to (the
corners, with a pincushion lens) are black; with a barrel lens the recorded corners fall outside K's image.
"""

from __future__ import annotations

import cv2
import numpy as np

from flowpose.camera import project_np
from flowpose.io.video import VideoReader
from flowpose.pose import PoseSequence

UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-10)
"""The iterative inversion of the lens model: at most 100 steps, to OpenCV's tolerance 1e-10 (OpenCV's default
is 5 steps, which leaves an error toward the corners), so that distorting the undistorted keypoints gives them back
to far below a pixel (``tests/test_lens.py``: 1e-5 px)."""


def undistort_pixels(pixels: np.ndarray, K: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Where the pinhole camera K sees what the distorting camera (K, ``dist``) records at ``pixels``.

    Args:
        pixels: (..., 2) px of the recorded (distorted) image; NaN rows stay NaN.
        K: (3, 3) intrinsics, px.
        dist: (n,) distortion coefficients, OpenCV's order.

    Returns:
        (..., 2) float64 px of the pinhole image.

    Example:
        >>> K = np.array([[100.0, 0, 50], [0, 100, 50], [0, 0, 1]])
        >>> undistort_pixels(np.array([[50.0, 50.0], [np.nan, 1.0]]), K, np.array([-0.2, 0, 0, 0])).tolist()
        [[50.0, 50.0], [nan, nan]]
    """
    px = np.asarray(pixels, np.float64)
    flat = px.reshape(-1, 2)
    ok = np.isfinite(flat).all(-1)
    out = np.full_like(flat, np.nan)
    if ok.any():
        K64, d64 = np.asarray(K, np.float64), np.asarray(dist, np.float64)
        points = flat[ok].reshape(-1, 1, 2)
        if hasattr(cv2, "undistortPointsIter"):  # OpenCV 4: the iterating variant has its own name
            moved = cv2.undistortPointsIter(points, K64, d64, None, K64, UNDISTORT_CRITERIA)
        else:  # OpenCV 5: undistortPoints takes the criteria
            moved = cv2.undistortPoints(points, K64, d64, R=None, P=K64, criteria=UNDISTORT_CRITERIA)
        out[ok] = moved.reshape(-1, 2)
    return out.reshape(px.shape)


def distort_pixels(pixels: np.ndarray, K: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Where the distorting camera (K, ``dist``) records what the pinhole camera K sees at ``pixels``.

    Args:
        pixels: (..., 2) px of the pinhole image; NaN rows stay NaN.
        K: (3, 3) intrinsics, px.
        dist: (n,) distortion coefficients, OpenCV's order.

    Returns:
        (..., 2) float64 px of the recorded image: the inverse of :func:`undistort_pixels`.
    """
    px = np.asarray(pixels, np.float64)
    flat = px.reshape(-1, 2)
    ok = np.isfinite(flat).all(-1)
    out = np.full_like(flat, np.nan)
    if ok.any():
        K64 = np.asarray(K, np.float64)
        rays = np.linalg.solve(K64, np.column_stack([flat[ok], np.ones(int(ok.sum()))]).T).T  # (N, 3), z = 1
        zero = np.zeros(3)
        moved, _ = cv2.projectPoints(rays.reshape(-1, 1, 3), zero, zero, K64, np.asarray(dist, np.float64))
        out[ok] = moved.reshape(-1, 2)
    return out.reshape(px.shape)


def distortion_shift_px(K: np.ndarray, dist: np.ndarray, image_size: tuple[int, int]) -> tuple[float, float]:
    """How far a lens distortion moves pixels: the largest shift over the frame, and within its middle.

    Args:
        K: (3, 3) intrinsics, px.
        dist: (n,) distortion coefficients, OpenCV's order.
        image_size: (H, W) px.

    Returns:
        (over the whole frame, within the middle half of its width and height), px: the distance between a
        pixel of the distorted image and where the pinhole camera K puts what it shows (on a 33 x 33 grid).

    Example:
        >>> K = np.array([[1000.0, 0, 639.5], [0, 1000, 359.5], [0, 0, 1]])
        >>> [round(s, 1) for s in distortion_shift_px(K, np.array([-0.1, 0, 0, 0]), (720, 1280))]
        [47.7, 5.1]
    """
    H, W = image_size
    ys, xs = np.meshgrid(np.linspace(0.0, H - 1.0, 33), np.linspace(0.0, W - 1.0, 33), indexing="ij")
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1)
    ideal = undistort_pixels(pixels, K, dist)
    shift = np.linalg.norm(ideal - pixels, axis=1)
    middle = (np.abs(pixels[:, 0] - (W - 1) / 2) <= W / 4) & (np.abs(pixels[:, 1] - (H - 1) / 2) <= H / 4)
    return float(shift.max()), float(shift[middle].max())


def lens_text(dist: np.ndarray | None) -> str:
    """``dist`` for a message: ``none``, or its coefficients by name.

    Example:
        >>> lens_text(np.array([-0.046183, 0.139983, 0.000608, 0.00069, 0.0]))
        'k1 -0.04618, k2 0.14, p1 0.000608, p2 0.00069, k3 0'
        >>> lens_text(None)
        'none'
    """
    if dist is None:
        return "none"
    names = ("k1", "k2", "p1", "p2", "k3", "k4", "k5", "k6", "s1", "s2", "s3", "s4", "tx", "ty")
    return ", ".join(f"{name} {value:.4g}" for name, value in zip(names, np.asarray(dist).ravel()))


def recorded_projection(poses: PoseSequence) -> np.ndarray:
    """(T, J, 2) float64 px: where the video as recorded shows the poses' 3D joints (K, then the lens)."""
    pixels = project_np(poses.joints3d, poses.K_per_frame())
    return pixels if poses.dist is None else distort_pixels(pixels, poses.K, poses.dist)


def same_lens(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Whether two ``dist`` (None: a pinhole camera) describe the same lens.

    Example:
        >>> same_lens(np.array([-0.1, 0, 0, 0]), np.array([-0.1, 0, 0, 0])), same_lens(None, np.zeros(4))
        (True, False)
    """
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9)


def pinhole_poses(poses: PoseSequence) -> PoseSequence:
    """The poses seen by the pinhole camera K: ``joints2d`` undistorted, no ``dist`` (the same object without one)."""
    if poses.dist is None:
        return poses
    joints2d = None if poses.joints2d is None else undistort_pixels(poses.joints2d, poses.K, poses.dist)
    return poses.with_lens(joints2d, None)


def through_lens(poses: PoseSequence, dist: np.ndarray | None) -> PoseSequence:
    """Poses of the pinhole camera K given back to the camera with lens distortion ``dist``: ``joints2d``
    distorted, ``dist`` set (None: the poses as they are)."""
    if dist is None:
        return poses
    joints2d = None if poses.joints2d is None else distort_pixels(poses.joints2d, poses.K, dist)
    return poses.with_lens(joints2d, dist)


def undistorted_frames(
    frames: np.ndarray | VideoReader, K: np.ndarray, dist: np.ndarray
) -> np.ndarray | VideoReader:
    """The frames as the pinhole camera K would record them: an (T, H, W, 3) array resampled at once, or a reader
    resampled on demand (:class:`UndistortedVideo`)."""
    if isinstance(frames, VideoReader):
        return UndistortedVideo(frames, K, dist)
    maps = undistortion_maps(K, dist, tuple(frames.shape[1:3]))
    out = np.empty_like(frames)  # written in place: one copy of the video beside the recorded frames, not two
    for frame, into in zip(frames, out):
        remap(frame, maps, into)
    return out


def undistortion_maps(K: np.ndarray, dist: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """For frames of ``size`` (H, W): for each pixel of the pinhole image, where to read the recorded one (x, y maps,
    (H, W) float32 each)."""
    H, W = size
    K64 = np.asarray(K, np.float64)
    return cv2.initUndistortRectifyMap(K64, np.asarray(dist, np.float64), None, K64, (W, H), cv2.CV_32FC1)


def remap(frame: np.ndarray, maps: tuple[np.ndarray, np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """One (H, W, 3) frame resampled by :func:`undistortion_maps` (bilinear; black where nothing was recorded),
    into ``out`` (a contiguous (H, W, 3) uint8 array) where given."""
    return cv2.remap(np.ascontiguousarray(frame), *maps, cv2.INTER_LINEAR, dst=out, borderMode=cv2.BORDER_CONSTANT)


class UndistortedVideo(VideoReader):
    """The frames of a distorting camera as the pinhole camera K would record them, resampled on demand.

    Example:
        >>> from pathlib import Path
        >>> class Grey(VideoReader):
        ...     def __len__(self): return 3
        ...     def _frame(self, index): return np.full((40, 60, 3), 200, np.uint8)
        >>> K = np.array([[50.0, 0, 29.5], [0, 50, 19.5], [0, 0, 1]])
        >>> video = UndistortedVideo(Grey(Path("grey"), 30.0, (40, 60)), K, np.array([0.1, 0, 0, 0]))
        >>> len(video), video[0].shape, int(video[0][20, 30, 0])  # pincushion: the corners are cut, the centre kept
        (3, (40, 60, 3), 200)
    """

    def __init__(self, reader: VideoReader, K: np.ndarray, dist: np.ndarray) -> None:
        super().__init__(reader.path, reader.fps, reader.size, fps_known=reader.fps_known,
                         rate_given=reader.rate_given)
        self.rotation, self.listed_frames = reader.rotation, reader.listed_frames
        self.reader = reader
        self.maps = undistortion_maps(K, dist, reader.size)

    def __len__(self) -> int:
        return len(self.reader)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, undistorted from {type(self.reader).__name__})"

    def _frame(self, index: int) -> np.ndarray:
        return remap(self.reader[index], self.maps)

    def times_ms(self, start: int, stop: int) -> np.ndarray | None:
        """The reader's presentation times of frames ``[start, stop)``, ms."""
        return self.reader.times_ms(start, stop)

    def close(self) -> None:
        """Leaves the reader open: whoever opened it closes it."""
