"""Importers: METRO-style, generic joints3d and VideoPose3D files become camera-frame pose sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.camera import intrinsics_from_fov, project_np
from flowpose.errors import InputError, ShapeError
from flowpose.io.importers import (
    IMPORT_FORMATS,
    ImportOptions,
    import_poses,
)

K = intrinsics_from_fov(640, 480, 60.0)


def _body(T: int = 6, J: int = 17, seed: int = 0) -> np.ndarray:
    rel = np.random.default_rng(seed).uniform(-0.4, 0.4, (T, J, 3)) * np.array([1.0, 2.0, 0.5])
    return rel - rel[:, :1]


def test_formats_listed() -> None:
    assert set(IMPORT_FORMATS) == {"metro", "joints3d", "videopose3d"}


def test_metro_places_root_where_weak_perspective_puts_it(tmp_path: Path) -> None:
    T = 6
    rel = _body(T)
    cam = np.tile([0.8, 0.05, -0.1], (T, 1))
    bbox = np.tile([200.0, 100.0, 240.0], (T, 1))
    np.savez(tmp_path / "metro.npz", pred_3d_joints=rel * 1000.0, pred_camera=cam, bbox=bbox)
    poses = import_poses("metro", tmp_path / "metro.npz", ImportOptions(K=K, fps=25.0, units=0.001))
    # (2) of weak_perspective_to_camera: Z_r = 2 f / (s a).
    np.testing.assert_allclose(poses.joints3d[:, 0, 2], 2 * K[0, 0] / (0.8 * 240.0), rtol=1e-5)
    # The root projects onto its weak-perspective pixel, and the 2D keypoints are the weak-perspective ones.
    root_px = 200.0 + 240.0 * (0.8 * np.array([0.05, -0.1]) + 1) / 2 + np.array([0.0, -100.0])
    np.testing.assert_allclose(
        project_np(poses.joints3d[:, :1], K)[:, 0], np.tile(root_px, (T, 1)), atol=1e-3
    )
    np.testing.assert_allclose(poses.joints2d[:, 0], np.tile(root_px, (T, 1)), atol=1e-3)
    np.testing.assert_allclose(poses.joints3d - poses.joints3d[:, :1], rel, atol=1e-5)
    assert poses.fps == 25.0 and poses.skeleton == "h36m17"


def test_metro_lsp14_with_one_box(tmp_path: Path) -> None:
    np.savez(
        tmp_path / "m.npz",
        joints3d=_body(3, 14),
        cam=np.tile([1.0, 0, 0], (3, 1)),
        bbox=[0.0, 0.0, 100.0, 100.0],
    )
    poses = import_poses("metro", tmp_path / "m.npz", ImportOptions(K=K, skeleton="lsp14"))
    assert poses.skeleton == "lsp14" and poses.joints3d.shape == (3, 14, 3)


def test_metro_errors_name_the_file(tmp_path: Path) -> None:
    f = tmp_path / "m.npz"
    np.savez(f, joints3d=_body(3), cam=np.ones((3, 3)))
    with pytest.raises(InputError, match=r"m\.npz: missing key 'bbox'"):
        import_poses("metro", f, ImportOptions(K=K))
    np.savez(f, joints3d=_body(3), cam=np.ones((2, 3)), bbox=np.ones(3))
    with pytest.raises(ShapeError, match=r"m\.npz: cam must have shape \(3, 3\)"):
        import_poses("metro", f, ImportOptions(K=K))
    np.savez(f, joints3d=_body(3), cam=-np.ones((3, 3)), bbox=np.ones(3))
    with pytest.raises(InputError, match=r"m\.npz: .*scale s must be positive"):
        import_poses("metro", f, ImportOptions(K=K))


def test_joints3d_npy_and_npz(tmp_path: Path) -> None:
    j = _body(4) + np.array([0.0, 0.0, 4.0])
    np.save(tmp_path / "j.npy", j)
    np.savez(tmp_path / "j.npz", joints3d=j * 100)
    a = import_poses("joints3d", tmp_path / "j.npy", ImportOptions(K=K))
    b = import_poses("joints3d", tmp_path / "j.npz", ImportOptions(K=K, units=0.01))
    np.testing.assert_allclose(a.joints3d, j, atol=1e-6)
    np.testing.assert_allclose(b.joints3d, j, atol=1e-5)
    assert a.joints2d is None


def test_joints3d_npz_without_its_key(tmp_path: Path) -> None:
    np.savez(tmp_path / "j.npz", poses=np.zeros((4, 17, 3)))
    with pytest.raises(InputError) as info:
        import_poses("joints3d", tmp_path / "j.npz", ImportOptions(K=K))
    assert str(info.value) == f"{tmp_path / 'j.npz'}: missing key 'joints3d'; has ['poses']"


def test_joints3d_wrong_skeleton_shape(tmp_path: Path) -> None:
    np.save(tmp_path / "j.npy", np.zeros((4, 17, 3)))
    with pytest.raises(
        ShapeError, match=r"j\.npy: joints3d must have shape \(T, 33, 3\) for skeleton 'mediapipe33'"
    ):
        import_poses("joints3d", tmp_path / "j.npy", ImportOptions(K=K, skeleton="mediapipe33"))
    with pytest.raises(InputError, match="unknown skeleton 'nope'"):
        import_poses("joints3d", tmp_path / "j.npy", ImportOptions(K=K, skeleton="nope"))


def test_joints3d_text_named_npy(tmp_path: Path) -> None:
    (tmp_path / "j.npy").write_text("0 0 0\n")
    with pytest.raises(InputError) as info:
        import_poses("joints3d", tmp_path / "j.npy", ImportOptions(K=K))
    assert "pickle" not in str(info.value)
    assert str(info.value).endswith("j.npy: not a readable .npy 3D joints file: not an .npy array, which starts with "
                                    "b'\\x93NUMPY' (it starts with b'0 0 ')"), str(info.value)


def test_videopose3d_placement_from_keypoints(tmp_path: Path) -> None:
    T = 5
    rel = _body(T)
    root = np.stack([np.linspace(-0.3, 0.3, T), np.full(T, 0.2), np.linspace(3.5, 4.5, T)], -1)
    kp = project_np(rel + root[:, None], K)
    np.save(tmp_path / "vp3d.npy", rel)
    np.savez(tmp_path / "kp.npz", keypoints=kp)
    poses = import_poses(
        "videopose3d", tmp_path / "vp3d.npy", ImportOptions(K=K, keypoints=tmp_path / "kp.npz")
    )
    np.testing.assert_allclose(poses.joints3d, rel + root[:, None], atol=1e-5)
    np.testing.assert_allclose(poses.joints2d, kp, atol=1e-3)


def test_videopose3d_needs_matching_keypoints(tmp_path: Path) -> None:
    np.save(tmp_path / "vp3d.npy", _body(5))
    with pytest.raises(InputError, match=r"vp3d\.npy: .*--keypoints"):
        import_poses("videopose3d", tmp_path / "vp3d.npy", ImportOptions(K=K))
    np.save(tmp_path / "kp.npy", np.zeros((4, 17, 2)))
    with pytest.raises(ShapeError, match=r"kp\.npy: keypoints must have shape \(5, 17, 2\)"):
        import_poses("videopose3d", tmp_path / "vp3d.npy", ImportOptions(K=K, keypoints=tmp_path / "kp.npy"))
    np.save(tmp_path / "kp.npy", np.full((5, 17, 2), np.nan))
    with pytest.raises(InputError, match=r"kp\.npy: no finite keypoint in any of its 5 frames"):
        import_poses("videopose3d", tmp_path / "vp3d.npy", ImportOptions(K=K, keypoints=tmp_path / "kp.npy"))


def test_unknown_format_corrupt_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown import format 'hmr'; choose from"):
        import_poses("hmr", tmp_path / "x.npy", ImportOptions(K=K))
    with pytest.raises(InputError, match=r"x\.npy: no such file"):
        import_poses("joints3d", tmp_path / "x.npy", ImportOptions(K=K))
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(InputError, match=r"bad\.npy: not a readable \.npy"):
        import_poses("joints3d", tmp_path / "bad.npy", ImportOptions(K=K))
    with pytest.raises(InputError, match="units must be a positive"):
        import_poses("joints3d", tmp_path / "bad.npy", ImportOptions(K=K, units=-1.0))


@pytest.mark.parametrize("axes, flip", [("RUB", [1, -1, -1]), ("luf", [-1, -1, 1]), ("RUF", [1, -1, 1])])
def test_files_of_other_camera_axes_are_turned_into_flowpose_s(tmp_path: Path, axes: str, flip: list[int]) -> None:
    j = _body(4) + np.array([0.2, -0.1, 4.0])  # flowpose's frame: x right, y down, z forward
    np.save(tmp_path / "j.npy", j * flip)  # the same joints in the file's axes (each flip is its own inverse)
    poses = import_poses("joints3d", tmp_path / "j.npy", ImportOptions(K=K, axes=axes))
    np.testing.assert_allclose(poses.joints3d, j, atol=1e-6)
    rel = _body(4)
    np.save(tmp_path / "vp3d.npy", rel * flip)
    np.save(tmp_path / "kp.npy", project_np(rel + [0.0, 0.2, 4.0], K))
    placed = import_poses("videopose3d", tmp_path / "vp3d.npy",
                          ImportOptions(K=K, keypoints=tmp_path / "kp.npy", axes=axes))
    np.testing.assert_allclose(placed.joints3d, rel + [0.0, 0.2, 4.0], atol=1e-4)
    with pytest.raises(InputError, match="axes must be three letters.*got 'RUX'"):
        import_poses("joints3d", tmp_path / "j.npy", ImportOptions(K=K, axes="RUX"))
