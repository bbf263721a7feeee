"""Tests for flowpose.io.datasets: small files in each benchmark's layout, and shared/'s Sintel subset."""

from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.io.datasets import (
    H36M_EXTRINSICS,
    H36M_INTRINSICS,
    BenchmarkSequence,
    H36MExtrinsics,
    load_3dpw,
    load_h36m_videopose3d,
    load_sintel_pair,
    sintel_human_pairs,
)
from flowpose.io.datasets.h36m import H36M32_TO_17
from flowpose.io.flo import write_flo
from flowpose.skeleton import H36M17, SMPL24
from tests.conftest import shared_path

T = 5


# --- Human3.6M (VideoPose3D layout) ------------------------------------------------------------------------


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


def test_h36m_published_extrinsics_convention() -> None:
    # The camera centre maps to the origin, and the world "up" (+Z) to image-up (-y) for every camera.
    for cams in H36M_EXTRINSICS.values():
        for ext in cams:
            centre = np.asarray(ext.translation_mm) / 1000.0
            np.testing.assert_allclose(ext.world_to_camera(centre), 0.0, atol=1e-9)
            up = ext.world_to_camera(np.array([0.0, 0.0, 1.8])) - ext.world_to_camera(np.zeros(3))
            assert up[1] < -1.0
    # A subject standing at the world origin is in front of each camera, inside its image.
    for ext, intr in zip(H36M_EXTRINSICS["S9"], H36M_INTRINSICS):
        p = ext.world_to_camera(np.array([0.0, 0.0, 0.9]))
        u, v = (intr.K() @ p)[:2] / p[2]
        assert 3.0 < p[2] < 7.0 and 0 < u < intr.resolution[0] and 0 < v < intr.resolution[1]


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


# --- 3DPW --------------------------------------------------------------------------------------------------


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


def test_benchmark_sequence_validates_shapes() -> None:
    with pytest.raises(ShapeError, match=r"x: gt_joints3d must have shape \(T, 17, 3\)"):
        BenchmarkSequence("x", np.zeros((3, 16, 3)), np.eye(3), None, fps=30.0)
    with pytest.raises(ShapeError, match="joints2d"):
        BenchmarkSequence("x", np.zeros((3, 17, 3)), np.eye(3), np.zeros((2, 17, 2)), fps=30.0)
    with pytest.raises(InputError, match="fps must be a positive"):
        BenchmarkSequence("x", np.zeros((3, 17, 3)), np.eye(3), None, fps=0.0)


# --- MPI-Sintel --------------------------------------------------------------------------------------------


def _sintel_tree(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    H, W = 8, 12
    rgb = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(2)]
    flow = rng.normal(0, 2, (H, W, 2)).astype(np.float32)
    occ, inv = np.zeros((H, W), np.uint8), np.zeros((H, W), np.uint8)
    occ[:2], inv[:, :3] = 255, 255
    base = tmp_path / "MPI-Sintel" / "training"
    for sub in ("clean/alley_1", "final/alley_1", "flow/alley_1", "occlusions/alley_1", "invalid/alley_1"):
        (base / sub).mkdir(parents=True)
    for k, image in enumerate(rgb, start=1):
        for p in ("clean", "final"):
            cv2.imwrite(str(base / p / "alley_1" / f"frame_{k:04d}.png"), image[..., ::-1])  # cv2 writes BGR
    write_flo(base / "flow/alley_1/frame_0001.flo", flow)
    cv2.imwrite(str(base / "occlusions/alley_1/frame_0001.png"), occ)
    cv2.imwrite(str(base / "invalid/alley_1/frame_0001.png"), inv)
    return tmp_path / "MPI-Sintel", np.stack(rgb), flow, (occ == 0) & (inv == 0)


def test_sintel_pair_in_the_official_layout(tmp_path: Path) -> None:
    root, rgb, flow, valid = _sintel_tree(tmp_path)
    image1, image2, got_flow, got_valid = load_sintel_pair(root, "alley_1", 1, pass_="final")
    np.testing.assert_array_equal(image1, rgb[0])  # RGB, not OpenCV's BGR
    np.testing.assert_array_equal(image2, rgb[1])
    assert image1.dtype == np.uint8 and image1.shape == (8, 12, 3)
    np.testing.assert_array_equal(got_flow, flow)
    np.testing.assert_array_equal(got_valid, valid)
    assert got_valid.dtype == bool and got_valid.sum() == 6 * 9
    counted = load_sintel_pair(root, "alley_1", 1, count_occluded=True).valid
    assert counted.sum() == 8 * 9  # only the invalid columns are left out


def test_sintel_pair_without_flow_and_errors(tmp_path: Path) -> None:
    root, rgb, _, _ = _sintel_tree(tmp_path)
    test_dir = root / "test" / "clean" / "cave_3"
    test_dir.mkdir(parents=True)
    for k in (1, 2):
        cv2.imwrite(str(test_dir / f"frame_{k:04d}.png"), rgb[k - 1])
    pair = load_sintel_pair(root, "cave_3", 1, split="test")
    assert pair.flow is None and pair.valid is None
    with pytest.raises(InputError, match="no such Sintel scene"):
        load_sintel_pair(root, "bamboo_9", 1)
    with pytest.raises(InputError, match="frame_0003.png: no such image file"):
        load_sintel_pair(root, "alley_1", 2)
    with pytest.raises(InputError, match="pass_ must be one of"):
        load_sintel_pair(root, "alley_1", 1, pass_="albedo")
    broken = root / "training" / "clean" / "alley_1" / "frame_0002.png"
    broken.write_bytes(b"\x89PNG broken")
    with pytest.raises(InputError, match=f"{broken}: not a readable image"):
        load_sintel_pair(root, "alley_1", 1)


@pytest.mark.needs_shared
def test_shared_sintel_human_pairs() -> None:
    root = shared_path("data", "sintel_human")
    pairs = sintel_human_pairs(root, pass_="final")
    assert list(pairs) == [
        "alley_1/frame_0001", "alley_1/frame_0002", "alley_1/frame_0003", "cave_2/frame_0002",
        "market_5/frame_0002",
    ]
    for name, (image1, image2, flow, valid) in pairs.items():
        assert image1.shape == image2.shape == (436, 1024, 3) and flow.shape == (436, 1024, 2)
        assert (valid is None) == (name in ("alley_1/frame_0001", "alley_1/frame_0003"))
    # The flow is forward (frame t -> t+1): warping frame t+1 back by it matches frame t far better.
    image1, image2, flow, valid = pairs["cave_2/frame_0002"]
    assert 0.5 < valid.mean() < 1.0
    ys, xs = np.mgrid[:436, :1024].astype(np.float32)
    warped = cv2.remap(image2, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR).astype(float)
    assert np.abs(warped - image1)[valid].mean() < 0.5 * np.abs(image2.astype(float) - image1)[valid].mean()
