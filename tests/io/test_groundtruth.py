"""Tests for flowpose.io.groundtruth: validation, round trip and errors naming the file."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.io.groundtruth import GroundTruth, load_gt, save_gt

T, J, H, W = 3, 17, 8, 10


def _arrays() -> dict:
    rng = np.random.default_rng(0)
    return dict(
        joints3d=rng.normal(size=(T, J, 3)),
        joints2d=rng.uniform(0, W, (T, J, 2)),
        K=np.array([[100.0, 0, 4.5], [0, 100.0, 3.5], [0, 0, 1]]),
        flow=rng.normal(size=(T - 1, H, W, 2)),
        flow_valid=rng.random((T - 1, H, W)) > 0.3,
        human_mask=(rng.random((T, H, W)) > 0.5).astype(np.uint8),
        fps=25,
    )


def test_construction_converts_dtypes() -> None:
    gt = GroundTruth(**_arrays())
    assert gt.flow.dtype == np.float32 and gt.joints3d.dtype == np.float32 and gt.K.dtype == np.float32
    assert gt.human_mask.dtype == bool and gt.flow_valid.dtype == bool
    assert gt.num_frames == T and gt.image_size == (H, W) and gt.fps == 25.0 and gt.skeleton == "h36m17"


def test_round_trip(tmp_path: Path) -> None:
    gt = GroundTruth(**_arrays())
    path = tmp_path / "gt.npz"
    save_gt(gt, path)
    back = load_gt(path)
    for key, value in asdict(gt).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(back, key), value)
            assert getattr(back, key).dtype == value.dtype
        else:
            assert getattr(back, key) == value
    assert [p.name for p in tmp_path.iterdir()] == ["gt.npz"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("flow", np.zeros((T, H, W, 2)), r"flow must have shape \(2, 8, 10, 2\), got \(3, 8, 10, 2\)"),
        ("flow_valid", np.zeros((T - 1, H, W + 1), bool), r"flow_valid must have shape \(2, 8, 10\)"),
        ("joints2d", np.zeros((T, J, 3)), r"joints2d must have shape \(3, 17, 2\)"),
        ("human_mask", np.zeros((T + 1, H, W), bool), r"human_mask must have shape \(3, H, W\)"),
        ("K", np.eye(4), r"K must have shape \(3, 3\) or \(3, 3, 3\), got \(4, 4\)"),
    ],
)
def test_shape_validation(key: str, value: np.ndarray, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        GroundTruth(**{**_arrays(), key: value})


def test_value_validation() -> None:
    with pytest.raises(InputError, match="flow_valid must be boolean \\(or 0/1 integers\\), got float64"):
        GroundTruth(**{**_arrays(), "flow_valid": np.full((T - 1, H, W), 0.5)})
    with pytest.raises(InputError, match="fps must be a positive number, got 0"):
        GroundTruth(**{**_arrays(), "fps": 0})
    with pytest.raises(InputError, match="skeleton 'lsp14' has 14 joints, joints3d has 17"):
        GroundTruth(**_arrays(), skeleton="lsp14")


def _expect(path: Path, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_gt(path)
    text = str(info.value)
    assert text.startswith(str(path)) and re.search(message, text), text


def test_load_errors(tmp_path: Path) -> None:
    _expect(tmp_path / "none.npz", "no such file")
    (tmp_path / "gt.json").write_text("{}")
    _expect(tmp_path / "gt.json", r"expected a ground-truth file ending in \.npz, got '\.json'")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    _expect(tmp_path / "bad.npz", r"not a readable \.npz ground-truth file")
    good = tmp_path / "good.npz"
    save_gt(GroundTruth(**_arrays()), good)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:-200])
    _expect(cut, r"corrupt or truncated")
    arrays = _arrays()
    del arrays["flow"]
    np.savez(tmp_path / "noflow.npz", **arrays)
    _expect(tmp_path / "noflow.npz", "flow, flow_valid, human_mask go together .*: got flow_valid, human_mask without flow")
    np.savez(tmp_path / "nojoints.npz", **{k: v for k, v in _arrays().items() if k != "joints3d"})
    _expect(tmp_path / "nojoints.npz", r"missing key 'joints3d'; a ground-truth file needs \['joints3d'\] \(and may have")
    np.savez(tmp_path / "shape.npz", **{**_arrays(), "flow": np.zeros((1, 2, 2, 2))})
    _expect(tmp_path / "shape.npz", r"flow must have shape \(2, 8, 10, 2\), got \(1, 2, 2, 2\)")
    np.savez(tmp_path / "skel.npz", **_arrays(), skeleton=np.str_("nope"))
    _expect(tmp_path / "skel.npz", "unknown skeleton 'nope'")


def test_the_true_joints_alone_as_real_video_has_them(tmp_path: Path) -> None:
    joints = _arrays()["joints3d"]
    joints[1, 4] = np.nan  # a marker lost
    gt = GroundTruth(joints3d=joints)
    assert gt.image_size is None and not gt.has_flow and gt.fps is None and gt.joints3d.dtype == np.float32
    save_gt(gt, tmp_path / "joints.npz")
    back = load_gt(tmp_path / "joints.npz")
    np.testing.assert_array_equal(back.joints3d, gt.joints3d)
    assert back.fps is None and back.flow is None and back.joints2d is None and back.K is None
    assert back.video_problem(T, (480, 640)) is None  # any frame size: nothing dense to compare
    assert back.video_problem(T + 1, None) == f"ground truth has {T} frames but the video has {T + 1}"
    np.testing.assert_array_equal(back.frames(1, 3).joints3d, gt.joints3d[1:3])


def test_a_pose_file_is_ground_truth_too(tmp_path: Path) -> None:
    from flowpose.io.poses import save_poses
    from flowpose.pose import PoseSequence

    a = _arrays()
    conf = np.ones((T, J))
    conf[2, 3] = 0.0  # filled in, not measured
    save_poses(PoseSequence(joints3d=a["joints3d"] + [0, 0, 3], K=a["K"], joints2d=a["joints2d"], conf=conf, fps=50.0),
               tmp_path / "truth.poses.npz")
    gt = load_gt(tmp_path / "truth.poses.npz")
    assert gt.fps == 50.0 and gt.K.shape == (3, 3) and gt.joints2d.shape == (T, J, 2) and not gt.has_flow
    assert np.isnan(gt.joints3d[2, 3]).all() and np.isfinite(np.delete(gt.joints3d.reshape(-1, 3), 2 * J + 3, 0)).all()


def test_frames_and_video_size() -> None:
    gt = GroundTruth(**_arrays())
    cut = gt.frames(1, 3)
    assert cut.num_frames == 2 and cut.flow.shape == (1, H, W, 2) and cut.human_mask.shape == (2, H, W)
    np.testing.assert_array_equal(cut.flow[0], gt.flow[1])
    assert gt.video_problem(T, (H, W)) is None
    assert gt.video_problem(T, (2 * H, W)) == f"its flow and mask are {W}x{H} px but the video's frames are {W}x{2 * H}"


def test_ground_truth_of_another_skeleton_in_the_joints_refined() -> None:
    from flowpose.joint_map import to_h36m17

    smpl = np.random.default_rng(1).normal(size=(T, 24, 3))
    gt = GroundTruth(joints3d=smpl, skeleton="smpl24", fps=30)
    h36 = gt.as_h36m17()
    assert h36.skeleton == "h36m17" and h36.joints3d.shape == (T, 17, 3) and h36.fps == 30.0
    np.testing.assert_array_equal(h36.joints3d, to_h36m17(smpl.astype(np.float32), "smpl24", missing="nan"))
    assert np.isnan(h36.joints3d[:, 10]).all()  # SMPL has no head top: not scored
    plain = GroundTruth(**_arrays())
    assert plain.as_h36m17() is plain
