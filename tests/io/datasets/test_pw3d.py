"""Tests for flowpose.io.datasets.pw3d: a small sequence file in 3DPW's layout."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError
from flowpose.io.datasets import (
    load_3dpw,
)
from flowpose.skeleton import H36M17, SMPL24

T = 5


def _pw3d_file(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    world = rng.normal(0, 0.5, (T, 24, 3))
    R = Rotation.from_rotvec(rng.normal(0, 0.3, (T, 3))).as_matrix()
    t = np.stack([0.1 * np.arange(T), np.zeros(T), np.full(T, 3.0)], axis=1)  # a moving camera
    cam_poses = np.tile(np.eye(4), (T, 1, 1))
    cam_poses[:, :3, :3], cam_poses[:, :3, 3] = R, t
    poses2d = np.zeros((T, 3, 18))
    poses2d[:, :, 8] = [10.0, 20.0, 0.9]  # OpenPose r_hip
    poses2d[:, :, 11] = [30.0, 40.0, 0.5]  # OpenPose l_hip
    poses2d[:, :, 4] = [50.0, 60.0, 0.8]  # OpenPose r_wrist; l_wrist (7) stays (0, 0, 0): missed
    data = {
        "sequence": "downtown_test_00",
        "jointPositions": [world.reshape(T, 72), world.reshape(T, 72)[:, ::-1].copy()],
        "cam_poses": cam_poses,
        "cam_intrinsics": np.array([[1961.0, 0, 540.0], [0, 1969.0, 960.0], [0, 0, 1]]),
        "poses2d": [poses2d, poses2d],
        "campose_valid": [np.array([1, 1, 0, 1, 1]), np.ones(T)],
        "img_frame_ids": np.arange(T),
    }
    path = tmp_path / "downtown_test_00.pkl"
    with open(path, "wb") as f:
        pickle.dump(data, f, protocol=2)
    expected_cam = np.einsum("tij,tkj->tki", R, world) + t[:, None]
    return path, expected_cam, poses2d


def test_3dpw_camera_frame_and_joint_mapping(tmp_path: Path) -> None:
    path, cam, _ = _pw3d_file(tmp_path)
    seq = load_3dpw(path)
    assert seq.name == "3dpw/downtown_test_00/p0" and seq.fps == 30.0 and seq.image_size is None
    j = seq.gt_joints3d
    for h36m, smpl in (("pelvis", "pelvis"), ("r_hip", "r_hip"), ("l_wrist", "l_wrist"), ("thorax", "neck")):
        np.testing.assert_allclose(j[:, H36M17.index(h36m)], cam[:, SMPL24.index(smpl)], atol=1e-5)
    assert np.isnan(j[:, H36M17.index("head")]).all()
    np.testing.assert_array_equal(seq.valid, [True, True, False, True, True])
    np.testing.assert_allclose(seq.K[0], [1961.0, 0, 540.0])


def test_3dpw_detections_mapped_with_confidence(tmp_path: Path) -> None:
    path, _, _ = _pw3d_file(tmp_path)
    seq = load_3dpw(path)
    np.testing.assert_allclose(seq.joints2d[:, H36M17.index("pelvis")], np.broadcast_to([20.0, 30.0], (T, 2)))
    np.testing.assert_allclose(seq.conf2d[:, H36M17.index("pelvis")], 0.7, atol=1e-6)
    r_wrist = seq.joints2d[:, H36M17.index("r_wrist")]
    np.testing.assert_allclose(r_wrist, np.broadcast_to([50.0, 60.0], (T, 2)))
    assert np.isnan(seq.joints2d[:, H36M17.index("l_wrist")]).all()  # missed: conf 0, no position
    assert (seq.conf2d[:, H36M17.index("l_wrist")] == 0).all()
    assert (seq.conf2d[:, H36M17.index("head")] == 0).all()
    pose = seq.as_pose_sequence()
    assert pose.skeleton == "h36m17" and pose.fps == 30.0


def test_3dpw_second_person_and_bad_files(tmp_path: Path) -> None:
    path, _, _ = _pw3d_file(tmp_path)
    assert load_3dpw(path, person=1).name == "3dpw/downtown_test_00/p1"
    with pytest.raises(InputError, match=r"person 2 asked for, but jointPositions has 2 people"):
        load_3dpw(path, person=2)
    bad = tmp_path / "garbage.pkl"
    bad.write_bytes(b"\x00\x01 definitely not a pickle")
    with pytest.raises(InputError, match=f"{bad}: not a readable 3DPW sequence file"):
        load_3dpw(bad)
    with open(tmp_path / "nokey.pkl", "wb") as f:
        pickle.dump({"cam_poses": np.zeros((T, 4, 4))}, f)
    with pytest.raises(InputError, match="nokey.pkl: missing key 'jointPositions'"):
        load_3dpw(tmp_path / "nokey.pkl")
    (tmp_path / "downtown.npz").touch()
    with pytest.raises(InputError, match="expected a 3DPW sequence file ending in .pkl"):
        load_3dpw(tmp_path / "downtown.npz")
