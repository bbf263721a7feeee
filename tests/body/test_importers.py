"""Tests of flowpose.body.importers on small VIBE, PARE and WHAM result files written in the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.body.importers import (
    axis_angle_pose,
    fill_frames,
    import_smpl,
    orig_cam_to_transl,
    wham_intrinsics,
)
from flowpose.errors import InputError

joblib = pytest.importorskip("joblib", reason="joblib (the body-import extra) reads VIBE/PARE/WHAM results")

H, W = 480, 640
K = np.array([[700.0, 0.0, 330.0], [0.0, 700.0, 230.0], [0.0, 0.0, 1.0]])  # principal point off centre


def _person(frame_ids, rng, fmt: str, transl: np.ndarray) -> dict:
    n = len(frame_ids)
    pose = rng.normal(0, 0.3, (n, 72))
    person = {"pose": pose, "betas": rng.normal(0, 1, (n, 10)), "frame_ids": np.asarray(frame_ids)}
    if fmt == "wham":
        person["trans"] = transl
        person["verts"] = transl[:, None, :] + rng.normal(0, 0.3, (n, 20, 3))
    else:  # the weak-perspective camera that sees the model's origin at depth tz as K does
        k = K[0, 0] / transl[:, 2]
        person["orig_cam"] = np.stack(
            [2 * k / W, 2 * k / H, transl[:, 0] - (W / 2 - K[0, 2]) / k, transl[:, 1] - (H / 2 - K[1, 2]) / k], 1
        )
        person["bboxes"] = np.tile([320.0, 240.0, 100.0, 200.0], (n, 1))
    return person


def test_orig_cam_sees_origin_depth_points_where_the_pinhole_does() -> None:
    rng = np.random.default_rng(0)
    cam = np.array([[0.4, 0.3, 0.1, -0.2]])
    cam[0, 1] = cam[0, 0] * W / H  # VIBE: sx W = sy H
    transl = orig_cam_to_transl(cam, K, (H, W))
    for X, Y in rng.normal(0, 0.5, (5, 2)):  # points at the model origin's depth (Z = 0)
        sx, sy, tx, ty = cam[0]
        weak = np.array([W / 2 * (1 + sx * (X + tx)), H / 2 * (1 + sy * (Y + ty))])
        p = np.array([X, Y, 0.0]) + transl[0]
        pinhole = (K @ p)[:2] / p[2]
        np.testing.assert_allclose(pinhole, weak, atol=1e-9)


@pytest.mark.parametrize("fmt", ["vibe", "pare", "wham"])
def test_import_reads_the_chosen_track_and_fills_its_gaps(tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(1)
    seen = np.array([2, 3, 4, 6, 7])
    transl = np.column_stack([rng.normal(0, 0.2, 5), rng.normal(0, 0.2, 5), rng.uniform(3, 5, 5)])
    results = {1: _person([0, 1], rng, fmt, transl[:2]), 4: _person(seen, rng, fmt, transl)}
    if fmt == "pare":  # PARE's code stores rotation matrices
        aa = results[4]["pose"].reshape(-1, 3)
        results[4]["pose"] = Rotation.from_rotvec(aa).as_matrix().reshape(5, 24, 3, 3)
    path = tmp_path / f"{fmt}_output.pkl"
    joblib.dump(results, path)
    found = import_smpl(fmt, path, image_size=(H, W), num_frames=10, fps=25.0, K=K)
    assert found.track == 4 and found.tracks == [1, 4] and found.filled == 5
    smpl = found.smpl
    assert smpl.num_frames == 10 and smpl.fps == 25.0
    np.testing.assert_allclose(smpl.transl[seen], transl, atol=1e-9)
    expected = axis_angle_pose(np.asarray(results[4]["pose"]), path)
    got = np.concatenate([smpl.global_orient[:, None], smpl.body_pose], 1)[seen]
    np.testing.assert_allclose(Rotation.from_rotvec(got.reshape(-1, 3)).as_matrix(),
                               Rotation.from_rotvec(expected.reshape(-1, 3)).as_matrix(), atol=1e-9)
    np.testing.assert_allclose(smpl.transl[:2], np.repeat(transl[:1], 2, 0))  # held before the first frame seen
    np.testing.assert_allclose(smpl.transl[5], (transl[2] + transl[3]) / 2)  # between frames 4 and 6
    assert import_smpl(fmt, path, image_size=(H, W), num_frames=10, fps=25.0, K=K, person=1).track == 1


def test_wham_default_camera_and_fill_frames() -> None:
    np.testing.assert_allclose(wham_intrinsics((H, W))[0], [800.0, 0.0, 320.0])
    ids = np.array([1, 3])
    rot = np.zeros((2, 24, 3))
    rot[1, 5] = [0.0, 0.0, 1.0]
    out = fill_frames(ids, {"rotations": rot, "x": np.array([[0.0], [2.0]])}, 5)
    np.testing.assert_allclose(out["x"][:, 0], [0, 0, 1, 2, 2])
    np.testing.assert_allclose(out["rotations"][2, 5], [0, 0, 0.5], atol=1e-9)  # halfway by slerp


def test_bad_files_get_one_clear_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    transl = np.tile([0.0, 0.0, 4.0], (3, 1))
    good = {0: _person([0, 1, 2], rng, "vibe", transl)}
    path = tmp_path / "vibe_output.pkl"

    def fails(results, match: str, **kw) -> None:
        joblib.dump(results, path)
        args = {"image_size": (H, W), "num_frames": 3, "fps": 30.0, "K": K} | kw
        with pytest.raises(InputError, match=match):
            import_smpl(args.pop("fmt", "vibe"), path, **args)

    fails(good, "no track 7", person=7)
    fails(good, "weak-perspective camera", K=None)
    fails(good, "frame_ids must increase", num_frames=2)
    fails({0: {k: v for k, v in good[0].items() if k != "orig_cam"}}, "has no 'orig_cam'")
    fails({0: {**good[0], "pose": np.zeros((3, 10))}}, r"'pose' must be \(n, 72\)")
    fails([1, 2], "dictionary of tracks")
    fails(good, "unknown SMPL results format", fmt="hmr")
    nan_pose = good[0]["pose"].copy()
    nan_pose[1, 5] = np.nan
    fails({0: {**good[0], "pose": nan_pose}}, r"track 0: 'pose' is NaN or infinite in 1 of its rows \(the first: 1\)")
    fails({0: {**good[0], "orig_cam": good[0]["orig_cam"][:2]}}, r"'orig_cam' must be \(3, 4\) .* for its 3 frame_ids, got \(2, 4\)")
    zero_scale = good[0]["orig_cam"].copy()
    zero_scale[2, 0] = 0.0
    fails({0: {**good[0], "orig_cam": zero_scale}}, r"scale sx must be positive, got 0 in 1 rows \(the first: 2\)")
    fails(good, r"fps must be a positive number, got 0", fps=0.0)
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(InputError, match=r"junk\.pkl: not a readable joblib file \(it starts with b'not '\)"):
        import_smpl("vibe", tmp_path / "junk.pkl", image_size=(H, W), num_frames=3, fps=30.0, K=K)
    joblib.dump(good, tmp_path / "whole.pkl")
    (tmp_path / "cut.pkl").write_bytes((tmp_path / "whole.pkl").read_bytes()[:200])
    with pytest.raises(InputError, match=r"cut\.pkl: not a readable joblib file \(it starts with b'.+'\): it ends too "
                       r"early \(truncated\?\)$"):
        import_smpl("vibe", tmp_path / "cut.pkl", image_size=(H, W), num_frames=3, fps=30.0, K=K)
    (tmp_path / "empty.pkl").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.pkl: not a readable joblib file: the file is empty"):
        import_smpl("vibe", tmp_path / "empty.pkl", image_size=(H, W), num_frames=3, fps=30.0, K=K)
