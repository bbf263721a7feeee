"""Tests of flowpose.io.rig_files: one camera's intrinsics from a multi-camera calibration file."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.rig_files import choose_camera, is_rig_file, read_rig
from tests.conftest import shared_path

TOML = """\
[cam_01]
name = "cam01"
size = [ 1088.0, 1920.0,]
matrix = [ [ 1681.2, 0.0, 533.0,], [ 0.0, 1681.1, 948.1,], [ 0.0, 0.0, 1.0,],]
distortions = [ -0.046, 0.14, 0.0006, 0.0007,]
rotation = [ 1.2, -0.3, 0.1,]
translation = [ 0.5, 1.1, 3.2,]
fisheye = false

[cam_02]
name = "cam02"
size = [ 1920.0, 1080.0,]
matrix = [ [ 1400.0, 0.0, 960.0,], [ 0.0, 1400.0, 540.0,], [ 0.0, 0.0, 1.0,],]
distortions = [ 0.0, 0.0, 0.0, 0.0,]
rotation = [ 0.0, 0.0, 0.0,]
translation = [ 0.0, 0.0, 0.0,]
fisheye = false

[metadata]
adjusted = false
error = 0.0
"""


IDENTITY = 'r11="1" r12="0" r13="0" r21="0" r22="1" r23="0" r31="0" r32="0" r33="1" x="0" y="0" z="0"'
"""A Qualisys camera's ``<transform>``: no turn, at the world's origin."""


def qca(cameras: list[dict[str, str]]) -> str:
    """A Qualisys calibration of ``cameras`` (each: serial, viewrotation, the fov_video box, intrinsic values, and
    its ``transform`` attributes where not :data:`IDENTITY`)."""
    blocks = []
    for c in cameras:
        intrinsic = " ".join(f'{k}="{v}"' for k, v in c["intrinsic"].items())
        blocks.append(
            f'    <camera active="1" serial="{c["serial"]}" viewrotation="{c.get("viewrotation", "0")}">\n'
            f'      <fov_video bottom="{c["bottom"]}" left="{c["left"]}" right="{c["right"]}" top="{c["top"]}"/>\n'
            f'      <transform {c.get("transform", IDENTITY)}/>\n'
            f"      <intrinsic {intrinsic}/>\n"
            "    </camera>\n"
        )
    return ("<?xml version='1.0' encoding='ASCII'?>\n<calibration type=\"regular\">\n  <cameras>\n"
            + "".join(blocks) + "  </cameras>\n</calibration>\n")


INTRINSIC = {"centerPointU": "34112", "centerPointV": "60672", "focalLengthU": "107520", "focalLengthV": "107584",
             "radialDistortion1": "-0.05", "radialDistortion2": "0.13", "radialDistortion3": "0.01",
             "tangentalDistortion1": "0.0006", "tangentalDistortion2": "0.0007", "skew": "0"}


def test_pose2sim_toml(tmp_path: Path) -> None:
    path = tmp_path / "Calib.toml"
    path.write_text(TOML)
    cameras = read_rig(path)
    assert [c.name for c in cameras] == ["cam01", "cam02"]  # [metadata] is not a camera
    first = cameras[0]
    np.testing.assert_array_equal(first.K, [[1681.2, 0, 533.0], [0, 1681.1, 948.1], [0, 0, 1]])
    np.testing.assert_array_equal(first.dist, [-0.046, 0.14, 0.0006, 0.0007])
    assert first.size == (1920, 1088)  # size is [W, H]: a portrait camera
    assert first.names == ("cam01", "cam_01")
    assert cameras[1].size == (1080, 1920)
    # Where each camera stands: the rotation a Rodrigues vector, world -> camera; the translation as written (m).
    np.testing.assert_allclose(first.R, cv2.Rodrigues(np.array([1.2, -0.3, 0.1]))[0])
    np.testing.assert_array_equal(first.t, [0.5, 1.1, 3.2])
    np.testing.assert_array_equal(cameras[1].R, np.eye(3))
    path.write_text(TOML.replace("rotation = [ 0.0, 0.0, 0.0,]", "rotation = [[0, 1, 0], [-1, 0, 0], [0, 0, 1]]"))
    np.testing.assert_array_equal(read_rig(path)[1].R, [[0, 1, 0], [-1, 0, 0], [0, 0, 1]])  # a matrix as it is
    path.write_text(TOML.replace("rotation = [ 1.2, -0.3, 0.1,]", ""))
    assert read_rig(path)[0].R is None and read_rig(path)[0].t is None  # no place: intrinsics only


def test_qualisys_qca(tmp_path: Path) -> None:
    path = tmp_path / "Calib.qca.txt"
    path.write_text(qca([
        {"serial": "cam_a", "left": "0", "top": "0", "right": "1087", "bottom": "1919", "intrinsic": INTRINSIC},
        {"serial": "cam_b", "left": "100", "top": "40", "right": "739", "bottom": "519", "intrinsic": INTRINSIC},
    ]))
    assert is_rig_file(path)
    a, b = read_rig(path)
    # 1/64 px: 107520 / 64 = 1680, 34112 / 64 = 533, 60672 / 64 = 948
    np.testing.assert_array_equal(a.K, [[1680.0, 0, 533.0], [0, 1681.0, 948.0], [0, 0, 1]])
    np.testing.assert_array_equal(a.dist, [-0.05, 0.13, 0.0006, 0.0007, 0.01])  # OpenCV's k1, k2, p1, p2, k3
    assert a.size == (1920, 1088)
    # A video of part of the sensor: the principal point is in the video's pixels, the size the part's.
    np.testing.assert_array_equal(b.K[:2, 2], [433.0, 908.0])
    assert b.size == (480, 640)


def test_qualisys_camera_place(tmp_path: Path) -> None:
    # Qualisys's camera looks along its -z, y up (OpenCV's axes turned half about x); its centre in mm. A camera
    # 5 m above the origin, not turned, looks down at it: the origin is 5 m ahead of it in OpenCV's axes.
    above = IDENTITY.replace('z="0"', 'z="5000"')
    path = tmp_path / "Calib.qca.txt"
    path.write_text(qca([{"serial": "c", "left": "0", "top": "0", "right": "1087", "bottom": "1919",
                          "intrinsic": INTRINSIC, "transform": above}]))
    (camera,) = read_rig(path)
    np.testing.assert_array_equal(camera.R, np.diag([1.0, -1.0, -1.0]))
    np.testing.assert_allclose(camera.R @ np.zeros(3) + camera.t, [0.0, 0.0, 5.0])
    np.testing.assert_allclose(camera.R @ np.array([1.0, 1.0, 0.0]) + camera.t, [1.0, -1.0, 5.0])  # +y: up the image
    path.write_text(qca([{"serial": "c", "left": "0", "top": "0", "right": "1087", "bottom": "1919",
                          "intrinsic": INTRINSIC, "transform": above.replace('x="0" ', "")}]))
    with pytest.raises(InputError, match=r"camera c: its <intrinsic>, <fov_video> or <transform> lacks 'x'"):
        read_rig(path)


def easymocap(path: Path, sizes: dict[str, tuple[int, int] | None]) -> None:
    """EasyMocap's intri.yml of cameras named as ``sizes``' keys (K_, dist_ and, where a size is given, H_, W_)."""
    storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    storage.startWriteStruct("names", cv2.FileNode_SEQ)
    for name in sizes:
        storage.write("", name)
    storage.endWriteStruct()
    for k, (name, size) in enumerate(sizes.items()):
        storage.write(f"K_{name}", np.array([[1000.0 + k, 0, 512], [0, 1001.0 + k, 384], [0, 0, 1]]))
        storage.write(f"dist_{name}", np.array([[-0.1, 0.01, 0.001, 0.002, 0.0]]))
        if size is not None:
            storage.write(f"H_{name}", size[0])
            storage.write(f"W_{name}", size[1])
    storage.release()


def test_easymocap_intri_yml(tmp_path: Path) -> None:
    path = tmp_path / "intri.yml"
    easymocap(path, {"01": (768, 1024), "02": None})
    assert is_rig_file(path)
    first, second = read_rig(path)
    assert (first.name, first.size, second.name, second.size) == ("01", (768, 1024), "02", None)
    np.testing.assert_array_equal(second.K, [[1001.0, 0, 512], [0, 1002.0, 384], [0, 0, 1]])
    np.testing.assert_array_equal(first.dist, [-0.1, 0.01, 0.001, 0.002, 0.0])
    assert choose_camera([first, second], path, None, tmp_path / "02.mp4").name == "02"  # videos/02.mp4
    storage = cv2.FileStorage(str(tmp_path / "bad.yml"), cv2.FILE_STORAGE_WRITE)
    storage.startWriteStruct("names", cv2.FileNode_SEQ)
    storage.write("", "03")
    storage.endWriteStruct()
    storage.release()
    with pytest.raises(InputError, match=r"bad\.yml: camera 03: no K_03 in the file"):
        read_rig(tmp_path / "bad.yml")


def test_what_is_a_rig_file(tmp_path: Path) -> None:
    (tmp_path / "K.txt").write_text("500 500 320 240\n")
    (tmp_path / "opencv.xml").write_text('<?xml version="1.0"?>\n<opencv_storage>\n</opencv_storage>\n')
    (tmp_path / "c.toml").write_text("")
    storage = cv2.FileStorage(str(tmp_path / "opencv.yml"), cv2.FILE_STORAGE_WRITE)
    storage.write("camera_matrix", np.eye(3))
    storage.release()
    assert not is_rig_file(tmp_path / "opencv.yml")  # OpenCV's calibration of one camera
    assert not is_rig_file(tmp_path / "K.txt")
    assert not is_rig_file(tmp_path / "opencv.xml")
    assert is_rig_file(tmp_path / "c.toml")
    with pytest.raises(InputError, match=r"c\.toml: no camera in it \(expected a calibration file"):
        read_rig(tmp_path / "c.toml")


def test_the_camera_is_chosen_by_name_or_by_the_video(tmp_path: Path) -> None:
    path = tmp_path / "Calib.toml"
    path.write_text(TOML)
    cameras = read_rig(path)
    assert choose_camera(cameras, path, "cam02", None).name == "cam02"
    assert choose_camera(cameras, path, "CAM_02", None).name == "cam02"  # without case and underscores
    assert choose_camera(cameras, path, None, tmp_path / "cam01.mp4").name == "cam01"
    assert choose_camera(cameras, path, None, tmp_path / "cam_02.avi").name == "cam02"
    (tmp_path / "cam02").mkdir()
    assert choose_camera(cameras, path, None, tmp_path / "cam02").name == "cam02"  # a folder of frames
    assert choose_camera(cameras[:1], path, None, tmp_path / "other.mp4").name == "cam01"  # the only one
    with pytest.raises(InputError, match=r"Calib\.toml: no camera named 'cam9' in it; it holds cam01, cam02"):
        choose_camera(cameras, path, "cam9", None)
    with pytest.raises(InputError, match=r"Calib\.toml: holds 2 cameras \(cam01, cam02\), none named as the video "
                                         r"take1\.mp4: name the video's with --camera NAME"):
        choose_camera(cameras, path, None, tmp_path / "take1.mp4")
    with pytest.raises(InputError, match=r"Calib\.toml: holds 2 cameras \(cam01, cam02\): name one with --camera NAME"):
        choose_camera(cameras, path, None, None)  # no video to name it (import without --video)


REFUSED = {
    "fisheye.toml": (TOML.replace("fisheye = false", "fisheye = true", 1), r"camera cam01: a fisheye lens model"),
    "broken.toml": ("[cam_01\nname = 1", r"not a readable calibration file \(TOML\)"),
    "odd.toml": ("[c]\nmatrix = [1, 2, 3]\n", r"camera c: matrix must have shape \(3, 3\), got \(3,\)"),
    "cut.qca.txt": ("<?xml version='1.0'?>\n<calibration>\n<cameras><camera serial='a'>\n",  # a file cut short
                    r"not a readable calibration file \(Qualisys XML\): no element found"),
    "sized.toml": ("[c]\nsize = [1, 2, 3]\nmatrix = [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1]]\n",
                   r"camera c: size \(W, H\) must have shape \(2,\), got \(3,\)"),
    "turned.qca.txt": (qca([{"serial": "c1", "viewrotation": "90", "left": "0", "top": "0", "right": "1919",
                             "bottom": "1087", "intrinsic": INTRINSIC}]),
                       r"camera c1: its video is turned \(viewrotation 90\)"),
    "short.qca.txt": (qca([{"serial": "c1", "left": "0", "top": "0", "right": "1919", "bottom": "1087",
                            "intrinsic": {k: v for k, v in INTRINSIC.items() if k != "focalLengthV"}}]),
                      r"camera c1: its <intrinsic>, <fov_video> or <transform> lacks 'focalLengthV'"),
    "rotated.toml": ("[c]\nmatrix = [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1]]\nrotation = [1.0, 2.0]\ntranslation = [0, 0, 1]\n",
                     r"camera c: rotation must be a Rodrigues vector \(3 numbers\) or a 3x3 matrix, got 2 numbers"),
}
"""Files refused: name -> (content, the message after ``NAME: ``)."""


@pytest.mark.parametrize("name", list(REFUSED))
def test_what_is_refused(tmp_path: Path, name: str) -> None:
    content, message = REFUSED[name]
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=re.escape(name) + ": " + message):
        read_rig(tmp_path / name)


@pytest.mark.needs_shared
def test_the_real_pose2sim_calibration() -> None:
    cameras = read_rig(shared_path("data", "video", "pose2sim_multiperson", "calibration", "Calib.qca.txt"))
    assert [c.name for c in cameras] == ["cam01", "cam02", "cam03", "cam04"]
    for c in cameras:  # 1088 x 1920 portrait videos, a focal length of about 1,680 px (the dev set's reading)
        assert c.size == (1920, 1088)
        assert 1600 < c.K[0, 0] < 1760 and abs(c.K[0, 0] - c.K[1, 1]) < 1.0
        assert 0 < c.K[0, 2] < 1088 and 0 < c.K[1, 2] < 1920
        # Their places (Z up, mm read as m): 1.6 to 2.2 m up, 2 to 4 m from the lab's origin, looking at it.
        np.testing.assert_allclose(c.R @ c.R.T, np.eye(3), atol=1e-5)
        centre, ahead = -c.R.T @ c.t, c.R.T @ np.array([0.0, 0.0, 1.0])
        assert 1.6 < centre[2] < 2.2 and 2.0 < np.linalg.norm(centre[:2]) < 4.5
        to_origin = -centre / np.linalg.norm(centre)
        assert np.degrees(np.arccos(ahead @ to_origin)) < 30.0


def test_easymocap_places_from_extri_yml_beside_intri_yml(tmp_path: Path) -> None:
    easymocap(tmp_path / "intri.yml", {"01": (768, 1024), "02": None, "03": None})
    assert all(c.R is None for c in read_rig(tmp_path / "intri.yml"))  # no extri.yml: intrinsics only
    storage = cv2.FileStorage(str(tmp_path / "extri.yml"), cv2.FILE_STORAGE_WRITE)
    storage.startWriteStruct("names", cv2.FileNode_SEQ)
    for name in ("01", "02", "03"):
        storage.write("", name)
    storage.endWriteStruct()
    storage.write("R_01", np.array([[0.1], [-0.2], [0.3]]))  # a Rodrigues vector
    storage.write("T_01", np.array([[0.5], [1.0], [3.0]]))
    storage.write("Rot_02", np.eye(3))  # a matrix
    storage.write("T_02", np.array([[0.0], [0.0], [2.0]]))
    storage.release()  # camera 03: no place in it
    first, second, third = read_rig(tmp_path / "intri.yml")
    np.testing.assert_allclose(first.R, cv2.Rodrigues(np.array([0.1, -0.2, 0.3]))[0])
    np.testing.assert_array_equal(first.t, [0.5, 1.0, 3.0])
    np.testing.assert_array_equal(second.R, np.eye(3))
    assert third.R is None and third.t is None
