"""Human3.6M in the layout VideoPose3D prepares (``data_3d_h36m.npz`` and ``data_2d_h36m_*.npz``).

- ``data_3d_h36m.npz``: key ``positions_3d``, a pickled dict subject -> action -> (T, 32, 3) world positions
  in metres (Human3.6M's 32-joint layout).
- ``data_2d_h36m_gt.npz`` / ``data_2d_h36m_cpn_ft_h36m_dbb.npz`` / ...: key ``positions_2d``, a pickled dict
  subject -> action -> list of 4 per-camera (T, 17, 2) pixel arrays (camera order of
  :data:`~flowpose.io.datasets.h36m_cameras.H36M_INTRINSICS`), and key ``metadata`` (``layout_name``,
  ``num_joints``, ...). The ``_gt`` file holds the projections of the mocap (with lens distortion); the
  others hold a 2D detector's output.

Both files store pickled Python objects, which numpy only reads with ``allow_pickle=True``: unpickling can run
code chosen by whoever wrote the file, so only load files from a source you trust.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from flowpose.errors import InputError
from flowpose.io.datasets.benchmark import BenchmarkSequence, load_trusted_npz_object
from flowpose.io.datasets.h36m_cameras import H36M_EXTRINSICS, H36M_INTRINSICS, H36MExtrinsics
from flowpose.io.poses import check_readable
from flowpose.joint_map import to_h36m17

H36M_FPS = 50.0
"""Frame rate of Human3.6M videos and mocap."""

H36M32_TO_17 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
"""The 32-joint indices VideoPose3D keeps for its 17 joints, which are flowpose's H36M-17 in order."""

_LAYOUTS_2D = {"h36m": "h36m17", "coco": "coco17"}
"""2D layouts VideoPose3D writes in ``metadata["layout_name"]`` -> flowpose skeleton of those 17 joints."""


def _lookup(tree: Any, subject: str, action: str, path: Path, what: str) -> Any:
    if not isinstance(tree, dict):
        raise InputError(f"{path}: expected a dict subject -> action -> data, got {tree!r:.40}")
    if subject not in tree:
        raise InputError(f"{path}: no subject {subject!r} in this {what}; it has {sorted(tree)}")
    actions = tree[subject]
    if action not in actions:
        raise InputError(f"{path}: subject {subject} has no action {action!r}; it has {sorted(actions)}")
    return actions[action]


def _world_joints(path_3d: Path, subject: str, action: str) -> np.ndarray:
    """(T, 17, 3) world metres from the 3D file, selecting VideoPose3D's 17 of 32 joints."""
    tree = load_trusted_npz_object(path_3d, "positions_3d", "VideoPose3D 3D file")
    positions = np.asarray(_lookup(tree, subject, action, path_3d, "VideoPose3D 3D file"), np.float64)
    if positions.ndim != 3 or positions.shape[1:] not in ((32, 3), (17, 3)) or positions.shape[0] < 1:
        raise InputError(
            f"{path_3d}: {subject}/{action} must be (T, 32, 3) or (T, 17, 3) positions, got {positions.shape}"
        )
    return positions[:, H36M32_TO_17] if positions.shape[1] == 32 else positions


def _joints_2d(path_2d: Path, subject: str, action: str, camera: int, num_frames: int) -> np.ndarray:
    """(T, 17, 2) pixels for one camera, in H36M-17 order, trimmed to the mocap's length."""
    tree = load_trusted_npz_object(path_2d, "positions_2d", "VideoPose3D 2D file")
    metadata = load_trusted_npz_object(path_2d, "metadata", "VideoPose3D 2D file", required=False)
    layout = metadata.get("layout_name", "h36m") if isinstance(metadata, dict) else "h36m"
    if layout not in _LAYOUTS_2D:
        raise InputError(f"{path_2d}: unsupported 2D layout {layout!r}; expected {sorted(_LAYOUTS_2D)}")
    cameras = _lookup(tree, subject, action, path_2d, "VideoPose3D 2D file")
    is_list = isinstance(cameras, (list, tuple))
    if not is_list or len(cameras) <= camera:
        got = f"{len(cameras)} cameras" if is_list else f"a {type(cameras).__name__}"
        raise InputError(f"{path_2d}: {subject}/{action} has {got}, expected a list with camera {camera}")
    keypoints = np.asarray(cameras[camera], np.float64)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (17, 2):
        raise InputError(
            f"{path_2d}: {subject}/{action} camera {camera} must be (T, 17, 2) pixels, got {keypoints.shape}"
        )
    if keypoints.shape[0] < num_frames:
        raise InputError(
            f"{path_2d}: {subject}/{action} camera {camera} has {keypoints.shape[0]} frames, fewer than the "
            f"{num_frames} of the 3D file"
        )
    # Some Human3.6M videos have a few more frames than their mocap; VideoPose3D (run.py) drops the extra
    # trailing frames, and so do we.
    return to_h36m17(keypoints[:num_frames], _LAYOUTS_2D[layout], missing="nan")


def load_h36m_videopose3d(
    path_3d: str | os.PathLike[str],
    path_2d: str | os.PathLike[str] | None = None,
    *,
    subject: str,
    action: str,
    camera: int,
    extrinsics: H36MExtrinsics | None = None,
) -> BenchmarkSequence:
    """Load one Human3.6M sequence seen from one camera, from VideoPose3D's files.

    The world joints are moved into the camera frame with the published extrinsics
    (:data:`~flowpose.io.datasets.h36m_cameras.H36M_EXTRINSICS`): ``X_cam = R(q)^T (X - t)``.

    Only load files from a trusted source: both files hold pickled objects (see the module docstring).

    Args:
        path_3d: ``data_3d_h36m.npz``.
        path_2d: a VideoPose3D 2D file (ground truth or detections), or None for no 2D keypoints.
        subject: e.g. ``"S9"``.
        action: e.g. ``"Walking 1"`` (as named in the file).
        camera: camera index 0..3 (order of :data:`~flowpose.io.datasets.h36m_cameras.H36M_INTRINSICS`).
        extrinsics: the camera's pose; None uses the published one, which exists for S1, S5-S9 and S11.

    Returns:
        A :class:`BenchmarkSequence` at 50 fps with H36M-17 ground truth in the camera frame, the camera's K
        (distortion ignored), the image size, and the 2D keypoints of ``path_2d`` if given (no confidences).

    Raises:
        InputError: naming the file, for a missing or unreadable file, an unknown subject, action or camera,
            wrongly shaped data, a 2D file shorter than the mocap, or a subject without published extrinsics
            and no ``extrinsics`` given.

    Example:
        >>> seq = load_h36m_videopose3d("data_3d_h36m.npz", subject="S9", action="Walking", camera=0)
        ... # doctest: +SKIP
        >>> seq.gt_joints3d.shape, seq.fps  # doctest: +SKIP
        ((2699, 17, 3), 50.0)
    """
    p3 = check_readable(path_3d, (".npz",), "VideoPose3D 3D file (data_3d_h36m.npz)")
    p2 = None if path_2d is None else check_readable(path_2d, (".npz",), "VideoPose3D 2D file")
    if not (isinstance(camera, (int, np.integer)) and 0 <= camera < len(H36M_INTRINSICS)):
        raise InputError(f"camera must be an index 0..{len(H36M_INTRINSICS) - 1}, got {camera!r}")
    if extrinsics is None:
        if subject not in H36M_EXTRINSICS:
            raise InputError(
                f"no published camera extrinsics for subject {subject!r} (known: {sorted(H36M_EXTRINSICS)}); "
                "pass extrinsics="
            )
        extrinsics = H36M_EXTRINSICS[subject][camera]
    world = _world_joints(p3, subject, action)
    intrinsics = H36M_INTRINSICS[camera]
    joints2d = None if p2 is None else _joints_2d(p2, subject, action, camera, world.shape[0])
    width, height = intrinsics.resolution
    return BenchmarkSequence(
        name=f"h36m/{subject}/{action}/{intrinsics.camera_id}",
        gt_joints3d=extrinsics.world_to_camera(world),
        K=intrinsics.K(),
        joints2d=joints2d,
        fps=H36M_FPS,
        image_size=(height, width),
    )
