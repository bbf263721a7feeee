"""Tests of flowpose.app.import_keypoints: one person followed through another detector's output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.app.import_keypoints import import_keypoints
from flowpose.errors import InputError
from flowpose.io.keypoints2d import load_keypoints
from flowpose.skeleton import H36M17
from tests.io.test_keypoints2d import write_openpose


def test_openpose_person_choice_and_mapping(tmp_path: Path) -> None:
    write_openpose(tmp_path / "op", T=10, J=25)
    lines = import_keypoints("openpose", tmp_path / "op", tmp_path / "kp.npz")
    assert "person 0 of 2 (openpose25)" in lines[0]
    kp = load_keypoints(tmp_path / "kp.npz")
    assert kp.joints2d.shape == (10, 17, 2) and kp.source == "openpose25"
    # Track 0 is the surer person (confidence 0.9, at x0 = 50 + 2t); BODY_25's l_wrist (7) is H36M's 13.
    np.testing.assert_allclose(kp.joints2d[4, H36M17.index("l_wrist")], [58 + 7, 135], atol=1e-4)
    assert kp.conf[0, H36M17.index("head")] == 0  # BODY_25 has no head top
    assert kp.conf[0, H36M17.index("r_elbow")] == 0  # BODY_25 joint 3, not found in these files
    other = import_keypoints("openpose", tmp_path / "op", tmp_path / "kp1.npz", person=1)
    assert "person 1 of 2" in other[0]
    assert load_keypoints(tmp_path / "kp1.npz").joints2d[0, H36M17.index("pelvis"), 0] > 300


def test_pose2sim_s_halpe_files(tmp_path: Path) -> None:
    write_openpose(tmp_path / "op", T=10, J=26)  # Pose2Sim's default detector writes HALPE_26 in OpenPose's format
    lines = import_keypoints("openpose", tmp_path / "op", tmp_path / "kp.npz")
    assert "person 0 of 2 (halpe26)" in lines[0]
    kp = load_keypoints(tmp_path / "kp.npz")
    # Halpe's l_wrist is 9, its head (top) 17; at x0 = 50 + 2t, joint j at (x0 + j, 100 + 5j)
    np.testing.assert_allclose(kp.joints2d[4, H36M17.index("l_wrist")], [58 + 9, 145], atol=1e-4)
    np.testing.assert_allclose(kp.joints2d[4, H36M17.index("head")], [58 + 17, 185], atol=1e-4)
    assert kp.conf[0, H36M17.index("head")] > 0


def test_a_person_is_chosen_by_the_file_s_own_id(tmp_path: Path) -> None:
    # OpenPose person_ids 1 (the surer person, at x0 = 50 + 2t) and 0 (the other, at 400 - 2t).
    write_openpose(tmp_path / "op", T=10, J=25, ids=True)
    lines = import_keypoints("openpose", tmp_path / "op", tmp_path / "kp.npz")
    assert "person 1 (the file's id) of 2 (openpose25)" in lines[0]  # the most prominent, named as the file names it
    chosen = import_keypoints("openpose", tmp_path / "op", tmp_path / "kp0.npz", person=0)
    assert "person 0 (the file's id) of 2" in chosen[0]
    assert load_keypoints(tmp_path / "kp0.npz").joints2d[0, H36M17.index("pelvis"), 0] > 300  # at 400 - 2t
    with pytest.raises(InputError) as info:
        import_keypoints("openpose", tmp_path / "op", tmp_path / "kp9.npz", person=9)
    assert str(info.value) == f"--person 9: {tmp_path / 'op'} has the person ids 0, 1"


def test_refusals(tmp_path: Path) -> None:
    write_openpose(tmp_path / "op", T=5, J=18)
    with pytest.raises(InputError, match="expected a keypoints file ending in .npz"):
        import_keypoints("openpose", tmp_path / "op", tmp_path / "kp.json")
    with pytest.raises(InputError, match="--person center needs the image size"):
        import_keypoints("openpose", tmp_path / "op", tmp_path / "kp.npz", person="center")
    with pytest.raises(InputError) as info:  # the file's tracks: no people.png to point to
        import_keypoints("openpose", tmp_path / "op", tmp_path / "kp.npz", person=9)
    assert str(info.value) == f"--person 9: {tmp_path / 'op'} has tracks 0 to 1"
    (tmp_path / "mine.npz").write_bytes(b"user data")
    with pytest.raises(InputError, match="mine.npz"):
        import_keypoints("openpose", tmp_path / "op", tmp_path / "mine.npz", overwrite=True)
    assert (tmp_path / "mine.npz").read_bytes() == b"user data"
    (tmp_path / "nobody").mkdir()
    for t in range(3):
        (tmp_path / "nobody" / f"clip_{t:012d}_keypoints.json").write_text('{"version": 1.3, "people": []}')
    with pytest.raises(InputError) as info:  # the message named no file
        import_keypoints("openpose", tmp_path / "nobody", tmp_path / "kp.npz")
    assert str(info.value) == (f"{tmp_path / 'nobody'}: no person was followed through its 3 frames (no track of 3 "
                               "or more frames)")
    assert not (tmp_path / "kp.npz").exists()


def test_yolo_labels_of_two_tracked_people(tmp_path: Path) -> None:
    from flowpose.io.yolo_labels import LabelledVideo
    from tests.io.test_yolo_labels import H, W, label_line, person_px, scores_17, write_labels

    lines = {f"clip_{t + 1}": [label_line(person_px(t, 50), scores_17(), (0.9, 7)),
                               label_line(person_px(t, 400), scores_17(), (0.8, 9))] for t in range(10)}
    folder = write_labels(tmp_path / "runs" / "pose" / "track" / "labels", lines)
    video = LabelledVideo("clip", (H, W), 12)  # the last two frames: nobody found
    lines = import_keypoints("yolo", folder.parent, tmp_path / "kp.npz", person=9, video=video)
    assert "person 9 (the file's id) of 2 (coco17), 12 frames, found in 10" in lines[0]
    kp = load_keypoints(tmp_path / "kp.npz")
    # COCO's left hip is its joint 11, H36M's joint 4; person 9 stands at x0 = 400 + 3t.
    np.testing.assert_allclose(kp.joints2d[2, H36M17.index("l_hip")], [400 + 6 + 11, 210], atol=1e-3)
    assert np.isnan(kp.joints2d[11]).all() and (kp.conf[11] == 0).all()
    with pytest.raises(InputError, match="import yolo needs --video VIDEO, the video the labels are of"):
        import_keypoints("yolo", folder, tmp_path / "kp2.npz")
    assert not (tmp_path / "kp2.npz").exists()
