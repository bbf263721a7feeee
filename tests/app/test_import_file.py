"""Tests of flowpose.app.import_file: every format's route, and the refusals that come before anything is read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from flowpose.app.import_file import IMPORT_KINDS, ImportJob, run_import
from flowpose.errors import InputError
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.poses import load_poses
from tests.app.test_batch import SIZE, T, make_video


def _joints(path: Path) -> np.ndarray:
    joints = np.random.default_rng(0).uniform(-0.3, 0.3, (T, 17, 3)) + np.array([0.0, 0.0, 3.0])
    np.save(path, joints)
    return joints


def test_3d_poses_with_a_calibrated_camera_and_no_video(tmp_path: Path) -> None:
    joints = _joints(tmp_path / "j.npy")
    (tmp_path / "K.json").write_text(json.dumps({"fx": 100.0, "fy": 100.0, "cx": 20.0, "cy": 30.0}))
    job = ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "p.npz", fps=25.0,
                    camera=CameraOptions(intrinsics=tmp_path / "K.json"))
    lines = run_import(job)
    assert lines == [f"wrote {tmp_path / 'p.npz'}: {T} frames of h36m17"]
    poses = load_poses(tmp_path / "p.npz")
    np.testing.assert_allclose(poses.joints3d, joints, atol=1e-6)
    assert poses.fps == 25.0 and poses.K[0, 2] == 20.0
    assert poses.dist is None
    # A calibration with lens distortion: kept in the pose file, for refine to model.
    (tmp_path / "lens.json").write_text(json.dumps({"fx": 100.0, "fy": 100.0, "cx": 20.0, "cy": 30.0,
                                                    "dist": [-0.2, 0.05, 0.0, 0.0]}))
    run_import(ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "q.npz", fps=25.0,
                         camera=CameraOptions(intrinsics=tmp_path / "lens.json")))
    assert load_poses(tmp_path / "q.npz").dist.tolist() == [-0.2, 0.05, 0.0, 0.0]


def test_3d_poses_take_the_video_s_size_rate_and_a_guessed_camera(tmp_path: Path) -> None:
    video = make_video(tmp_path, "v")
    joints = _joints(tmp_path / "j.npy")
    np.save(tmp_path / "j.npy", joints * 100.0)
    lines = run_import(ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "p.npz", video=video,
                                 units="cm"))
    assert "GUESS" in lines[0] and lines[1].startswith("wrote")
    poses = load_poses(tmp_path / "p.npz")
    assert poses.fps == pytest.approx(10.0) and poses.K[0, 2] == pytest.approx((SIZE - 1) / 2)
    np.testing.assert_allclose(poses.joints3d, joints, atol=1e-5)  # centimetres read as such


def test_a_rotated_video_is_told(tmp_path: Path) -> None:
    from flowpose.io.video import open_video
    from tests.io.test_video import rotated_mp4

    with open_video(make_video(tmp_path, "v")) as video:
        rotated_mp4(tmp_path / "r.mp4", video.read(), 90)
    _joints(tmp_path / "j.npy")
    lines = run_import(ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "p.npz",
                                 video=tmp_path / "r.mp4"))
    assert lines[0].startswith(f"{tmp_path / 'r.mp4'}: stored rotated by 90° (its rotation metadata)")
    assert "GUESS" in lines[1] and lines[2].startswith("wrote")


def test_a_cut_video_is_told(tmp_path: Path) -> None:
    from flowpose.io.video import open_video
    from tests.io.test_video import cut_avi

    with open_video(make_video(tmp_path, "v")) as video:
        frames = video.read()
    cut_avi(tmp_path / "cut.avi", np.concatenate([frames] * 4), 0.7)  # 4 T frames listed
    with open_video(tmp_path / "cut.avi") as video:
        n = len(video)
    assert n < 4 * T
    np.save(tmp_path / "j.npy", np.resize(_joints(tmp_path / "j.npy"), (n, 17, 3)))
    lines = run_import(ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "p.npz",
                                 video=tmp_path / "cut.avi"))
    assert lines[0] == (f"warning: {tmp_path / 'cut.avi'}: its container lists {4 * T} frames, and {n} decode (a cut "
                        f"or damaged file?); flowpose reads those {n}")
    assert not any("refine takes poses" in line for line in lines)  # n frames of poses: they match
    np.save(tmp_path / "j.npy", np.resize(_joints(tmp_path / "j.npy"), (4 * T, 17, 3)))  # of the frames listed
    lines = run_import(ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "q.npz",
                                 video=tmp_path / "cut.avi"))
    assert lines[-2] == (f"warning: {tmp_path / 'j.npy'}: {4 * T} frames, but {tmp_path / 'cut.avi'} has {n}; refine "
                         "takes poses of every frame of the video, or of the frames --start/--frames name; its "
                         f"container lists {4 * T} frames: a cut or damaged file?")


def test_poses_of_another_frame_count_than_the_video_s_are_told(tmp_path: Path) -> None:
    video = make_video(tmp_path, "v")
    np.save(tmp_path / "j.npy", np.resize(_joints(tmp_path / "j.npy"), (T + 3, 17, 3)))
    lines = run_import(ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "p.npz", video=video))
    assert lines[-2] == (f"warning: {tmp_path / 'j.npy'}: {T + 3} frames, but {video} has {T}; refine takes poses of "
                         "every frame of the video, or of the frames --start/--frames name")
    assert load_poses(tmp_path / "p.npz").num_frames == T + 3  # written as they are: a segment's may be meant


@pytest.mark.parametrize(
    ("job", "message"),
    [
        (dict(fmt="hmr"), "unknown import format 'hmr'"),
        (dict(fmt="joints3d"), "import needs the camera"),
        (dict(fmt="joints3d", out="p.txt"), "expected a pose file ending in .npz or .json"),
        (dict(fmt="joints3d", units="inch"), "--units: unknown unit 'inch'"),
        (dict(fmt="vibe"), "import vibe needs --video"),
    ],
)
def test_refusals_name_the_problem_and_write_nothing(tmp_path: Path, job: dict, message: str) -> None:
    _joints(tmp_path / "j.npy")
    out = tmp_path / job.pop("out", "p.npz")
    with pytest.raises(InputError, match=message):
        run_import(ImportJob(source=tmp_path / "j.npy", out=out, **job))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.npy"]


def test_a_file_without_one_observed_joint_is_refused_and_written_nowhere(tmp_path: Path) -> None:
    np.save(tmp_path / "j.npy", np.full((T, 17, 3), np.nan))
    job = ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=tmp_path / "p.npz", video=make_video(tmp_path, "v"))
    with pytest.raises(InputError, match=rf"j\.npy: no observed joint in any of its {T} frames"):
        run_import(job)
    assert not (tmp_path / "p.npz").exists()


def test_a_users_file_is_never_replaced(tmp_path: Path) -> None:
    _joints(tmp_path / "j.npy")
    users = tmp_path / "mine.npz"
    np.savez(users, a=1)
    with pytest.raises(InputError, match="mine.npz"):
        run_import(ImportJob(fmt="joints3d", source=tmp_path / "j.npy", out=users, overwrite=True,
                             camera=CameraOptions(focal_px=50.0), video=make_video(tmp_path, "v")))
    assert set(np.load(users).files) == {"a"}


def test_every_format_has_one_kind() -> None:
    formats = [f for kind in IMPORT_KINDS.values() for f in kind]
    assert len(formats) == len(set(formats))
    assert {"metro", "joints3d", "videopose3d", "openpose", "coco", "vibe", "pare", "wham", "phalp"} <= set(formats)
