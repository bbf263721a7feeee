"""Tests of flowpose.vertical_lines: the camera's tilt read from the scene's vertical lines."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from flowpose.camera_place import camera_tilt
from flowpose.errors import InputError
from flowpose.io.rig_files import read_rig
from flowpose.io.video import open_video
from flowpose.io.world_frame import world_frame
from flowpose.vertical_lines import MIN_LINES, SceneLines, background, tilt_from_lines
from tests.conftest import shared_path
from tests.room import room_image

K = np.array([[520.0, 0.0, 239.5], [0.0, 520.0, 319.5], [0.0, 0.0, 1.0]])  # a portrait 480 x 640 frame
LENS = np.array([-0.05, 0.14, 0.0, 0.0])  # about the real set's phones'


def scene(pitch: float, roll: float, dist: np.ndarray | None = None, poles: int = 24) -> np.ndarray:
    """:func:`room_image` in a portrait 480 x 640 frame."""
    return room_image(K, (640, 480), pitch, roll, dist, poles)


@pytest.mark.parametrize(("pitch", "roll"), [(22.0, -13.0), (5.0, 2.5), (30.0, 20.0)])
def test_the_tilt_is_read_from_the_vertical_lines_not_the_floors(pitch: float, roll: float) -> None:
    tilt = tilt_from_lines(SceneLines([scene(pitch, roll)]), K, None, "room.mp4")
    assert tilt.pitch_deg == pytest.approx(pitch, abs=0.4)
    assert tilt.roll_deg == pytest.approx(roll, abs=0.4)
    assert tilt.lines >= MIN_LINES and max(tilt.spread_deg) < 0.5


def test_a_lens_bends_the_lines_and_is_undone_when_given() -> None:
    bent = [scene(22.0, -13.0, dist=LENS)]
    through_lens = tilt_from_lines(SceneLines(bent), K, LENS, "room.mp4")
    assert (through_lens.pitch_deg, through_lens.roll_deg) == (pytest.approx(22.0, abs=0.2), pytest.approx(-13.0, abs=0.2))
    assert abs(tilt_from_lines(SceneLines(bent), K, None, "room.mp4").pitch_deg - 22.0) > 0.4  # read as if straight


def test_people_who_move_are_left_out_of_the_background() -> None:
    still = scene(10.0, 0.0)
    frames = []
    for i in range(15):
        frame = still.copy()
        cv2.rectangle(frame, (20 + 28 * i, 200), (60 + 28 * i, 500), (255, 255, 255), -1)  # a walker's tall edges
        frames.append(frame)
    assert np.array_equal(background(frames), still[..., 0])
    assert tilt_from_lines(SceneLines(frames), K, None, "room.mp4").pitch_deg == pytest.approx(10.0, abs=0.4)


def test_a_scene_without_vertical_lines_is_refused_with_what_to_give() -> None:
    empty = np.full((640, 480, 3), 128, np.uint8)
    cv2.circle(empty, (240, 320), 100, (30, 30, 30), 5)
    with pytest.raises(InputError, match=r"room\.mp4: --camera-tilt auto found \d+ vertical lines in the scene .* give "
                                         r"the tilt, --camera-tilt PITCH\[,ROLL\]"):
        tilt_from_lines(SceneLines([empty]), K, None, "room.mp4")


def test_a_floor_grid_alone_gives_no_vertical() -> None:
    grid = scene(22.0, 0.0, poles=0)
    with pytest.raises(InputError, match="vertical lines"):
        tilt_from_lines(SceneLines([grid]), K, None, "room.mp4")
    assert tilt_from_lines(SceneLines([scene(22.0, 0.0, poles=14)]), K, None, "room.mp4").pitch_deg == pytest.approx(22.0, abs=0.4)


def test_the_real_cameras_tilts_are_read_within_a_degree_and_a_quarter_of_their_calibration() -> None:
    rig = shared_path("data", "video", "pose2sim_multiperson")
    calibration = rig / "calibration" / "Calib.qca.txt"
    for camera in read_rig(calibration):
        _, pitch, roll = camera_tilt(world_frame(camera, str(calibration)))
        with open_video(rig / "videos" / f"{camera.name}.mp4") as reader:
            tilt = tilt_from_lines(SceneLines(reader), camera.K, camera.dist, camera.name)
        assert (tilt.pitch_deg, tilt.roll_deg) == (pytest.approx(pitch, abs=1.25), pytest.approx(roll, abs=0.5)), camera.name


def test_the_scene_is_read_once_and_only_when_its_lines_are_needed() -> None:
    class Frames(list):
        reads = 0

        def __getitem__(self, i):  # noqa: ANN001, ANN204 - a list that counts what is read
            Frames.reads += 1
            return super().__getitem__(i)

    frames = Frames([scene(22.0, -13.0)] * 3)
    lines = SceneLines(frames)
    assert Frames.reads == 0
    assert lines.size == (640, 480) and Frames.reads == 3
    first = tilt_from_lines(lines, K, None, "room.mp4")
    assert tilt_from_lines(lines, K, None, "room.mp4") == first and Frames.reads == 3
    assert len(lines.segments) >= MIN_LINES
