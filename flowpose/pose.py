"""The pose sequence: what an estimator gives for a video and what refinement returns."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.reprs import short_repr
from flowpose.skeleton import Skeleton, get_skeleton

MIN_DEPTH_M = 0.05
"""Observed joints must lie at least this far in front of the camera (z, metres)."""
MAX_BODY_EXTENT_M = 5.0
"""No observed joint may lie farther than this from its frame's median joint (metres): a larger body is a
unit error (millimetres or centimetres read as metres) or a broken estimate."""
MAX_COORD = 1e6
"""Bound on any coordinate (metres or pixels) and on the focal lengths (pixels): beyond it the optimiser's
arithmetic overflows."""
DISTORTION_COUNTS = (4, 5, 8, 12, 14)
"""How many lens distortion coefficients OpenCV's camera model takes (k1, k2, p1, p2[, k3[, k4, k5, k6[, ...]]])."""


@dataclass(frozen=True)
class PoseSequence:
    """Per-frame 3D joints of one person in the camera frame, with the camera and optional 2D keypoints.

    Missing joints may be NaN in ``joints3d``/``joints2d``; refinement treats them as unobserved.

    Attributes:
        joints3d: (T, J, 3) float32, metres, camera frame (OpenCV: x right, y down, z forward).
        K: (3, 3) or (T, 3, 3) intrinsics in pixels.
        joints2d: (T, J, 2) float32 pixel keypoints, or None (then the projection of ``joints3d`` is used).
        conf: (T, J) float32 detection confidence in [0, 1], or None (all ones). Where ``joints2d`` is NaN and
            ``joints3d`` is not, it is the 3D joint's confidence alone (the 2D is unobserved).
        skeleton: registry name of the joint layout (see :mod:`flowpose.skeleton`).
        fps: frames per second.
        first_frame: the video frame of row 0 when known (``--start`` of a segment; 0 for a whole video), or
            None (files of other tools). Poses of one segment are refused for another.
        times: (T,) float64 seconds, each frame's presentation time, strictly increasing, for a video whose
            frames are not evenly spaced (a variable frame rate); None: evenly spaced at ``fps``. The pose
            stage's temporal terms take each interval's own length from it (:meth:`intervals`).
        dist: (n,) float64 lens distortion coefficients of the camera, OpenCV's order (k1, k2, p1, p2[, k3,
            ...]), with one (3, 3) K; None: a pinhole camera. ``joints2d`` are pixels of the video as recorded,
            so distorted; ``joints3d`` project onto them through K and ``dist`` (:mod:`flowpose.lens`).
        world: (3, 4) float64 ``[R | t]``, the camera's place in a world with Z up and the floor at z = 0
            (``x_cam = R x_world + t``, metres), where the poses were stood on that floor (``refine --floor``);
            exports write in it. None: unknown.
    """

    joints3d: np.ndarray
    K: np.ndarray
    joints2d: np.ndarray | None = None
    conf: np.ndarray | None = None
    skeleton: str = "h36m17"
    fps: float = 30.0
    first_frame: int | None = None
    times: np.ndarray | None = None
    dist: np.ndarray | None = None
    world: np.ndarray | None = None

    __repr__ = short_repr

    def __post_init__(self) -> None:
        self.validate()

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.joints3d.shape[0])

    @property
    def num_joints(self) -> int:
        """J."""
        return int(self.joints3d.shape[1])

    @property
    def skel(self) -> Skeleton:
        """The :class:`Skeleton` named by ``skeleton``."""
        return get_skeleton(self.skeleton)

    def intervals(self) -> np.ndarray:
        """(T - 1,) float64 seconds between consecutive frames: from ``times``, or ``1 / fps`` each.

        Example:
            >>> PoseSequence(np.ones((3, 17, 3)), np.eye(3), fps=50.0).intervals()
            array([0.02, 0.02])
        """
        if self.times is not None:
            return np.diff(self.times)
        return np.full(self.num_frames - 1, 1.0 / self.fps)

    def K_per_frame(self) -> np.ndarray:
        """(T, 3, 3) intrinsics, repeating a shared K."""
        K = np.asarray(self.K, dtype=np.float32)
        return np.broadcast_to(K, (self.num_frames, 3, 3)).copy() if K.ndim == 2 else K

    def confidence(self) -> np.ndarray:
        """(T, J) confidences, ones where none were given, zero where a joint is NaN."""
        conf = np.ones((self.num_frames, self.num_joints), np.float32) if self.conf is None else self.conf.copy()
        missing = ~np.isfinite(self.joints3d).all(-1)
        if self.joints2d is not None:
            missing |= ~np.isfinite(self.joints2d).all(-1)
        conf[missing] = 0.0
        return np.nan_to_num(conf, nan=0.0)

    def with_joints3d(self, joints3d: np.ndarray) -> "PoseSequence":
        """A copy with other 3D joints of the same shape (T, J, 3), e.g. the optimiser's.

        Only the shape is checked: the plausibility checks of :meth:`validate` (depth, body size) guard what
        enters flowpose, and a refinement that has run is returned, never refused after the fact. A joint that is
        NaN here was not measured, so the copy gives it confidence 0 whatever ``conf`` said (a pose file may hold
        NaN joints of confidence 1, or no ``conf``): filled in, it must not read as observed.

        Raises:
            ShapeError: for another shape than ``joints3d``'s.
        """
        new = np.asarray(joints3d, np.float32)
        if new.shape != self.joints3d.shape:
            raise ShapeError("joints3d", str(self.joints3d.shape), new.shape)
        out = copy.copy(self)
        object.__setattr__(out, "joints3d", new)
        unmeasured = ~np.isfinite(self.joints3d).all(-1)
        if unmeasured.any():
            conf = np.ones(unmeasured.shape, np.float32) if self.conf is None else self.conf.copy()
            conf[unmeasured] = 0.0
            object.__setattr__(out, "conf", conf)
        return out

    def with_lens(self, joints2d: np.ndarray | None, dist: np.ndarray | None) -> "PoseSequence":
        """A copy with other 2D keypoints of the same shape (T, J, 2) (or None) and another lens distortion ``dist``
        (checked, or None): :func:`flowpose.lens.through_lens` gives refined poses back to their camera with it.

        Like :meth:`with_joints3d`, it checks no more than that: refined poses are returned, never refused after
        the fact.

        Raises:
            ShapeError: for keypoints of another shape than (T, J, 2).
            InputError: for a ``dist`` that is not OpenCV's coefficients, or with a K per frame.
        """
        T, J = self.joints3d.shape[:2]
        if joints2d is not None and np.shape(joints2d) != (T, J, 2):
            raise ShapeError("joints2d", f"({T}, {J}, 2)", np.shape(joints2d))
        if dist is not None and self.K.ndim != 2:
            raise InputError(f"dist (lens distortion) needs one K for all frames, got K of shape {self.K.shape}")
        out = copy.copy(self)
        object.__setattr__(out, "joints2d", None if joints2d is None else np.asarray(joints2d, np.float32))
        object.__setattr__(out, "dist", None if dist is None else checked_distortion(dist))
        return out

    def slice(self, start: int, stop: int | None = None) -> "PoseSequence":
        """The frames ``[start, stop)``, with every per-frame field cut (K too when it is per frame).

        The arrays are views of this sequence's, not copies.

        Args:
            start: first frame kept, 0 <= start < T.
            stop: one past the last frame kept, start < stop <= T; None for T.

        Returns:
            A :class:`PoseSequence` of ``stop - start`` frames with the same skeleton and fps; its
            ``first_frame`` is this one's plus ``start`` (None stays None), its ``times`` this one's cut.

        Raises:
            InputError: for a range that is empty or not within [0, T].

        Example:
            >>> seq = PoseSequence(np.ones((5, 17, 3)), np.eye(3))
            >>> seq.slice(1, 3).num_frames
            2
        """
        T = self.num_frames
        stop = T if stop is None else stop
        if not 0 <= start < stop <= T:
            raise InputError(
                f"frames [{start}, {stop}) are not a non-empty range within the sequence's {T} frames; "
                f"need 0 <= start < stop <= {T}"
            )
        cut = lambda a: None if a is None else a[start:stop]  # noqa: E731
        return replace(
            self,
            joints3d=self.joints3d[start:stop],
            K=self.K if self.K.ndim == 2 else self.K[start:stop],
            joints2d=cut(self.joints2d),
            conf=cut(self.conf),
            first_frame=None if self.first_frame is None else self.first_frame + start,
            times=cut(self.times),
        )

    def validate(self, source: str | None = None) -> None:
        """Check shapes, dtypes and values.

        Args:
            source: the file the sequence came from, named in errors.

        Raises:
            ShapeError: for a wrong shape.
            InputError: for an unknown skeleton, a joint count that does not match it, a bad K, fps or times.
        """
        where = f"{source}: " if source else ""
        j3 = self.joints3d
        if not isinstance(j3, np.ndarray) or j3.ndim != 3 or j3.shape[-1] != 3 or j3.shape[0] < 1:
            raise ShapeError("joints3d", "(T, J, 3) with T >= 1", np.shape(j3), source)
        T, J, _ = j3.shape
        object.__setattr__(self, "joints3d", j3.astype(np.float32, copy=False))
        skel = get_skeleton(self.skeleton)
        if skel.num_joints != J:
            raise InputError(f"{where}skeleton {self.skeleton!r} has {skel.num_joints} joints, joints3d has {J}")
        K = np.asarray(self.K, dtype=np.float32)
        if K.shape not in ((3, 3), (T, 3, 3)):
            raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", K.shape, source)
        check_intrinsics(K, where)
        object.__setattr__(self, "K", K)
        check_joints3d(self.joints3d, where)
        if self.joints2d is not None:
            j2 = np.asarray(self.joints2d, dtype=np.float32)
            if j2.shape != (T, J, 2):
                raise ShapeError("joints2d", f"({T}, {J}, 2)", j2.shape, source)
            if np.isinf(j2).any() or (np.abs(np.nan_to_num(j2)) > MAX_COORD).any():
                raise InputError(f"{where}joints2d must be finite pixel coordinates (NaN for missing) within "
                                 f"±{MAX_COORD:g} px")
            object.__setattr__(self, "joints2d", j2)
        if self.conf is not None:
            c = np.asarray(self.conf, dtype=np.float32)
            if c.shape != (T, J):
                raise ShapeError("conf", f"({T}, {J})", c.shape, source)
            if (np.nan_to_num(c) < 0).any() or (np.nan_to_num(c) > 1).any():
                raise InputError(f"{where}conf must lie in [0, 1]")
            object.__setattr__(self, "conf", c)
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise InputError(f"{where}fps must be a positive number, got {self.fps}")
        first = self.first_frame
        if first is not None:
            if isinstance(first, (bool, np.bool_)) or not isinstance(first, (int, np.integer)) or first < 0:
                raise InputError(f"{where}first_frame must be a frame number >= 0, got {first!r}")
            object.__setattr__(self, "first_frame", int(first))
        if self.times is not None:
            object.__setattr__(self, "times", checked_times(self.times, T, source))
        if self.dist is not None:
            if K.ndim != 2:
                raise InputError(f"{where}dist (lens distortion) needs one K for all frames, got K of shape {K.shape}")
            object.__setattr__(self, "dist", checked_distortion(self.dist, where))
        if self.world is not None:
            object.__setattr__(self, "world", checked_world(self.world, where))


def checked_world(world: object, where: str = "") -> np.ndarray:
    """A camera's place ``[R | t]`` as (3, 4) float64, R a rotation (``R R^T = I``, ``det R = 1``, to 1e-3).

    Raises:
        InputError: for another shape, values that are not finite numbers, or an R that is not a rotation.
    """
    try:
        w = np.asarray(world, np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{where}world must be numbers ([R | t], 3 x 4), got {str(world)[:80]}") from None
    if w.shape != (3, 4) or not np.isfinite(w).all():
        raise InputError(f"{where}world must be the camera's place [R | t]: 3 x 4 finite numbers, got shape {w.shape}")
    if not is_rotation(w[:, :3]):
        raise InputError(f"{where}world's R is not a rotation (R R^T = I and det R = 1 expected), got "
                         f"{w[:, :3].tolist()}")
    return w


def is_rotation(R: np.ndarray) -> bool:
    """Whether a (3, 3) matrix is a rotation to 1e-3: ``R R^T = I`` and ``det R = 1`` (not a mirror)."""
    R = np.asarray(R, np.float64)
    return bool(np.abs(R @ R.T - np.eye(3)).max() <= 1e-3 and np.linalg.det(R) > 0)


def checked_distortion(dist: object, where: str = "") -> np.ndarray:
    """Lens distortion coefficients as (n,) float64, OpenCV's order, n in :data:`DISTORTION_COUNTS`.

    Raises:
        InputError: for another count, or numbers that are not finite.

    Example:
        >>> checked_distortion([-0.1, 0.01, 0, 0]).tolist()
        [-0.1, 0.01, 0.0, 0.0]
    """
    try:
        d = np.asarray(dist, np.float64).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{where}lens distortion must be numbers, got {str(dist)[:80]}") from None
    if d.size not in DISTORTION_COUNTS or not np.isfinite(d).all():
        counts = ", ".join(map(str, DISTORTION_COUNTS[:-1])) + f" or {DISTORTION_COUNTS[-1]}"
        raise InputError(
            f"{where}lens distortion must be {counts} finite numbers (OpenCV's order k1, k2, p1, p2, k3, ...), "
            f"got {d.size}: {d.tolist()[:14]}"
        )
    return d


def checked_times(times: np.ndarray, T: int, source: str | None = None) -> np.ndarray:
    """``times`` as (T,) float64 seconds, each frame's presentation time (a variable frame rate).

    Raises:
        ShapeError: for another shape.
        InputError: for times that are not finite or do not increase from frame to frame.
    """
    where = f"{source}: " if source else ""
    times = np.asarray(times, np.float64)
    if times.shape != (T,):
        raise ShapeError("times", f"({T},)", times.shape, source)
    if not np.isfinite(times).all() or (np.diff(times) <= 0).any():
        raise InputError(f"{where}times must be finite seconds that increase from frame to frame, got "
                         f"{np.array2string(times[:6], precision=4)}{' ...' if T > 6 else ''}")
    return times


def check_intrinsics(K: np.ndarray, where: str = "") -> None:
    """Check pinhole intrinsics: finite, upper triangular with last row (0, 0, 1), focal lengths in
    (0, :data:`MAX_COORD`] px. Such a K is invertible.

    Args:
        K: (3, 3) or (T, 3, 3).
        where: prefix of the message (``"file: "``).

    Raises:
        InputError: naming what is wrong and the value got.

    Example:
        >>> check_intrinsics(np.eye(3))
        >>> check_intrinsics(np.ones((3, 3)))
        Traceback (most recent call last):
        ...
        flowpose.errors.InputError: K must be a pinhole camera matrix [[fx, s, cx], [0, fy, cy], [0, 0, 1]], got [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    K = np.asarray(K, np.float64)
    bad = next(iter(K.reshape(-1, 3, 3)), K)
    if not np.isfinite(K).all():
        raise InputError(f"{where}K must be finite, got {bad.tolist()}")
    lower = K[..., [1, 2, 2], [0, 0, 1]]
    if (lower != 0).any() or (K[..., 2, 2] != 1).any():
        bad = K.reshape(-1, 3, 3)[int(np.argmax((lower != 0).any(-1).ravel() | (K[..., 2, 2] != 1).ravel()))]
        raise InputError(
            f"{where}K must be a pinhole camera matrix [[fx, s, cx], [0, fy, cy], [0, 0, 1]], got {bad.tolist()}"
        )
    focal = K[..., [0, 1], [0, 1]]
    if (focal <= 0).any() or (focal > MAX_COORD).any() or (np.abs(K[..., :2, 2]) > MAX_COORD).any():
        raise InputError(
            f"{where}K must have focal lengths in (0, {MAX_COORD:g}] px and a principal point within "
            f"±{MAX_COORD:g} px, got fx, fy = {focal.reshape(-1, 2)[0].tolist()}"
        )


def check_joints3d(joints3d: np.ndarray, where: str = "") -> None:
    """Check the geometry of (T, J, 3) camera-frame joints in metres (NaN marks a missing joint).

    Observed joints must be finite, at least :data:`MIN_DEPTH_M` in front of the camera, and no farther than
    :data:`MAX_BODY_EXTENT_M` from their frame's median joint.

    Raises:
        InputError: naming the first bad frame and what was got.
    """
    j = np.asarray(joints3d, np.float64)
    if np.isinf(j).any():
        raise InputError(f"{where}joints3d must be finite metres (NaN for a missing joint), got inf")
    observed = np.isfinite(j).all(-1)
    if not observed.any():
        return
    if (np.abs(j[observed]) > MAX_COORD).any():
        raise InputError(f"{where}joints3d has coordinates beyond ±{MAX_COORD:g} m: not metres in the camera frame")
    depth = np.where(observed, j[..., 2], np.inf)
    if (depth < MIN_DEPTH_M).any():
        t = int(np.argwhere(depth < MIN_DEPTH_M)[0, 0])
        behind = (j[observed][:, 2] < 0).all()
        raise InputError(
            f"{where}joints3d must lie in front of the camera (z >= {MIN_DEPTH_M} m for every observed joint); "
            f"frame {t} has z = {float(np.min(depth[t])):.3g} m"
            + ("; every joint is behind it: is z backward, as in OpenGL's camera frame (flowpose's is x right, "
               "y down, z forward; flowpose import --axes RUB converts)?" if behind else "")
        )
    # Frames with no observed joint are left out of the median ("All-NaN slice"), not silenced by a
    # catch_warnings: that would reset Python's once-per-place registry, and every PoseSequence made would
    # let a warning already shown (a joint never observed) be shown again.
    seen = observed.any(1)
    centre = np.full((j.shape[0], 1, 3), np.nan)
    centre[seen] = np.nanmedian(np.where(observed[seen][..., None], j[seen], np.nan), axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        extent = np.where(observed, np.linalg.norm(j - centre, axis=-1), 0.0).max(-1)
    if (extent > MAX_BODY_EXTENT_M).any():
        t = int(np.argmax(extent))
        raise InputError(
            f"{where}joints3d spans {extent[t]:.3g} m around its centre in frame {t}, more than a body "
            f"({MAX_BODY_EXTENT_M:g} m): are the units millimetres or centimetres? Pose files hold metres"
        )
