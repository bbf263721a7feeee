"""3DPW ("3D Poses in the Wild", von Marcard et al. ECCV 2018) sequence files.

Each ``sequenceFiles/{train,validation,test}/<sequence>.pkl`` is a Python 2 pickle (read with latin1
decoding) of a dict with, among others:

- ``jointPositions``: per person, (T, 72) SMPL-24 joint positions in world metres;
- ``cam_poses``: (T, 4, 4) world -> camera transforms ``[R | t]`` of the moving phone camera;
- ``cam_intrinsics``: (3, 3) K in pixels;
- ``poses2d``: per person, (T, 3, 18) OpenPose COCO-18 keypoints (x, y, confidence) in pixels;
- ``campose_valid``: per person, (T,) flags of frames where the camera pose and person are valid;
- ``img_frame_ids``: (T,) indices of the video frames; ``sequence``: the sequence name.

Unpickling can run code chosen by whoever wrote the file: only load files from a source you trust.
"""

from __future__ import annotations

import os

import numpy as np

from flowpose.errors import InputError
from flowpose.io.datasets.benchmark import BenchmarkSequence, load_trusted_pickle
from flowpose.io.poses import check_readable
from flowpose.joint_map import to_h36m17

PW3D_FPS = 30.0
"""Frame rate of the 3DPW videos."""

OPENPOSE18_TO_COCO17 = (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10)
"""For each COCO-17 keypoint, its index in OpenPose's COCO-18 order (nose, neck, r_shoulder, r_elbow,
r_wrist, l_shoulder, l_elbow, l_wrist, r_hip, r_knee, r_ankle, l_hip, l_knee, l_ankle, r_eye, l_eye, r_ear,
l_ear); OpenPose's extra neck (index 1) is dropped."""

_KEYS = ("jointPositions", "cam_poses", "cam_intrinsics")


def _person_array(data: dict, key: str, person: int, path: os.PathLike[str]) -> np.ndarray:
    people = data[key]
    if not 0 <= person < len(people):
        raise InputError(f"{path}: person {person} asked for, but {key} has {len(people)} people")
    return np.asarray(people[person], np.float64)


def _detections(data: dict, person: int, T: int, path: os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """OpenPose keypoints -> H36M-17 (T, 17, 2) pixels (NaN where undetected) and (T, 17) confidences."""
    poses2d = _person_array(data, "poses2d", person, path)
    if poses2d.shape != (T, 3, 18):
        raise InputError(f"{path}: poses2d of person {person} must be ({T}, 3, 18), got {poses2d.shape}")
    coco = np.swapaxes(poses2d, 1, 2)[:, OPENPOSE18_TO_COCO17]  # (T, 17, 3): x, y, confidence
    conf = np.clip(np.nan_to_num(coco[..., 2]), 0.0, 1.0)
    xy = np.where(conf[..., None] > 0, coco[..., :2], np.nan)  # OpenPose writes (0, 0, 0) for a miss
    # Joints averaged from several keypoints (the pelvis from the hips, ...) get the mean confidence; the
    # head, which COCO lacks, gets NaN position and zero confidence.
    conf17 = np.nan_to_num(to_h36m17(conf[..., None], "coco17", missing="nan")[..., 0], nan=0.0)
    return to_h36m17(xy, "coco17", missing="nan"), conf17


def load_3dpw(path: str | os.PathLike[str], *, person: int = 0) -> BenchmarkSequence:
    """Load one person of a 3DPW sequence file, in the camera frame.

    The SMPL-24 world joints are moved into the camera frame of each frame, ``X_cam = R_t X + t_t`` with
    ``cam_poses[t] = [R_t | t_t]``, then mapped to H36M-17 with
    ``flowpose.joint_map.to_h36m17(..., "smpl24", missing="nan")`` (SMPL has no head top: joint 10 is NaN).

    Only files from a trusted source may be loaded: the file is a pickle (see the module docstring).

    Args:
        path: a ``sequenceFiles/<split>/<sequence>.pkl`` file.
        person: index of the person (0 or 1 in the two-person sequences).

    Returns:
        A :class:`BenchmarkSequence` at 30 fps: ground truth in the camera frame, ``K``, the OpenPose 2D
        detections mapped to H36M-17 (``joints2d``, ``conf2d``; not ground truth), and ``valid`` from
        ``campose_valid`` (frames to leave out of evaluation are False).

    Raises:
        InputError: naming the file, for a missing file, one that is not a readable pickle, a missing key,
            an unknown person or wrongly shaped arrays.

    Example:
        >>> seq = load_3dpw("sequenceFiles/test/downtown_walking_00.pkl", person=0)  # doctest: +SKIP
        >>> seq.gt_joints3d.shape[1:], seq.fps  # doctest: +SKIP
        ((17, 3), 30.0)
    """
    p = check_readable(path, (".pkl",), "3DPW sequence file")
    data = load_trusted_pickle(p, "3DPW sequence file")
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a 3DPW sequence dict, got {type(data).__name__}")
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise InputError(f"{p}: missing key {missing[0]!r}; a 3DPW sequence file needs {list(_KEYS)}")
    if not isinstance(person, (int, np.integer)):
        raise InputError(f"person must be an index, got {person!r}")
    world = _person_array(data, "jointPositions", person, p)
    if world.ndim != 2 or world.shape[1] != 72 or world.shape[0] < 1:
        raise InputError(f"{p}: jointPositions of person {person} must be (T, 72), got {world.shape}")
    T = world.shape[0]
    poses = np.asarray(data["cam_poses"], np.float64)
    if poses.shape != (T, 4, 4):
        raise InputError(f"{p}: cam_poses must be ({T}, 4, 4) world->camera transforms, got {poses.shape}")
    K = np.asarray(data["cam_intrinsics"], np.float64)
    if K.shape != (3, 3):
        raise InputError(f"{p}: cam_intrinsics must be (3, 3), got {K.shape}")
    world = world.reshape(T, 24, 3)
    cam = np.einsum("tij,tkj->tki", poses[:, :3, :3], world) + poses[:, None, :3, 3]
    joints2d = conf2d = valid = None
    if "poses2d" in data:
        joints2d, conf2d = _detections(data, person, T, p)
    if "campose_valid" in data:
        valid = _person_array(data, "campose_valid", person, p)
        if valid.shape != (T,):
            raise InputError(f"{p}: campose_valid of person {person} must be ({T},), got {valid.shape}")
        valid = valid.astype(bool)
    sequence = data.get("sequence", p.stem)
    return BenchmarkSequence(
        name=f"3dpw/{sequence}/p{person}",
        gt_joints3d=to_h36m17(cam, "smpl24", missing="nan"),
        K=K,
        joints2d=joints2d,
        conf2d=conf2d,
        fps=PW3D_FPS,
        valid=valid,
    )
