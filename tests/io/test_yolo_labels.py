"""Tests of flowpose.io.yolo_labels: Ultralytics pose labels read from small folders made here, written as
``Results.save_txt`` writes them (``"%g "`` joined, coordinates as fractions of the frame's width and height)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.yolo_labels import LabelledVideo, labels_folder, read_yolo_labels

H, W = 480, 640
"""The frames' size, px."""


def person_px(t: int, x0: float, J: int = 17) -> np.ndarray:
    """(J, 2) px: joint j of a person at x0 in frame t at (x0 + 3 t + j, 100 + 10 j)."""
    j = np.arange(J, dtype=np.float64)
    return np.stack([x0 + 3 * t + j, 100.0 + 10 * j], -1)


def label_line(px: np.ndarray, scores: np.ndarray | None, extra: tuple = (), size: tuple[int, int] = (H, W)) -> str:
    """One person's line as Ultralytics writes it for frames of ``size`` (H, W): class 0, the box, the keypoints
    (with scores where given), then ``extra`` (confidence, track id)."""
    xyn = px / size[::-1]
    box = (*xyn.min(0), *(xyn.max(0) - xyn.min(0)))
    kp = xyn if scores is None else np.concatenate([xyn, scores[:, None]], 1)
    line = (0, *box, *kp.reshape(-1).tolist(), *extra)
    return ("%g " * len(line)).rstrip() % line


def scores_17(missing: int = 4) -> np.ndarray:
    """Scores of 0.9, joint ``missing`` 0 (not placed)."""
    s = np.full(17, 0.9)
    s[missing] = 0.0
    return s


def write_labels(folder: Path, lines: dict[str, list[str]]) -> Path:
    """Write ``{stem}.txt`` files of the given lines; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in lines.items():
        (folder / f"{stem}.txt").write_text("".join(r + "\n" for r in rows))
    return folder


VIDEO = LabelledVideo("clip", (H, W), 8)


def test_a_video_s_labels_are_placed_by_their_frame_number_and_scaled_to_pixels(tmp_path: Path) -> None:
    lines = {f"clip_{t + 1}": [label_line(person_px(t, 50), scores_17()), label_line(person_px(t, 400), scores_17())]
             for t in range(8) if t != 3}  # nobody in frame 3: Ultralytics writes no file
    lines["other_1"] = [label_line(person_px(0, 10), scores_17())]  # another video's labels in the same folder
    frames, layout = read_yolo_labels(write_labels(tmp_path / "labels", lines), VIDEO)
    assert layout == "coco17" and [len(f) for f in frames] == [2, 2, 2, 0, 2, 2, 2, 2]
    det = frames[5][0]
    np.testing.assert_allclose(det.keypoints[0], person_px(5, 50)[0], atol=1e-3)  # clip_6.txt is frame 5
    assert np.isnan(det.keypoints[4]).all() and det.conf[4] == 0 and det.conf[0] == pytest.approx(0.9)
    assert det.source_id is None
    # A run's folder holding labels/ is read as its labels folder.
    assert labels_folder(tmp_path) == tmp_path / "labels"
    assert [len(f) for f in read_yolo_labels(tmp_path, VIDEO)[0]] == [2, 2, 2, 0, 2, 2, 2, 2]


@pytest.mark.parametrize("extra, ids", [((), None), ((0.87,), None), ((3,), 3), ((0.87, 5), 5)])
def test_the_confidence_and_the_track_id_after_the_keypoints(tmp_path: Path, extra: tuple, ids: int | None) -> None:
    lines = {f"clip_{t + 1}": [label_line(person_px(t, 50), scores_17(), extra)] for t in range(8)}
    frames, _ = read_yolo_labels(write_labels(tmp_path / "l", lines), VIDEO)
    assert all(f[0].source_id == ids for f in frames)
    np.testing.assert_allclose(frames[7][0].keypoints[16], person_px(7, 50)[16], atol=1e-3)


def test_track_ids_of_one_person_and_a_confidence_of_one(tmp_path: Path) -> None:
    # One tracked person: every trailing value 1, read as the id (a confidence of exactly 1.0 in every line is not).
    lines = {f"clip_{t + 1}": [label_line(person_px(t, 50), scores_17(), (1,))] for t in range(8)}
    assert read_yolo_labels(write_labels(tmp_path / "a", lines), VIDEO)[0][2][0].source_id == 1
    lines["clip_3"] = [label_line(person_px(2, 50), scores_17(), (0.5,))]
    assert read_yolo_labels(write_labels(tmp_path / "b", lines), VIDEO)[0][2][0].source_id is None


def test_keypoints_without_scores_and_an_image_folder_s_names(tmp_path: Path) -> None:
    stems = ("f1", "f2", "f10")  # an image folder in natural order: f10 is the third frame
    lines = {s: [label_line(person_px(t, 50), None)] for t, s in enumerate(stems)}
    frames, _ = read_yolo_labels(write_labels(tmp_path / "l", lines), LabelledVideo("frames", (H, W), 3, stems))
    assert frames[2][0].conf.tolist() == [1.0] * 17
    np.testing.assert_allclose(frames[2][0].keypoints, person_px(2, 50), atol=1e-3)


def test_another_layout_by_its_skeleton(tmp_path: Path) -> None:
    lines = {f"clip_{t + 1}": [label_line(person_px(t, 50, 26), np.full(26, 0.8))] for t in range(8)}
    folder = write_labels(tmp_path / "l", lines)
    frames, layout = read_yolo_labels(folder, VIDEO, "halpe26")
    assert layout == "halpe26" and frames[0][0].keypoints.shape == (26, 2)
    with pytest.raises(InputError, match=r"clip_1\.txt:1: 83 values; expected a YOLO pose line: .* 39 to 58 values"):
        read_yolo_labels(folder, VIDEO)


def test_refusals_name_the_folder_or_the_file_and_line(tmp_path: Path) -> None:
    good = label_line(person_px(0, 50), scores_17())
    with pytest.raises(InputError, match=r"beyond the video's 8 \(frames count from 1\)"):
        read_yolo_labels(write_labels(tmp_path / "late", {"clip_1": [good], "clip_9": [good]}), VIDEO)
    with pytest.raises(InputError, match=r"no labels of this video \(expected clip_N\.txt; \.txt files here: "
                                         r"video_1\.txt\)"):
        read_yolo_labels(write_labels(tmp_path / "renamed", {"video_1": [good]}), VIDEO)
    with pytest.raises(InputError, match=r"clip_2\.txt:2: expected numbers, got 'person 0\.5"):
        read_yolo_labels(write_labels(tmp_path / "text", {"clip_2": [good, "person 0.5 0.5"]}), VIDEO)
    with pytest.raises(InputError, match=r"no such folder \(expected the labels folder of an Ultralytics run"):
        read_yolo_labels(tmp_path / "missing", VIDEO)
    (tmp_path / "one.txt").write_text(good)
    with pytest.raises(InputError, match="a file, not a folder"):
        read_yolo_labels(tmp_path / "one.txt", VIDEO)
