"""Tests of flowpose.scene_focal: the camera's focal length read from the scene's lines."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.rig_files import read_rig
from flowpose.io.video import open_video
from flowpose.scene_focal import centred_K, focal_from_lines, resolved_camera
from flowpose.vertical_lines import SceneLines
from tests.conftest import shared_path
from tests.room import room_image

SIZE = (480, 320)


@pytest.mark.parametrize(("focal", "pitch", "roll"), [(300.0, 15.0, -5.0), (500.0, 22.0, 10.0)])
def test_the_focal_length_is_read_from_a_rooms_lines(focal: float, pitch: float, roll: float) -> None:
    found = focal_from_lines(SceneLines([room_image(centred_K(focal, SIZE), SIZE, pitch, roll, shelves=True)]), "room.mp4")
    assert found.focal_px == pytest.approx(focal, rel=0.025)
    assert found.fov_deg == pytest.approx(np.degrees(2 * np.arctan(SIZE[1] / 2 / found.focal_px)))
    assert found.vertical >= 12 and found.horizontal >= 12


def test_a_scene_without_lines_is_refused_with_what_to_give() -> None:
    with pytest.raises(InputError, match=r"room\.mp4: --focal-px auto found \d+ vertical and \d+ horizontal lines in "
                                         r"the scene .* give the focal length, --focal-px F or --intrinsics FILE"):
        focal_from_lines(SceneLines([np.full((*SIZE, 3), 128, np.uint8)]), "room.mp4")


def test_only_a_focal_length_left_to_read_is_read() -> None:
    room = [room_image(centred_K(300.0, SIZE), SIZE, 15.0, -5.0, shelves=True)]
    auto = CameraOptions(focal_from_scene=True)
    with pytest.raises(InputError, match=r"--focal-px auto reads the focal length from a video's lines where refine or "
                                         r"estimate reads the video; here give --focal-px F"):
        auto.matrix(SIZE)
    camera, note = resolved_camera(auto, SceneLines(room), "room.mp4")
    assert camera.focal_px == pytest.approx(300.0, rel=0.025) and not camera.guessed
    assert camera.matrix(SIZE)[0, 0] == camera.focal_px
    assert note.startswith(f"camera: focal length {camera.focal_px:.1f} px (a horizontal field of view of ")
    assert camera.describe(SIZE) == (f"camera: focal length {camera.focal_px:.1f} px read from the scene's lines "
                                     "(--focal-px auto), principal point at the image centre")
    given = CameraOptions(focal_px=420.0)
    assert resolved_camera(given, SceneLines(room), "room.mp4") == (given, None)


def test_the_real_cameras_focal_lengths_are_read_within_2_5_percent() -> None:
    rig = shared_path("data", "video", "pose2sim_multiperson")
    for camera in read_rig(rig / "calibration" / "Calib.qca.txt"):
        with open_video(rig / "videos" / f"{camera.name}.mp4") as reader:
            found = focal_from_lines(SceneLines(reader), camera.name)
        assert found.focal_px == pytest.approx(camera.K[0, 0], rel=0.025), camera.name
