"""Ground truth of a synthetic video (``gt.npz`` from ``flowpose synth``): poses, dense flow and masks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.io.npz import read_npz, write_npz
from flowpose.io.poses import check_readable
from flowpose.pose import check_intrinsics
from flowpose.reprs import short_repr
from flowpose.skeleton import get_skeleton

REQUIRED_KEYS = ("joints3d", "joints2d", "K", "flow", "flow_valid", "human_mask", "fps")


@dataclass(frozen=True)
class GroundTruth:
    """Exact poses, flow and masks of one video, validated on construction.

    Attributes:
        joints3d: (T, J, 3) float32 joints in metres, camera frame (OpenCV).
        joints2d: (T, J, 2) float32 projected joints in pixels.
        K: (3, 3) or (T, 3, 3) float32 intrinsics.
        flow: (T-1, H, W, 2) float32 forward flow in pixels, frame t -> t+1.
        flow_valid: (T-1, H, W) bool, pixels whose flow is meaningful (not occluded at t+1, inside the image).
        human_mask: (T, H, W) bool, pixels covered by the person.
        fps: frames per second.
        skeleton: registry name of the joint layout (an addition to DESIGN.md's keys; default ``"h36m17"``).
    """

    joints3d: np.ndarray
    joints2d: np.ndarray
    K: np.ndarray
    flow: np.ndarray
    flow_valid: np.ndarray
    human_mask: np.ndarray
    fps: float
    skeleton: str = "h36m17"

    __repr__ = short_repr

    def __post_init__(self) -> None:
        self.validate()

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.joints3d.shape[0])

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W)."""
        return int(self.human_mask.shape[1]), int(self.human_mask.shape[2])

    def validate(self, source: str | None = None) -> None:
        """Check shapes, dtypes and values, converting arrays to their documented dtypes.

        Args:
            source: the file the ground truth came from, named in errors.

        Raises:
            ShapeError: for a wrong or inconsistent shape.
            InputError: for a mask that is not boolean, a bad K, fps or skeleton.
        """
        where = f"{source}: " if source else ""
        j3 = np.asarray(self.joints3d)
        if j3.ndim != 3 or j3.shape[-1] != 3 or j3.shape[0] < 1:
            raise ShapeError("joints3d", "(T, J, 3) with T >= 1", j3.shape, source)
        T, J, _ = j3.shape
        mask = np.asarray(self.human_mask)
        if mask.ndim != 3 or mask.shape[0] != T:
            raise ShapeError("human_mask", f"({T}, H, W)", mask.shape, source)
        H, W = mask.shape[1:]
        expected = {
            "joints2d": (T, J, 2),
            "flow": (T - 1, H, W, 2),
            "flow_valid": (T - 1, H, W),
            "human_mask": (T, H, W),
        }
        for name, shape in expected.items():
            actual = np.shape(getattr(self, name))
            if actual != shape:
                raise ShapeError(name, str(shape), actual, source)
        for name in ("flow_valid", "human_mask"):
            arr = np.asarray(getattr(self, name))
            if arr.dtype != bool and not (arr.dtype.kind in "iu" and np.isin(arr, (0, 1)).all()):
                raise InputError(f"{where}{name} must be boolean (or 0/1 integers), got {arr.dtype}")
            object.__setattr__(self, name, arr.astype(bool, copy=False))
        K = np.asarray(self.K, dtype=np.float32)
        if K.shape not in ((3, 3), (T, 3, 3)):
            raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", K.shape, source)
        check_intrinsics(K, where)
        skel = get_skeleton(self.skeleton)
        if skel.num_joints != J:
            raise InputError(
                f"{where}skeleton {self.skeleton!r} has {skel.num_joints} joints, joints3d has {J}"
            )
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise InputError(f"{where}fps must be a positive number, got {self.fps}")
        for name in ("joints3d", "joints2d", "flow"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float32))
        object.__setattr__(self, "K", K)
        object.__setattr__(self, "fps", float(self.fps))


def load_gt(path: str | os.PathLike[str]) -> GroundTruth:
    """Load a ground-truth ``.npz``.

    Args:
        path: the ``gt.npz`` file.

    Returns:
        The validated :class:`GroundTruth`.

    Raises:
        InputError: whose message starts with the path, for a missing, unreadable or corrupt file, a missing
            key, a wrong shape or a bad value.

    Example:
        >>> gt = load_gt("out/gt.npz")  # doctest: +SKIP
        >>> gt.flow.shape  # doctest: +SKIP
        (31, 256, 256, 2)
    """
    p = check_readable(path, (".npz",), "ground-truth file")
    data = read_npz(p, "ground-truth file")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise InputError(f"{p}: missing key {missing[0]!r}; a ground-truth file needs {list(REQUIRED_KEYS)}")
    fps, skeleton = np.asarray(data["fps"]), np.asarray(data.get("skeleton", "h36m17"))
    if fps.ndim != 0 or fps.dtype.kind not in "iuf":
        raise InputError(f"{p}: fps must be a number, got {fps.dtype} array of shape {fps.shape}")
    if skeleton.ndim != 0 or skeleton.dtype.kind != "U":
        raise InputError(f"{p}: skeleton must be a name (text), got {skeleton.dtype}, shape {skeleton.shape}")
    arrays = {k: data[k] for k in REQUIRED_KEYS if k != "fps"}
    try:
        return GroundTruth(**arrays, fps=float(fps), skeleton=str(skeleton))
    except ShapeError as e:
        raise ShapeError(e.name, e.expected, e.actual, str(p)) from None
    except InputError as e:
        raise InputError(f"{p}: {e}") from None


def save_gt(gt: GroundTruth, path: str | os.PathLike[str]) -> None:
    """Write ground truth as a compressed ``.npz``, atomically and byte-reproducibly.

    Args:
        gt: the ground truth.
        path: destination ending in ``.npz``.

    Raises:
        InputError: for another suffix.
    """
    p = Path(path)
    if p.suffix.lower() != ".npz":
        raise InputError(f"{p}: expected a ground-truth file ending in .npz, got {p.suffix or 'no suffix'!r}")
    arrays = {k: getattr(gt, k) for k in REQUIRED_KEYS if k != "fps"}
    write_npz(p, {**arrays, "fps": np.float64(gt.fps), "skeleton": np.str_(gt.skeleton)})
