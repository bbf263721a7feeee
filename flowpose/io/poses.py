"""Pose files: a :class:`~flowpose.pose.PoseSequence` as ``.npz`` or ``.json`` (the contract in DESIGN.md).

Keys: ``joints3d`` (T, J, 3) metres in the camera frame and ``K`` (3, 3) or (T, 3, 3), required; ``joints2d``
(T, J, 2) pixels, ``conf`` (T, J), ``skeleton`` (name, default ``"h36m17"``), ``fps`` (default 30),
``first_frame`` (the video frame of row 0), ``times`` (T,) seconds (a variable frame rate's timestamps) and
``dist`` (n,) the lens distortion of the camera (OpenCV's order; ``joints2d`` are then distorted pixels) and ``world``
(3, 4) ``[R | t]``, the camera's place over the floor the poses stand on, optional. JSON holds the same keys as
nested lists, with ``null`` for NaN.

Every problem with a file raises :class:`~flowpose.errors.InputError` whose message starts with the path.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.io.atomic import atomic_path
from flowpose.io.npz import read_npz, write_npz
from flowpose.pose import PoseSequence

REQUIRED_KEYS = ("joints3d", "K")
OPTIONAL_KEYS = ("joints2d", "conf", "skeleton", "fps", "first_frame", "times", "dist", "world", "written_by")
WRITER = "flowpose"
"""Value of the ``written_by`` key that :func:`save_poses` stores: ``--overwrite`` replaces only such files."""
SUFFIXES = (".npz", ".json")


def check_readable(path: str | os.PathLike[str], suffixes: tuple[str, ...], what: str) -> Path:
    """Check that ``path`` is an existing file with one of ``suffixes``.

    Args:
        path: the file to read.
        suffixes: accepted lower-case suffixes, e.g. ``(".npz",)``.
        what: what the file should be, for messages, e.g. ``"pose file"``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        InputError: if the file is missing, is a folder, or has another suffix.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file (expected a {what})")
    if not p.is_file():
        raise InputError(f"{p}: is a folder, expected a {what}")
    if p.suffix.lower() not in suffixes:
        got = p.suffix or "no suffix"
        raise InputError(f"{p}: expected a {what} ending in {' or '.join(suffixes)}, got {got!r}")
    return p


def load_poses(path: str | os.PathLike[str]) -> PoseSequence:
    """Load a pose file.

    Args:
        path: a ``.npz`` or ``.json`` pose file.

    Returns:
        The validated :class:`PoseSequence`.

    Raises:
        InputError: whose message starts with the path, for a missing, unreadable or corrupt file, a missing
            key, a wrong shape, a bad value or an unknown skeleton.

    Example:
        >>> seq = load_poses("video.poses.npz")  # doctest: +SKIP
        >>> seq.joints3d.shape  # doctest: +SKIP
        (120, 17, 3)
    """
    p = check_readable(path, SUFFIXES, "pose file")
    data = read_npz(p, "pose file") if p.suffix.lower() == ".npz" else _read_json(p)
    data = {k: v for k, v in data.items() if v is not None}  # JSON null: the optional key is absent
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing and {"global_orient", "body_pose"} <= set(data):
        raise InputError(
            f"{p}: SMPL parameters, not joints (a pose file needs {list(REQUIRED_KEYS)}): refine them with --smpl "
            "and --body-model; an SMPL refinement's joints are in the refined.npz beside its refined_smpl.npz"
        )
    if missing:
        raise InputError(
            f"{p}: missing key {missing[0]!r}; a pose file needs {list(REQUIRED_KEYS)}, has {sorted(data)}"
        )
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        warnings.warn(f"{p}: ignoring unknown keys {unknown}", stacklevel=2)
    fields: dict[str, Any] = {
        k: _as_float_array(p, k, data[k]) for k in ("joints3d", "K", "joints2d", "conf") if k in data
    }
    if "skeleton" in data:
        fields["skeleton"] = _as_text(p, "skeleton", data["skeleton"])
    if "fps" in data:
        fields["fps"] = _as_number(p, "fps", data["fps"])
    if "first_frame" in data:
        fields["first_frame"] = _as_frame_number(p, "first_frame", data["first_frame"])
    if "times" in data:
        fields["times"] = _as_float64(p, "times", data["times"], "seconds")
    if "dist" in data:
        fields["dist"] = _as_float64(p, "dist", data["dist"], "lens distortion coefficients")
    if "world" in data:
        fields["world"] = _as_float64(p, "world", data["world"], "the camera's place [R | t]")
    try:
        return PoseSequence(**fields)
    except ShapeError as e:
        raise ShapeError(e.name, e.expected, e.actual, str(p)) from None
    except InputError as e:
        raise InputError(f"{p}: {e}") from None


def written_by_flowpose(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a pose file that :func:`save_poses` wrote (it carries ``written_by = "flowpose"``).

    Example:
        >>> written_by_flowpose("no/such/file.npz")
        False
    """
    p = Path(path)
    if not p.is_file() or p.suffix.lower() not in SUFFIXES:
        return False
    try:
        data = read_npz(p, "pose file") if p.suffix.lower() == ".npz" else _read_json(p)
    except InputError:
        return False
    mark = data.get("written_by")
    return mark is not None and np.asarray(mark).ndim == 0 and str(np.asarray(mark).item()) == WRITER


def save_poses(seq: PoseSequence, path: str | os.PathLike[str]) -> None:
    """Write a pose file atomically: ``.npz`` (compressed, same bytes for same poses) or ``.json``.

    Optional fields that are None are left out.

    Args:
        seq: the poses.
        path: destination ending in ``.npz`` or ``.json``.

    Raises:
        InputError: for another suffix.
    """
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        got = p.suffix or "no suffix"
        raise InputError(f"{p}: expected a pose file ending in .npz or .json, got {got!r}")
    arrays = {"joints3d": seq.joints3d, "K": seq.K, "joints2d": seq.joints2d, "conf": seq.conf}
    arrays = {k: np.asarray(v, np.float32) for k, v in arrays.items() if v is not None}
    if p.suffix.lower() == ".npz":  # byte-reproducible, atomic
        meta = {"skeleton": np.str_(seq.skeleton), "fps": np.float64(seq.fps), "written_by": np.str_(WRITER)}
        if seq.first_frame is not None:
            meta["first_frame"] = np.int64(seq.first_frame)
        if seq.times is not None:
            meta["times"] = np.asarray(seq.times, np.float64)
        if seq.dist is not None:
            meta["dist"] = np.asarray(seq.dist, np.float64)
        if seq.world is not None:
            meta["world"] = np.asarray(seq.world, np.float64)
        write_npz(p, {**arrays, **meta})
        return
    doc: dict[str, Any] = {k: _to_json_list(v) for k, v in arrays.items()}
    doc.update(skeleton=seq.skeleton, fps=float(seq.fps), written_by=WRITER)
    if seq.first_frame is not None:
        doc["first_frame"] = seq.first_frame
    if seq.times is not None:
        doc["times"] = np.asarray(seq.times, np.float64).tolist()
    if seq.dist is not None:
        doc["dist"] = np.asarray(seq.dist, np.float64).tolist()
    if seq.world is not None:
        doc["world"] = np.asarray(seq.world, np.float64).tolist()
    with atomic_path(p) as tmp:
        tmp.write_text(json.dumps(doc, allow_nan=False))


def read_json(path: Path, what: str) -> Any:
    """The document in a JSON file; InputError naming ``path`` and ``what`` it should be if unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not a text JSON file: {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON (corrupt or truncated?): {e}") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply to be a {what}") from None


def _read_json(path: Path) -> dict[str, Any]:
    doc = read_json(path, "pose file")
    if not isinstance(doc, dict):
        raise InputError(
            f"{path}: expected a JSON object with keys {list(REQUIRED_KEYS)}, got {type(doc).__name__}"
        )
    return doc


def _as_float_array(path: Path, key: str, value: Any) -> np.ndarray:
    """Numbers (``null`` -> NaN) as float32; anything else (text, ragged lists) is an InputError.

    Coordinates stored as integers or booleans in an ``.npz`` are refused rather than read as metres or
    pixels: an integer array is most often millimetres.
    """
    if isinstance(value, np.ndarray) and key in ("joints3d", "joints2d") and value.dtype.kind in "biu":
        raise InputError(
            f"{path}: {key} must be floating point ({'metres' if key == 'joints3d' else 'pixels'}), got "
            f"{value.dtype}; integer coordinates are often millimetres: convert them to float metres first"
        )
    try:
        with np.errstate(over="raise"):
            arr = np.array(value, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise InputError(f"{path}: {key} must be a numeric array: {e}") from None
    except FloatingPointError:
        raise InputError(f"{path}: {key} has values beyond the float32 range (about ±3.4e38)") from None
    return arr


def _as_text(path: Path, key: str, value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "US":
        raise InputError(f"{path}: {key} must be a name (text), got {arr.dtype} array of shape {arr.shape}")
    return str(arr.item())


def _as_number(path: Path, key: str, value: Any) -> float:
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise InputError(f"{path}: {key} must be a number, got {arr.dtype} array of shape {arr.shape}")
    try:
        return float(arr)
    except OverflowError:
        raise InputError(f"{path}: {key} is out of range: {arr.item()}") from None


def _as_float64(path: Path, key: str, value: Any, what: str) -> np.ndarray:
    """Numbers as float64 (timestamps keep their precision over long videos); anything else is an InputError
    that says what the numbers are (``what``)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise InputError(f"{path}: {key} must be numbers ({what}), got {arr.dtype} array of shape {arr.shape}")
    return arr.astype(np.float64)


def _as_frame_number(path: Path, key: str, value: Any) -> int:
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "iu" or int(arr) < 0:
        raise InputError(f"{path}: {key} must be a frame number (an integer >= 0), got {arr.tolist()!r}")
    return int(arr)


def _to_json_list(arr: np.ndarray) -> list[Any]:
    """Nested lists with None for NaN (JSON has no NaN)."""
    return np.where(np.isfinite(arr), arr.astype(np.float64), None).tolist()
