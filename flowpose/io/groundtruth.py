"""Ground truth of a video (``gt.npz``): the true 3D joints, and for a synthetic video (``flowpose synth``) its
dense flow and masks too."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.io.npz import read_npz, write_npz
from flowpose.io.poses import check_readable
from flowpose.joint_map import to_h36m17
from flowpose.pose import check_intrinsics
from flowpose.reprs import short_repr
from flowpose.skeleton import get_skeleton

REQUIRED_KEYS = ("joints3d",)
"""What every ground truth has: the true 3D joints."""
FLOW_KEYS = ("flow", "flow_valid", "human_mask")
"""Dense flow ground truth, for EPE: all three or none."""
OPTIONAL_KEYS = ("joints2d", "K", *FLOW_KEYS)
"""The other arrays of a ground-truth file (with ``fps`` and ``skeleton``)."""


@dataclass(frozen=True)
class GroundTruth:
    """The true poses of one video, and where known its dense flow and masks, validated on construction.

    ``flowpose synth`` writes every field. Real video's ground truth (motion capture, triangulation) is usually
    the 3D joints alone: MPJPE, PA-MPJPE, acceleration error and swaps are measured with ``joints3d`` alone, EPE
    only with ``flow``, ``flow_valid`` and ``human_mask`` (and the EPE at the joints with ``joints2d`` too).

    Attributes:
        joints3d: (T, J, 3) float32 joints in metres, camera frame (OpenCV); NaN where not known.
        joints2d: (T, J, 2) float32 projected joints in pixels, or None.
        K: (3, 3) or (T, 3, 3) float32 intrinsics, or None.
        flow: (T-1, H, W, 2) float32 forward flow in pixels, frame t -> t+1, or None.
        flow_valid: (T-1, H, W) bool, pixels whose flow is meaningful (not occluded at t+1, inside the image),
            or None.
        human_mask: (T, H, W) bool, pixels covered by the person, or None.
        fps: frames per second, or None (not known).
        skeleton: registry name of the joint layout (an addition to DESIGN.md's keys; default ``"h36m17"``).
    """

    joints3d: np.ndarray
    joints2d: np.ndarray | None = None
    K: np.ndarray | None = None
    flow: np.ndarray | None = None
    flow_valid: np.ndarray | None = None
    human_mask: np.ndarray | None = None
    fps: float | None = None
    skeleton: str = "h36m17"

    __repr__ = short_repr

    def __post_init__(self) -> None:
        self.validate()

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.joints3d.shape[0])

    @property
    def image_size(self) -> tuple[int, int] | None:
        """(H, W) of the dense ground truth; None without it."""
        return None if self.human_mask is None else (int(self.human_mask.shape[1]), int(self.human_mask.shape[2]))

    @property
    def has_flow(self) -> bool:
        """Whether the dense flow ground truth (flow, its validity and the person's mask) is given."""
        return self.flow is not None

    def frames(self, start: int, stop: int) -> GroundTruth:
        """The ground truth of frames ``[start, stop)`` (its flow: of the pairs among them)."""

        def cut(a: np.ndarray | None, pairs: bool = False) -> np.ndarray | None:
            return None if a is None else a[start : stop - 1] if pairs else a[start:stop]

        K = self.K if self.K is None or self.K.ndim == 2 else self.K[start:stop]
        return GroundTruth(
            joints3d=self.joints3d[start:stop], joints2d=cut(self.joints2d), K=K, flow=cut(self.flow, pairs=True),
            flow_valid=cut(self.flow_valid, pairs=True), human_mask=cut(self.human_mask), fps=self.fps,
            skeleton=self.skeleton,
        )

    def as_h36m17(self) -> GroundTruth:
        """The same ground truth in Human3.6M-17 joints, which flowpose refines (:func:`flowpose.joint_map.to_h36m17`);
        joints the skeleton cannot give (a head top) are NaN, not scored. Itself when already H36M-17."""
        if self.skeleton == "h36m17":
            return self
        joints2d = None if self.joints2d is None else to_h36m17(self.joints2d, self.skeleton, missing="nan")
        return replace(self, joints3d=to_h36m17(self.joints3d, self.skeleton, missing="nan"), joints2d=joints2d,
                       skeleton="h36m17")

    def video_problem(self, num_frames: int, image_size: tuple[int, int] | None) -> str | None:
        """Why this cannot be the ground truth of a video of ``num_frames`` frames of ``image_size`` (H, W) px
        (None: the size is not known); None when it can."""
        if self.num_frames != num_frames:
            return f"ground truth has {self.num_frames} frames but the video has {num_frames}"
        if image_size is not None and self.image_size is not None and self.image_size != tuple(image_size):
            (h, w), (H, W) = self.image_size, image_size
            return f"its flow and mask are {w}x{h} px but the video's frames are {W}x{H}"
        return None

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
        given = [k for k in FLOW_KEYS if getattr(self, k) is not None]
        if given and len(given) < len(FLOW_KEYS):
            missing = [k for k in FLOW_KEYS if k not in given]
            raise InputError(f"{where}{', '.join(FLOW_KEYS)} go together (dense flow ground truth): got "
                             f"{', '.join(given)} without {', '.join(missing)}")
        expected: dict[str, tuple[int, ...]] = {"joints2d": (T, J, 2)}
        if given:
            mask = np.asarray(self.human_mask)
            if mask.ndim != 3 or mask.shape[0] != T:
                raise ShapeError("human_mask", f"({T}, H, W)", mask.shape, source)
            H, W = mask.shape[1:]
            expected.update(flow=(T - 1, H, W, 2), flow_valid=(T - 1, H, W))
        for name, shape in expected.items():
            actual = None if getattr(self, name) is None else np.shape(getattr(self, name))
            if actual is not None and actual != shape:
                raise ShapeError(name, str(shape), actual, source)
        for name in ("flow_valid", "human_mask") if given else ():
            arr = np.asarray(getattr(self, name))
            if arr.dtype != bool and not (arr.dtype.kind in "iu" and np.isin(arr, (0, 1)).all()):
                raise InputError(f"{where}{name} must be boolean (or 0/1 integers), got {arr.dtype}")
            object.__setattr__(self, name, arr.astype(bool, copy=False))
        if self.K is not None:
            K = np.asarray(self.K, dtype=np.float32)
            if K.shape not in ((3, 3), (T, 3, 3)):
                raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", K.shape, source)
            check_intrinsics(K, where)
            object.__setattr__(self, "K", K)
        skel = get_skeleton(self.skeleton)
        if skel.num_joints != J:
            raise InputError(
                f"{where}skeleton {self.skeleton!r} has {skel.num_joints} joints, joints3d has {J}"
            )
        if self.fps is not None:
            if not np.isfinite(self.fps) or self.fps <= 0:
                raise InputError(f"{where}fps must be a positive number, got {self.fps}")
            object.__setattr__(self, "fps", float(self.fps))
        for name in ("joints3d", "joints2d", "flow"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float32))

def load_gt(path: str | os.PathLike[str]) -> GroundTruth:
    """Load a ground-truth ``.npz``: ``joints3d``, and any of ``joints2d``, ``K``, ``flow``, ``flow_valid``,
    ``human_mask``, ``fps``, ``skeleton``. A flowpose pose file serves too (its joints of confidence 0 are taken
    as not known).

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
    if Path(path).suffix.lower() == ".trc":
        raise InputError(f"{path}: a TRC marker file is in its capture's world, and needs the camera's place in it: "
                         "flowpose refine --gt FILE.trc --intrinsics CALIBRATION; in Python, "
                         "flowpose.io.trc_import.trc_ground_truth(path, frame)")
    p = check_readable(path, (".npz",), "ground-truth file")
    data = read_npz(p, "ground-truth file")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise InputError(f"{p}: missing key {missing[0]!r}; a ground-truth file needs {list(REQUIRED_KEYS)} "
                         f"(and may have {', '.join(OPTIONAL_KEYS)}, fps, skeleton)")
    fps, skeleton = data.get("fps"), np.asarray(data.get("skeleton", "h36m17"))
    if fps is not None and (np.ndim(fps) != 0 or np.asarray(fps).dtype.kind not in "iuf"):
        raise InputError(f"{p}: fps must be a number, got {np.asarray(fps).dtype} array of shape {np.shape(fps)}")
    if skeleton.ndim != 0 or skeleton.dtype.kind != "U":
        raise InputError(f"{p}: skeleton must be a name (text), got {skeleton.dtype}, shape {skeleton.shape}")
    arrays = {k: data.get(k) for k in (*REQUIRED_KEYS, *OPTIONAL_KEYS)}
    conf = data.get("conf")  # a pose file's: its joints of confidence 0 are filled in, not known
    if conf is not None and np.shape(conf) == np.shape(arrays["joints3d"])[:2]:
        arrays["joints3d"] = np.where((np.asarray(conf) > 0)[..., None], arrays["joints3d"], np.nan)
    try:
        return GroundTruth(**arrays, fps=None if fps is None else float(fps), skeleton=str(skeleton))
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
    arrays = {k: getattr(gt, k) for k in (*REQUIRED_KEYS, *OPTIONAL_KEYS) if getattr(gt, k) is not None}
    rate = {} if gt.fps is None else {"fps": np.float64(gt.fps)}
    write_npz(p, {**arrays, **rate, "skeleton": np.str_(gt.skeleton)})
