"""Tests for flowpose.io.poses: round trips and one clear error per kind of bad file."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.io.poses import load_poses, save_poses
from flowpose.pose import PoseSequence


def _sequence(full: bool = True) -> PoseSequence:
    rng = np.random.default_rng(0)
    joints3d = rng.normal(0, 0.3, (4, 17, 3)).astype(np.float32) + np.float32([0, 0, 4])
    joints3d[1, 3] = np.nan  # a missing joint survives both formats
    K = np.array([[500.0, 0, 32], [0, 500.0, 32], [0, 0, 1]], np.float32)
    if not full:
        return PoseSequence(joints3d=joints3d, K=K)
    return PoseSequence(
        joints3d=joints3d,
        K=np.stack([K] * 4),
        joints2d=rng.uniform(0, 64, (4, 17, 2)).astype(np.float32),
        conf=rng.uniform(0, 1, (4, 17)).astype(np.float32),
        skeleton="h36m17",
        fps=50.0,
        first_frame=120,
        times=np.array([2.4, 2.42, 2.46, 2.48]),  # a variable frame rate
    )


def _assert_same(a: PoseSequence, b: PoseSequence) -> None:
    for key in ("joints3d", "K", "joints2d", "conf"):
        x, y = getattr(a, key), getattr(b, key)
        assert (x is None) == (y is None), key
        if x is not None:
            np.testing.assert_array_equal(x, y)
            assert y.dtype == np.float32
    assert (a.skeleton, a.fps, a.first_frame) == (b.skeleton, b.fps, b.first_frame)
    assert (a.times is None) == (b.times is None)
    if a.times is not None:
        np.testing.assert_array_equal(a.times, b.times)  # float64 kept: exact


@pytest.mark.parametrize("suffix", [".npz", ".json"])
@pytest.mark.parametrize("full", [True, False])
def test_round_trip(tmp_path: Path, suffix: str, full: bool) -> None:
    seq = _sequence(full)
    path = tmp_path / f"poses{suffix}"
    save_poses(seq, path)
    _assert_same(seq, load_poses(path))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_lens_distortion_round_trip(tmp_path: Path, suffix: str) -> None:
    seq = replace(_sequence(full=False), dist=np.array([-0.046183, 0.139983, 0.000608, 0.00069, 0.0]))
    save_poses(seq, tmp_path / f"p{suffix}")
    back = load_poses(tmp_path / f"p{suffix}")
    np.testing.assert_array_equal(back.dist, seq.dist)  # float64 kept: exact
    assert back.dist.dtype == np.float64
    save_poses(_sequence(full=False), tmp_path / f"none{suffix}")
    assert load_poses(tmp_path / f"none{suffix}").dist is None


@pytest.mark.parametrize(("value", "message"), [
    (["-0.1", "0"], r"dist must be numbers \(lens distortion coefficients\), got <U4 array"),
    ([-0.1, 0.0, 0.0], r"lens distortion must be 4, 5, 8, 12 or 14 finite numbers \(OpenCV's order k1, k2, p1, "
                       r"p2, k3, ...\), got 3: \[-0.1, 0.0, 0.0\]"),
    ([-0.1, 0.0, 0.0, 1e400], "lens distortion must be 4, 5, 8, 12 or 14 finite numbers"),
])
def test_lens_distortion_must_be_opencv_coefficients(tmp_path: Path, value: list, message: str) -> None:
    doc = {"joints3d": (np.zeros((2, 17, 3)) + [0, 0, 3]).tolist(), "K": np.eye(3).tolist(), "dist": value}
    (tmp_path / "p.json").write_text(json.dumps(doc).replace("Infinity", "1e400"))
    _expect(tmp_path / "p.json", message)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_the_cameras_place_over_the_floor_round_trip(tmp_path: Path, suffix: str) -> None:
    from flowpose.camera_place import placed_frame

    frame = placed_frame(1.8, 20.0, -5.0)
    seq = replace(_sequence(full=False), world=np.hstack([frame.R, frame.t[:, None]]))
    save_poses(seq, tmp_path / f"p{suffix}")
    back = load_poses(tmp_path / f"p{suffix}")
    np.testing.assert_array_equal(back.world, seq.world)  # float64 kept: exact
    assert back.world.shape == (3, 4) and back.slice(1).world is back.world  # a part of the video: the same camera
    save_poses(_sequence(full=False), tmp_path / f"none{suffix}")
    assert load_poses(tmp_path / f"none{suffix}").world is None


@pytest.mark.parametrize(("value", "message"), [
    (np.eye(3).tolist(), r"world must be the camera's place \[R \| t\]: 3 x 4 finite numbers, got shape \(3, 3\)"),
    (np.hstack([2 * np.eye(3), np.ones((3, 1))]).tolist(), r"world's R is not a rotation"),
    (np.hstack([np.diag([1.0, 1.0, -1.0]), np.ones((3, 1))]).tolist(), r"world's R is not a rotation"),  # a mirror
    ([["a"] * 4] * 3, r"world must be numbers \(the camera's place \[R \| t\]\)"),
])
def test_a_place_that_is_not_one_is_refused(tmp_path: Path, value: list, message: str) -> None:
    doc = {"joints3d": (np.zeros((2, 17, 3)) + [0, 0, 3]).tolist(), "K": np.eye(3).tolist(), "world": value}
    (tmp_path / "p.json").write_text(json.dumps(doc))
    _expect(tmp_path / "p.json", message)


def test_npz_is_byte_reproducible(tmp_path: Path) -> None:
    save_poses(_sequence(), tmp_path / "a.npz")
    save_poses(_sequence(), tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_json_null_optional_key_is_absent(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text(json.dumps({"joints3d": np.ones((1, 17, 3)).tolist(), "K": np.eye(3).tolist(), "conf": None}))
    assert load_poses(path).conf is None


def test_json_uses_null_for_nan(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_poses(_sequence(False), path)
    doc = json.loads(path.read_text())
    assert doc["joints3d"][1][3] == [None, None, None]
    assert doc["skeleton"] == "h36m17" and doc["fps"] == 30.0


def test_save_rejects_unknown_suffix(tmp_path: Path) -> None:
    message = r"p\.csv: expected a pose file ending in \.npz or \.json, got '\.csv'"
    with pytest.raises(InputError, match=message):
        save_poses(_sequence(False), tmp_path / "p.csv")


def _expect(path: Path, message: str, error: type[Exception] = InputError) -> None:
    with pytest.raises(error) as info:
        load_poses(path)
    text = str(info.value)
    assert text.startswith(str(path)), text
    assert re.search(message, text), text


def _write_npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def test_missing_file(tmp_path: Path) -> None:
    _expect(tmp_path / "none.npz", "no such file")


def test_wrong_suffix(tmp_path: Path) -> None:
    path = tmp_path / "poses.txt"
    path.write_text("hello")
    _expect(path, r"expected a pose file ending in \.npz or \.json, got '\.txt'")


def test_folder(tmp_path: Path) -> None:
    (tmp_path / "dir.npz").mkdir()
    _expect(tmp_path / "dir.npz", "is a folder")


def test_corrupt_npz(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(np.random.default_rng(0).bytes(300))
    _expect(path, r"not a readable \.npz pose file")


def test_text_named_npz_is_not_called_pickled(tmp_path: Path) -> None:
    # numpy unpickles any non-archive; with pickles refused it calls the file "pickled (object) data" that the
    # user may "load unsafely". A web page saved as a pose file is neither.
    path = tmp_path / "page.npz"
    path.write_text("<html>404 Not Found</html>")
    with pytest.raises(InputError) as info:
        load_poses(path)
    assert str(info.value) == (f"{path}: not a readable .npz pose file (corrupt or truncated?): not a zip archive, "
                               "as every .npz is (it starts with b'<htm')")


def test_truncated_npz(tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    save_poses(_sequence(), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _expect(path, r"not a readable \.npz pose file \(corrupt or truncated\?\)")


def test_npy_named_npz(tmp_path: Path) -> None:
    path = tmp_path / "single.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    _expect(path, "got a single .npy array")


def test_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    save_poses(_sequence(), path)
    path.write_text(path.read_text()[:100])
    _expect(path, r"not valid JSON \(corrupt or truncated\?\)")


def test_json_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    _expect(path, r"expected a JSON object with keys \['joints3d', 'K'\], got list")


def test_missing_key(tmp_path: Path) -> None:
    path = _write_npz(tmp_path / "nok.npz", joints3d=np.zeros((2, 17, 3)))
    _expect(path, r"missing key 'K'; a pose file needs \['joints3d', 'K'\], has \['joints3d'\]")


def test_smpl_parameters_are_named(tmp_path: Path) -> None:
    path = _write_npz(tmp_path / "params.npz", global_orient=np.zeros((2, 3)), body_pose=np.zeros((2, 69)),
                      betas=np.zeros(10), transl=np.zeros((2, 3)), K=np.eye(3))
    _expect(path, r"^[^:]*params\.npz: SMPL parameters, not joints \(a pose file needs \['joints3d', 'K'\]\): refine "
            r"them with --smpl and --body-model; an SMPL refinement's joints are in the refined\.npz beside its "
            r"refined_smpl\.npz$")


def test_wrong_shape(tmp_path: Path) -> None:
    path = _write_npz(tmp_path / "shape.npz", joints3d=np.zeros((2, 17, 2)), K=np.eye(3))
    _expect(path, r"joints3d must have shape \(T, J, 3\) with T >= 1, got \(2, 17, 2\)", ShapeError)
    path = _write_npz(tmp_path / "k.npz", joints3d=np.ones((2, 17, 3)), K=np.eye(4))
    _expect(path, r"K must have shape \(3, 3\) or \(2, 3, 3\), got \(4, 4\)", ShapeError)


def test_unknown_skeleton(tmp_path: Path) -> None:
    arrays = dict(joints3d=np.ones((2, 17, 3)), K=np.eye(3), skeleton=np.str_("body25"))
    path = _write_npz(tmp_path / "skel.npz", **arrays)
    _expect(path, r"unknown skeleton 'body25'; choose from \[")


def test_joint_count_does_not_match_skeleton(tmp_path: Path) -> None:
    path = _write_npz(tmp_path / "j.npz", joints3d=np.ones((2, 14, 3)), K=np.eye(3))
    _expect(path, "skeleton 'h36m17' has 17 joints, joints3d has 14")


def test_non_numeric_values(tmp_path: Path) -> None:
    path = tmp_path / "text.json"
    path.write_text(json.dumps({"joints3d": [["a", "b", "c"]], "K": np.eye(3).tolist()}))
    _expect(path, "joints3d must be a numeric array")
    path = _write_npz(tmp_path / "fps.npz", joints3d=np.ones((2, 17, 3)), K=np.eye(3), fps=np.str_("fast"))
    _expect(path, "fps must be a number, got <U4 array")


@pytest.mark.parametrize("value", [-3, 2.5, "7", [1, 2], True])
def test_first_frame_must_be_a_frame_number(tmp_path: Path, value: object) -> None:
    doc = {"joints3d": (np.zeros((2, 17, 3)) + [0, 0, 3]).tolist(), "K": np.eye(3).tolist(), "first_frame": value}
    (tmp_path / "p.json").write_text(json.dumps(doc))
    _expect(tmp_path / "p.json", r"first_frame must be a frame number \(an integer >= 0\), got ")
    _write_npz(tmp_path / "p.npz", joints3d=np.zeros((2, 17, 3)) + [0, 0, 3], K=np.eye(3), first_frame=np.array(value))
    _expect(tmp_path / "p.npz", "first_frame must be a frame number")


@pytest.mark.parametrize(("value", "message"), [
    (["0", "0.1"], r"times must be numbers \(seconds\), got <U3 array"),
    ([0.0, None], "times must be numbers"),
    ([0.1, 0.0], "times must be finite seconds that increase from frame to frame"),
    ([0.0, 0.1, 0.2], r"times must have shape \(2,\), got \(3,\)"),
])
def test_times_must_be_increasing_seconds(tmp_path: Path, value: list, message: str) -> None:
    doc = {"joints3d": (np.zeros((2, 17, 3)) + [0, 0, 3]).tolist(), "K": np.eye(3).tolist(), "times": value}
    (tmp_path / "p.json").write_text(json.dumps(doc))
    _expect(tmp_path / "p.json", message)


def test_unknown_key_warns(tmp_path: Path) -> None:
    path = _write_npz(tmp_path / "extra.npz", joints3d=np.ones((2, 17, 3)), K=np.eye(3), joint2d=np.zeros(1))
    with pytest.warns(UserWarning, match=r"ignoring unknown keys \['joint2d'\]"):
        seq = load_poses(path)
    assert seq.num_frames == 2 and seq.skeleton == "h36m17" and seq.fps == 30.0
