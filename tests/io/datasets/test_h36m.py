"""Tests for flowpose.io.datasets.h36m: small files in VideoPose3D's layout (the camera tables:
test_h36m_cameras.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError
from flowpose.io.datasets import (
    H36M_EXTRINSICS,
    H36MExtrinsics,
    load_h36m_videopose3d,
)
from flowpose.io.datasets.h36m import H36M32_TO_17
from flowpose.skeleton import H36M17

T = 5


def _camera_to_world(ext: H36MExtrinsics, cam: np.ndarray) -> np.ndarray:
    """Inverse of the documented convention X_cam = R^T (X - t), built independently of the loader."""
    w, x, y, z = ext.orientation
    R = Rotation.from_quat([x, y, z, w]).as_matrix()
    return cam @ R.T + np.asarray(ext.translation_mm) / 1000.0


def _h36m_files(tmp_path: Path, camera_frame: np.ndarray, layout: str = "h36m") -> tuple[Path, Path]:
    """3D and 2D files for S1 'Walking 1' whose joints sit at ``camera_frame`` (T, 32, 3) in camera 1."""
    world = _camera_to_world(H36M_EXTRINSICS["S1"][1], camera_frame)
    path_3d, path_2d = tmp_path / "data_3d_h36m.npz", tmp_path / "data_2d_h36m_gt.npz"
    np.savez(path_3d, positions_3d={"S1": {"Walking 1": world, "Sitting": world[:2]}})
    cams = [np.full((T + 2, 17, 2), float(c)) for c in range(4)]  # two extra video frames, as in H36M
    cams[1][:, :, 0] = np.arange(17)
    metadata = {"layout_name": layout, "num_joints": 17}
    np.savez(path_2d, positions_2d={"S1": {"Walking 1": cams}}, metadata=metadata)
    return path_3d, path_2d


def test_h36m_selects_joints_and_moves_them_into_the_camera(tmp_path: Path) -> None:
    cam32 = np.zeros((T, 32, 3))
    cam32[..., 0] = 0.01 * np.arange(32)  # x encodes the 32-layout joint index
    cam32[..., 2] = 4.0 + 0.1 * np.arange(T)[:, None]
    path_3d, path_2d = _h36m_files(tmp_path, cam32)
    seq = load_h36m_videopose3d(path_3d, path_2d, subject="S1", action="Walking 1", camera=1)
    assert seq.gt_joints3d.shape == (T, 17, 3) and seq.gt_joints3d.dtype == np.float32
    np.testing.assert_allclose(seq.gt_joints3d[0, :, 0], 0.01 * np.array(H36M32_TO_17), atol=1e-5)
    np.testing.assert_allclose(seq.gt_joints3d[:, 3, 2], 4.0 + 0.1 * np.arange(T), atol=1e-5)
    assert seq.fps == 50.0 and seq.name == "h36m/S1/Walking 1/55011271"
    assert seq.image_size == (1000, 1000)
    np.testing.assert_allclose(seq.K, [[1149.6756591796875, 0, 508.8486328125],
                                       [0, 1147.5916748046875, 508.0649108886719], [0, 0, 1]])
    # 2D: camera 1's keypoints, trimmed to the mocap's T frames.
    assert seq.joints2d.shape == (T, 17, 2) and seq.conf2d is None
    np.testing.assert_array_equal(seq.joints2d[0, :, 0], np.arange(17))


def test_h36m_explicit_extrinsics(tmp_path: Path) -> None:
    world = np.zeros((T, 32, 3))
    world[:, :, 1] = 1.0  # every joint at world (0, 1, 0)
    np.savez(tmp_path / "d.npz", positions_3d={"S2": {"Walking": world}})
    with pytest.raises(InputError, match="no published camera extrinsics for subject 'S2'.*extrinsics="):
        load_h36m_videopose3d(tmp_path / "d.npz", subject="S2", action="Walking", camera=0)
    c = np.sqrt(0.5)  # 90 degrees about z: camera x -> world y, so world y is camera x
    ext = H36MExtrinsics((c, 0.0, 0.0, c), (0.0, 0.0, -5000.0))
    seq = load_h36m_videopose3d(tmp_path / "d.npz", subject="S2", action="Walking", camera=0, extrinsics=ext)
    np.testing.assert_allclose(seq.gt_joints3d, np.broadcast_to([1.0, 0.0, 5.0], (T, 17, 3)), atol=1e-6)
    assert seq.joints2d is None and seq.image_size == (1002, 1000)


def test_h36m_coco_layout_2d_is_mapped(tmp_path: Path) -> None:
    path_3d, path_2d = _h36m_files(tmp_path, np.full((T, 32, 3), 4.0), layout="coco")
    seq = load_h36m_videopose3d(path_3d, path_2d, subject="S1", action="Walking 1", camera=1)
    assert seq.joints2d[0, 0, 0] == pytest.approx((11 + 12) / 2)  # pelvis = COCO hips' midpoint
    assert np.isnan(seq.joints2d[:, H36M17.index("head")]).all()  # COCO has no head top


def test_h36m_bad_inputs_name_the_file(tmp_path: Path) -> None:
    path_3d, path_2d = _h36m_files(tmp_path, np.full((T, 32, 3), 4.0))
    with pytest.raises(InputError, match=r"no subject 'S7'.*\['S1'\]"):
        load_h36m_videopose3d(path_3d, subject="S7", action="Walking 1", camera=0)
    with pytest.raises(InputError, match=r"no action 'Eating'.*\['Sitting', 'Walking 1'\]"):
        load_h36m_videopose3d(path_3d, subject="S1", action="Eating", camera=0)
    with pytest.raises(InputError, match=r"camera must be an index 0\.\.3, got 4"):
        load_h36m_videopose3d(path_3d, subject="S1", action="Walking 1", camera=4)
    np.savez(tmp_path / "long3d.npz", positions_3d={"S1": {"Walking 1": np.full((T + 5, 32, 3), 4.0)}})
    with pytest.raises(InputError, match="has 7 frames, fewer than the 10 of the 3D file"):
        load_h36m_videopose3d(tmp_path / "long3d.npz", path_2d, subject="S1", action="Walking 1", camera=0)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip archive")
    with pytest.raises(InputError, match=f"{bad}: not a readable .npz"):
        load_h36m_videopose3d(bad, subject="S1", action="Walking 1", camera=0)
    np.savez(tmp_path / "nokey.npz", positions=np.zeros(3))
    with pytest.raises(InputError, match="missing key 'positions_3d'"):
        load_h36m_videopose3d(tmp_path / "nokey.npz", subject="S1", action="Walking 1", camera=0)
    np.savez(tmp_path / "shape.npz", positions_3d={"S1": {"Walking 1": np.zeros((T, 20, 3))}})
    with pytest.raises(InputError, match=r"shape.npz: S1/Walking 1 must be \(T, 32, 3\)"):
        load_h36m_videopose3d(tmp_path / "shape.npz", subject="S1", action="Walking 1", camera=0)
    with pytest.raises(InputError, match="no such file"):
        load_h36m_videopose3d(tmp_path / "missing.npz", subject="S1", action="Walking 1", camera=0)
