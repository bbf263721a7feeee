"""The common result of the pose-benchmark loaders: one video's ground truth in flowpose's conventions.

Also the one place where benchmark files are unpickled. Pickle runs code chosen by whoever wrote the file,
so these loaders must only be given files from a source you trust (the official dataset downloads).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.io.npz import PICKLE_ERRORS, READ_ERRORS, open_npz
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17


@dataclass(frozen=True)
class BenchmarkSequence:
    """Ground truth of one benchmark video (one person, one camera), validated on construction.

    Attributes:
        name: where it came from, e.g. ``"h36m/S9/Walking/54138969"`` or ``"3dpw/downtown_walking_00/p0"``.
        gt_joints3d: (T, 17, 3) float32 H36M-17 joints in metres, camera frame (OpenCV: x right, y down,
            z forward); NaN for joints the dataset does not give (e.g. 3DPW has no head top).
        K: (3, 3) float32 pinhole intrinsics in pixels (lens distortion, if any, is not modelled).
        joints2d: (T, 17, 2) float32 pixel keypoints that come with the dataset (ground truth or a
            detector's, see the loader), NaN where missing; or None.
        conf2d: (T, 17) float32 confidences of ``joints2d`` in [0, 1], or None (not given).
        fps: frames per second.
        valid: (T,) bool, frames whose ground truth may be used (3DPW's ``campose_valid``), or None (all).
        image_size: (H, W) of the video frames in pixels, or None where the files do not say.
    """

    name: str
    gt_joints3d: np.ndarray
    K: np.ndarray
    joints2d: np.ndarray | None
    fps: float
    conf2d: np.ndarray | None = None
    valid: np.ndarray | None = None
    image_size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        j3 = np.asarray(self.gt_joints3d, np.float32)
        if j3.ndim != 3 or j3.shape[1:] != (H36M17.num_joints, 3) or j3.shape[0] < 1:
            raise ShapeError("gt_joints3d", "(T, 17, 3) with T >= 1", j3.shape, self.name)
        T = j3.shape[0]
        K = np.asarray(self.K, np.float32)
        if K.shape != (3, 3):
            raise ShapeError("K", "(3, 3)", K.shape, self.name)
        fields: dict[str, Any] = {"gt_joints3d": j3, "K": K, "fps": float(self.fps)}
        for key, shape, dtype in (("joints2d", (T, 17, 2), np.float32), ("conf2d", (T, 17), np.float32),
                                  ("valid", (T,), bool)):
            value = getattr(self, key)
            if value is not None:
                value = np.asarray(value, dtype)
                if value.shape != shape:
                    raise ShapeError(key, str(shape), value.shape, self.name)
                fields[key] = value
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise InputError(f"{self.name}: fps must be a positive number, got {self.fps}")
        for key, value in fields.items():
            object.__setattr__(self, key, value)

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.gt_joints3d.shape[0])

    def as_pose_sequence(self) -> PoseSequence:
        """The ground truth as a :class:`~flowpose.pose.PoseSequence` (e.g. to write it as a pose file)."""
        return PoseSequence(
            joints3d=self.gt_joints3d, K=self.K, joints2d=self.joints2d, conf=self.conf2d, skeleton="h36m17",
            fps=self.fps,
        )


def load_trusted_pickle(path: Path, what: str) -> Any:
    """Unpickle a benchmark file (Python 2 pickles too, decoding byte strings as latin1, as 3DPW needs).

    Only call this on files from a trusted source: unpickling can run arbitrary code.

    Args:
        path: an existing file.
        what: what the file should be, for messages.

    Returns:
        The unpickled object.

    Raises:
        InputError: naming the path, for a file that is not a readable pickle.
    """
    try:
        with open(path, "rb") as f:
            return pickle.load(f, encoding="latin1")
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError,
            ValueError, OSError) as e:
        raise InputError(f"{path}: not a readable {what} (corrupt or not a pickle?): {e}") from None


def load_trusted_npz_object(path: Path, key: str, what: str, *, required: bool = True) -> Any:
    """Read one pickled object (e.g. a dict saved by ``np.savez``) from an ``.npz`` file.

    This needs ``allow_pickle=True``, so, as with :func:`load_trusted_pickle`, only use trusted files.

    Args:
        path: an existing ``.npz`` file.
        key: the array to read.
        what: what the file should be, for messages.
        required: whether a missing ``key`` is an error (else None is returned).

    Returns:
        The object inside the 0-d object array (``array.item()``), or the array itself if it is not 0-d.

    Raises:
        InputError: naming the path, for an unreadable archive or a missing key.
    """
    with open_npz(path, what, allow_pickle=True) as data:
        if key not in data.files:
            if not required:
                return None
            raise InputError(f"{path}: missing key {key!r}; a {what} has it, this file has {data.files}")
        try:
            value = data[key]
        except READ_ERRORS + PICKLE_ERRORS as e:
            raise InputError(f"{path}: cannot read {key!r} of this {what} (corrupt?): {e}") from None
    return value.item() if value.ndim == 0 else value
