"""Tests of flowpose.io.intrinsics: K from files in every format, from a focal length, from a field of view."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.camera import intrinsics_from_fov
from flowpose.errors import InputError, ShapeError
from flowpose.io.intrinsics import CameraOptions, load_camera_file, load_intrinsics
from flowpose.lens import distortion_shift_px

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
        "nok.npz": "missing key 'K' or 'camera_matrix' or 'cameraMatrix'; has ['A']",
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


def test_calibration_files_with_lens_distortion(tmp_path: Path) -> None:
    dist = np.array([-0.2, 0.05, 0.001, -0.002, 0.0])
    np.savez(tmp_path / "cam.npz", camera_matrix=K, dist=dist)
    (tmp_path / "cam.json").write_text(json.dumps({"K": K.tolist(), "distortion": dist.tolist()}))
    storage = cv2.FileStorage(str(tmp_path / "cam.yml"), cv2.FILE_STORAGE_WRITE)  # as OpenCV's calibration writes
    storage.write("camera_matrix", K)
    storage.write("distortion_coefficients", dist[None])
    storage.release()
    data = lambda a: ", ".join(map(str, a.ravel()))  # noqa: E731
    (tmp_path / "ost.yaml").write_text(  # ROS camera_info, as its camera_calibration writes it
        "image_width: 640\nimage_height: 480\ncamera_name: cam\n"
        f"camera_matrix:\n  rows: 3\n  cols: 3\n  data: [{data(K)}]\n"
        "distortion_model: plumb_bob\n"
        f"distortion_coefficients:\n  rows: 1\n  cols: 5\n  data: [{data(dist)}]\n"
    )
    for name in ("cam.npz", "cam.json", "cam.yml", "ost.yaml"):
        camera = load_camera_file(tmp_path / name)
        np.testing.assert_allclose(camera.K, K, err_msg=name)
        np.testing.assert_allclose(camera.dist, dist, err_msg=name)
        assert camera.distorted
    np.savez(tmp_path / "pinhole.npz", K=K, dist=np.zeros(5))
    assert not load_camera_file(tmp_path / "pinhole.npz").distorted
    np.savez(tmp_path / "k.npz", K=K)
    assert load_camera_file(tmp_path / "k.npz").dist is None
    np.savez(tmp_path / "three.npz", K=K, D=np.ones(3))
    with pytest.raises(InputError, match=r"three\.npz: lens distortion must be 4, 5, 8, 12 or 14 finite numbers .* got 3"):
        load_camera_file(tmp_path / "three.npz")


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("broken.yml", "camera_matrix: [1, 2\n", "not a readable camera intrinsics file: Parsing error: "),
    ("empty.yml", "", "not a readable camera intrinsics file: it is empty"),
    ("word.yml", "camera_matrix: hello\n", "'camera_matrix' is not a matrix or a list of numbers"),
    ("none.xml", '<?xml version="1.0"?>\n<opencv_storage>\n<other>1</other>\n</opencv_storage>\n',
     "missing key 'K' or 'camera_matrix' or 'cameraMatrix'; has ['other']"),
])
def test_unreadable_calibration_files_say_why(tmp_path: Path, name: str, text: str, problem: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as info:
        load_camera_file(tmp_path / name)
    assert str(info.value).startswith(f"{tmp_path / name}: {problem}")


def test_a_lens_distortion_is_told_and_given(tmp_path: Path) -> None:
    size = (480, 640)
    dist = np.array([-0.3, 0.1, 0.0, 0.0, 0.0])
    np.savez(tmp_path / "cam.npz", K=K, dist=dist)
    np.savez(tmp_path / "pinhole.npz", K=K, dist=np.zeros(5))
    camera = CameraOptions(intrinsics=tmp_path / "cam.npz")
    edge, middle = distortion_shift_px(K, dist, size)
    assert camera.describe(size) == (
        f"camera: K from {tmp_path / 'cam.npz'} (fx {K[0, 0]:.1f} px), with lens distortion: {edge:.1f} px at most, "
        f"{middle:.1f} px in the middle of the frame"
    )
    assert edge > 10.0 > middle > 1.0
    np.testing.assert_array_equal(camera.distortion(), dist)
    pinhole = CameraOptions(intrinsics=tmp_path / "pinhole.npz")
    assert pinhole.describe(size) == f"camera: K from {tmp_path / 'pinhole.npz'} (fx {K[0, 0]:.1f} px)"
    assert pinhole.distortion() is None and CameraOptions(focal_px=500.0).distortion() is None


def test_a_camera_of_a_multi_camera_file(tmp_path: Path) -> None:
    from tests.io.test_rig_files import TOML

    rig = tmp_path / "Calib.toml"
    rig.write_text(TOML)
    camera = load_camera_file(rig, video=tmp_path / "cam01.mp4")
    assert (camera.camera, camera.size) == ("cam01", (1920, 1088))
    np.testing.assert_array_equal(camera.dist, [-0.046, 0.14, 0.0006, 0.0007])
    assert load_camera_file(rig, "cam02").camera == "cam02"
    with pytest.raises(InputError, match=r"Calib\.toml: holds 2 cameras \(cam01, cam02\), none named as the video "
                                         r"clip\.mp4: name the video's with --camera NAME"):
        load_camera_file(rig, video=tmp_path / "clip.mp4")
    np.savetxt(tmp_path / "K.txt", K)
    with pytest.raises(InputError, match=r"K\.txt: a camera file of one camera, got --camera cam01"):
        load_camera_file(tmp_path / "K.txt", "cam01")
    bad = tmp_path / "bad.toml"
    bad.write_text(TOML.replace("[ 0.0, 1681.1, 948.1,]", "[ 0.0, -1681.1, 948.1,]"))
    with pytest.raises(InputError, match=r"bad\.toml: camera cam01: K must have focal lengths in \(0"):
        load_camera_file(bad, "cam01")


def test_a_calibrated_camera_on_resized_frames(tmp_path: Path) -> None:
    from tests.io.test_rig_files import TOML

    rig = tmp_path / "Calib.toml"
    rig.write_text(TOML)
    options = CameraOptions(intrinsics=rig, video=tmp_path / "cam01.mp4")
    full = options.matrix((1920, 1088))
    np.testing.assert_array_equal(full, [[1681.2, 0, 533.0], [0, 1681.1, 948.1], [0, 0, 1]])
    half = options.matrix((960, 544))
    np.testing.assert_allclose(half, [[840.6, 0, 266.25], [0, 840.55, 473.8], [0, 0, 1]])
    # A point keeps its place on the frame: its pixel centre-based coordinate scales about the frame's corner.
    x = np.array([0.2, -0.1, 1.0])
    u_full, u_half = (full @ x)[:2], (half @ x)[:2]
    np.testing.assert_allclose((u_full + 0.5) / 2, u_half + 0.5)
    assert options.describe((960, 544)).startswith(
        f"camera: K from {rig}, camera cam01 (fx 840.6 px, scaled by 0.5 to these frames), with lens distortion: ")
    assert "scaled" not in options.describe((1920, 1088))
    np.testing.assert_array_equal(options.matrix((1921, 1089)), full)  # a size counted another way: the same frames
    with pytest.raises(InputError, match=r"Calib\.toml: camera cam01 was calibrated on 1088x1920 frames \(W x H\), "
                                         r"the video's are 1920x1080: not this camera's video"):
        options.matrix((1080, 1920))
    with pytest.raises(InputError, match=r"--camera cam01: names a camera of an --intrinsics calibration file; no "
                                         r"--intrinsics was given"):
        CameraOptions(camera="cam01")
