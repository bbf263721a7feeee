"""Tests of flowpose.io.intrinsics: K from files in every format, from a focal length, from a field of view."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from flowpose.camera import intrinsics_from_fov
from flowpose.errors import InputError, ShapeError
from flowpose.io.intrinsics import CameraOptions, load_intrinsics

K = intrinsics_from_fov(640, 480, 60.0)


def test_load_intrinsics(tmp_path: Path) -> None:
    np.savetxt(tmp_path / "K.txt", K)
    np.save(tmp_path / "K.npy", K)
    np.savez(tmp_path / "K.npz", K=K)
    for name in ("K.txt", "K.npy", "K.npz"):
        np.testing.assert_allclose(load_intrinsics(tmp_path / name), K)
    np.save(tmp_path / "bad.npy", np.eye(4))
    with pytest.raises(ShapeError, match=r"bad\.npy: K must have shape \(3, 3\)"):
        load_intrinsics(tmp_path / "bad.npy")
    np.save(tmp_path / "neg.npy", -np.eye(3))
    with pytest.raises(InputError, match=r"neg\.npy: K must be a pinhole camera matrix"):
        load_intrinsics(tmp_path / "neg.npy")
    np.save(tmp_path / "negf.npy", np.diag([-500.0, 500.0, 1.0]))
    with pytest.raises(InputError, match=r"negf\.npy: K must have focal lengths in \(0"):
        load_intrinsics(tmp_path / "negf.npy")


def test_four_numbers_and_json(tmp_path: Path) -> None:
    fx, fy, cx, cy = 510.0, 505.0, 300.5, 250.25
    expected = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]])
    (tmp_path / "k4.txt").write_text(f"{fx} {fy} {cx} {cy}\n")
    (tmp_path / "k4.json").write_text(json.dumps({"fx": fx, "fy": fy, "cx": cx, "cy": cy}))
    (tmp_path / "kl.json").write_text(json.dumps(expected.tolist()))
    (tmp_path / "kk.json").write_text(json.dumps({"K": expected.tolist()}))
    for name in ("k4.txt", "k4.json", "kl.json", "kk.json"):
        np.testing.assert_allclose(load_intrinsics(tmp_path / name), expected, err_msg=name)
    (tmp_path / "odd.json").write_text(json.dumps({"focal": 500}))
    with pytest.raises(InputError, match=r"odd\.json: expected key 'K' or keys fx, fy, cx, cy; has \['focal'\]"):
        load_intrinsics(tmp_path / "odd.json")
    (tmp_path / "five.json").write_text(json.dumps([1, 2, 3, 4, 5]))
    with pytest.raises(ShapeError, match=r"five\.json: K must have shape \(3, 3\) or 4 numbers"):
        load_intrinsics(tmp_path / "five.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InputError, match=r"broken\.json: not valid JSON"):
        load_intrinsics(tmp_path / "broken.json")
    with pytest.raises(InputError, match=r"K\.yaml"):
        load_intrinsics(tmp_path / "K.yaml")


def test_unreadable_files_name_the_file_once(tmp_path: Path) -> None:
    np.savez(tmp_path / "nok.npz", A=K)
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "page.npy").write_text("<html>")
    (tmp_path / "archive.npy").write_bytes(b"PK\x03\x04")
    expected = {
        "nok.npz": "missing key 'K'; has ['A']",
        "broken.json": "not valid JSON (corrupt or truncated?): Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        # not numpy's "pickled (object) data ... load it unsafely": the file holds no pickle
        "page.npy": "not a readable camera intrinsics file: not an .npy array, which starts with b'\\x93NUMPY' "
        "(it starts with b'<htm')",
        "archive.npy": "not a readable camera intrinsics file: a zip archive (an .npz?), not an .npy array",
    }
    for name, problem in expected.items():
        with pytest.raises(InputError) as info:
            load_intrinsics(tmp_path / name)
        assert str(info.value) == f"{tmp_path / name}: {problem}"


def test_camera_options_precedence_and_guess(tmp_path: Path) -> None:
    size = (480, 640)  # (H, W): landscape
    guess = CameraOptions()
    assert guess.guessed and "GUESS from --fov 60" in guess.describe(size)
    np.testing.assert_allclose(guess.matrix(size), K)
    # The field of view spans the width, also on portrait video: f = (W / 2) / tan(fov / 2).
    portrait = CameraOptions(fov_deg=90.0).matrix((640, 360))
    assert portrait[0, 0] == pytest.approx(180.0) and portrait[1, 2] == pytest.approx(319.5)
    focal = CameraOptions(focal_px=800.0, fov_deg=30.0)
    assert not focal.guessed and "800.0 px" in focal.describe(size)
    np.testing.assert_allclose(focal.matrix(size), [[800, 0, 319.5], [0, 800, 239.5], [0, 0, 1]])
    np.save(tmp_path / "K.npy", np.array([[900.0, 0, 300], [0, 900, 260], [0, 0, 1]]))
    calibrated = CameraOptions(intrinsics=tmp_path / "K.npy", focal_px=800.0)
    assert calibrated.matrix(size)[0, 2] == 300 and "K.npy" in calibrated.describe(size)
    with pytest.raises(InputError, match="--focal-px must be a positive number of pixels, got -5"):
        CameraOptions(focal_px=-5.0)
    with pytest.raises(InputError, match=r"--fov must lie in \(0, 180\) degrees, got 200"):
        CameraOptions(fov_deg=200.0)
