"""Importers: pose estimates in the formats users already have, turned into flowpose pose files.

Formats (:data:`IMPORT_FORMATS`; ``flowpose import FORMAT FILE --out poses.npz``):

- ``metro``: METRO/HMR-style results, an ``.npz`` with root-relative 3D joints ``joints3d`` (T, J, 3)
  (alias ``pred_3d_joints``), the weak-perspective camera ``cam`` (T, 3) ``[s, tx, ty]`` (alias
  ``pred_camera``) and the crop boxes ``bbox`` (T, 3) ``[x0, y0, side]`` or (T, 4) square
  ``[x0, y0, w, h]`` in full-image pixels (alias ``crop_box``; one (3,)/(4,) box for all frames is accepted).
  Placed with :func:`flowpose.camera.weak_perspective_to_camera`; the 2D keypoints are the weak-perspective
  projections.
- ``joints3d``: a generic ``.npy`` array (or ``.npz`` with a ``joints3d`` key) of (T, J, 3) joints already in
  the camera frame, of a stated skeleton.
- ``videopose3d``: VideoPose3D's saved ``.npy`` of (T, 17, 3) root-relative H36M-17 poses (camera axes), plus
  the 2D keypoints (T, 17, 2) px the lifter was given (``.npy``, or ``.npz`` with key ``keypoints`` or
  ``joints2d``). Lifters output no global position; the root is placed by
  :func:`flowpose.estimate.placement.place_root`, the translation whose projection best fits the keypoints.
  (MotionBERT's in-the-wild ``X3D.npy`` has the same layout but normalised, not metric, units: give its
  ``--units`` scale, e.g. the subject's height divided by the pose's height, or it will be placed too close.)

Every format takes ``units`` (what one unit of the file's 3D coordinates is in metres), ``axes`` (the directions of
the file's x, y and z: ``RDF``, flowpose's, unless the tool's camera frame is another, e.g. OpenGL's ``RUB``) and a
camera K (from a stated field of view and the video's size, or from a file). Problems raise :class:`InputError`
naming the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from flowpose.camera import (
    crop_to_image,
    project_weak_perspective,
    weak_perspective_to_camera,
)
from flowpose.errors import InputError, ShapeError, unknown_name_error
from flowpose.estimate.placement import place_root
from flowpose.frame_convention import CAMERA_AXES, axes_matrix
from flowpose.io.npz import npy_header_problem, read_npz
from flowpose.io.poses import check_readable
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17, get_skeleton

UNITS: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001}
"""Named units of 3D coordinates, in metres."""


@dataclass(frozen=True)
class ImportOptions:
    """What a file format does not say by itself."""

    K: np.ndarray
    """(3, 3) intrinsics of the full image, pixels."""
    fps: float = 30.0
    """Frame rate of the video."""
    skeleton: str = H36M17.name
    """Joint layout of the file (``videopose3d`` is always H36M-17)."""
    units: float = 1.0
    """Metres per unit of the file's 3D coordinates (see :data:`UNITS`)."""
    keypoints: Path | None = None
    """2D keypoints file, for ``videopose3d``."""
    axes: str = CAMERA_AXES
    """Directions of the file's +x, +y, +z (:func:`flowpose.frame_convention.axes_matrix`): ``RDF`` (OpenCV's,
    flowpose's), ``RUB`` (OpenGL's), ``LUF`` (PyTorch3D's), ..."""


def import_metro(path: Path, options: ImportOptions) -> PoseSequence:
    """METRO/HMR-style weak-perspective results (see the module docstring) in the camera frame.

    Raises:
        InputError: for a missing key or bad values, naming the file.
        ShapeError: for arrays of the wrong shape.
    """
    data = read_npz(check_readable(path, (".npz",), "METRO-style results file"), "METRO-style results file")
    rel = _in_camera_axes(_pick(path, data, ("joints3d", "pred_3d_joints")) * options.units, options)
    cam = _pick(path, data, ("cam", "pred_camera"))
    box = _pick(path, data, ("bbox", "crop_box"))
    rel = _check_joints(path, rel, options.skeleton)
    T = rel.shape[0]
    if cam.shape != (T, 3):
        raise ShapeError("cam", f"({T}, 3) [s, tx, ty]", cam.shape, str(path))
    try:
        joints3d = weak_perspective_to_camera(rel, cam, box, options.K)
        joints2d = crop_to_image(project_weak_perspective(rel, cam), np.broadcast_to(box, (T, box.shape[-1])))
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
    return _sequence(path, joints3d, options, joints2d=joints2d)


def import_joints3d(path: Path, options: ImportOptions) -> PoseSequence:
    """Camera-frame 3D joints of ``options.skeleton`` from ``.npy`` or ``.npz`` (key ``joints3d``)."""
    rel = _in_camera_axes(_load_array(path, ("joints3d",), "3D joints file") * options.units, options)
    return _sequence(path, _check_joints(path, rel, options.skeleton), options)


def import_videopose3d(path: Path, options: ImportOptions) -> PoseSequence:
    """VideoPose3D-style root-relative H36M-17 poses placed in the camera frame from their 2D keypoints.

    Raises:
        InputError: without a keypoints file, or for keypoints whose shape does not match the poses.
    """
    rel = _in_camera_axes(_load_array(path, ("joints3d",), "VideoPose3D poses file") * options.units, options)
    rel = _check_joints(path, rel, H36M17.name)
    if options.keypoints is None:
        raise InputError(
            f"{path}: videopose3d poses are root-relative; pass the 2D keypoints they were lifted from "
            "(--keypoints FILE, (T, 17, 2) pixels) to place them in the camera frame"
        )
    kp = _load_array(options.keypoints, ("keypoints", "joints2d"), "2D keypoints file")
    if kp.shape != rel.shape[:2] + (2,):
        raise ShapeError("keypoints", f"{rel.shape[:2] + (2,)}", kp.shape, str(options.keypoints))
    if not np.isfinite(kp).all(-1).any():
        raise InputError(f"{options.keypoints}: no finite keypoint in any of its {len(kp)} frames, nothing to place "
                         "the poses by")
    # VideoPose3D's poses hang from the pelvis (joint 0 at the origin); place_root finds where it is.
    rel = rel - rel[:, :1]
    root = place_root(rel, kp, options.K)
    return _sequence(path, rel + root[:, None, :], options, skeleton=H36M17.name, joints2d=kp)


IMPORTERS: dict[str, Callable[[Path, ImportOptions], PoseSequence]] = {
    "metro": import_metro,
    "joints3d": import_joints3d,
    "videopose3d": import_videopose3d,
}
"""Format name -> importer."""

IMPORT_FORMATS = tuple(IMPORTERS)
"""Names accepted by :func:`import_poses` and ``flowpose import``."""


def import_poses(fmt: str, path: str | os.PathLike[str], options: ImportOptions) -> PoseSequence:
    """Read a pose estimate in ``fmt`` (one of :data:`IMPORT_FORMATS`) as a :class:`PoseSequence`.

    Args:
        fmt: the file's format.
        path: the file.
        options: camera, frame rate, skeleton, units and, for ``videopose3d``, the keypoints file.

    Returns:
        Camera-frame poses of the file's skeleton with ``options.K`` and ``options.fps``.

    Raises:
        InputError: for an unknown format, or any problem with the file (the message names it).

    Example:
        >>> opts = ImportOptions(K=CameraOptions(fov_deg=53.0).matrix((1002, 1000)), fps=50.0)  # doctest: +SKIP
        >>> poses = import_poses("metro", "metro_out.npz", opts)  # doctest: +SKIP
    """
    if fmt not in IMPORTERS:
        raise unknown_name_error("import format", fmt, IMPORT_FORMATS)
    get_skeleton(options.skeleton)
    if not (np.isfinite(options.units) and options.units > 0):
        raise InputError(f"units must be a positive number of metres, got {options.units}")
    axes_matrix(options.axes)
    return IMPORTERS[fmt](Path(path), options)


def _in_camera_axes(joints: np.ndarray, options: ImportOptions) -> np.ndarray:
    """(..., 3) coordinates of the file's axes (``options.axes``) in flowpose's camera frame (x right, y down,
    z forward); any other shape is returned as it is, for the shape checks to name."""
    if joints.shape[-1:] != (3,):
        return joints
    return joints @ axes_matrix(options.axes).T


def _pick(path: Path, data: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    for name in names:
        if name in data:
            return np.asarray(data[name], np.float64)
    others = f" (or {', '.join(map(repr, names[1:]))})" if len(names) > 1 else ""
    raise InputError(f"{path}: missing key {names[0]!r}{others}; has {sorted(data)}")


def _load_array(path: Path, keys: tuple[str, ...], what: str) -> np.ndarray:
    p = check_readable(path, (".npy", ".npz"), what)
    if p.suffix.lower() == ".npz":
        return _pick(p, read_npz(p, what), keys)
    try:
        problem = npy_header_problem(p)
        arr = None if problem is not None else np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise InputError(f"{p}: not a readable .npy {what} (corrupt, truncated or pickled?): {e}") from None
    if problem is not None:
        raise InputError(f"{p}: not a readable .npy {what}: {problem}")
    if arr.dtype.kind not in "iuf":
        raise InputError(f"{p}: {what} must hold numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _check_joints(path: Path, joints: np.ndarray, skeleton: str) -> np.ndarray:
    J = get_skeleton(skeleton).num_joints
    if joints.ndim != 3 or joints.shape[1:] != (J, 3):
        raise ShapeError("joints3d", f"(T, {J}, 3) for skeleton {skeleton!r}", joints.shape, str(path))
    return joints


def _sequence(
    path: Path,
    joints3d: np.ndarray,
    options: ImportOptions,
    *,
    skeleton: str | None = None,
    joints2d: np.ndarray | None = None,
) -> PoseSequence:
    try:
        return PoseSequence(
            joints3d=np.asarray(joints3d, np.float32),
            K=np.asarray(options.K, np.float32),
            joints2d=None if joints2d is None else np.asarray(joints2d, np.float32),
            skeleton=options.skeleton if skeleton is None else skeleton,
            fps=options.fps,
        )
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
