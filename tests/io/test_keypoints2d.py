"""Tests of flowpose.io.keypoints2d: OpenPose folders and COCO results read from small files made here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.keypoints2d import (
    Keypoints2D,
    attach_keypoints,
    load_keypoints,
    read_coco,
    read_openpose,
    save_keypoints,
)
from flowpose.pose import PoseSequence
from flowpose.skeleton import get_skeleton


def person_flat(J: int, x0: float, conf: float = 0.9) -> list[float]:
    """[x, y, c] * J of a person standing at x0 (joint j at (x0 + j, 100 + 5 j)); joint 3 not found."""
    out = []
    for j in range(J):
        out += [0.0, 0.0, 0.0] if j == 3 else [x0 + j, 100.0 + 5 * j, conf]
    return out


def write_openpose(folder: Path, T: int, J: int, ids: bool = False) -> None:
    folder.mkdir()
    for t in range(T):
        people = [
            {"person_id": [1 if ids else -1], "pose_keypoints_2d": person_flat(J, 50 + 2 * t)},
            {"person_id": [0 if ids else -1], "pose_keypoints_2d": person_flat(J, 400 - 2 * t, 0.6)},
        ]
        (folder / f"clip_{t:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": people}))


@pytest.mark.parametrize("J, layout", [(25, "openpose25"), (18, "openpose18"), (26, "halpe26"),
                                       (133, "coco_wholebody133")])
def test_openpose_folder(tmp_path: Path, J: int, layout: str) -> None:
    write_openpose(tmp_path / "op", T=12, J=J)
    frames, got = read_openpose(tmp_path / "op")
    assert got == layout and len(frames) == 12 and all(len(f) == 2 for f in frames)
    det = frames[5][0]
    assert det.keypoints.shape == (J, 2) and np.isnan(det.keypoints[3]).all() and det.conf[3] == 0
    assert det.keypoints[0, 0] == pytest.approx(60.0)  # frames in name order
    assert det.source_id is None


def test_openpose_ids_layout_and_errors(tmp_path: Path) -> None:
    write_openpose(tmp_path / "op", T=3, J=25, ids=True)
    frames, layout = read_openpose(tmp_path / "op", "openpose25b")
    assert layout == "openpose25b" and frames[0][0].source_id == 1
    with pytest.raises(InputError, match="25 keypoints per person, but skeleton 'openpose18' has 18"):
        read_openpose(tmp_path / "op", "openpose18")
    with pytest.raises(InputError, match="no such folder"):
        read_openpose(tmp_path / "missing")
    (tmp_path / "results.json").write_text("[]")
    with pytest.raises(InputError, match=r"results\.json: a file, not a folder \(expected OpenPose's --write_json"):
        read_openpose(tmp_path / "results.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no \.json files"):
        read_openpose(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "f_0.json").write_text('{"persons": []}')
    with pytest.raises(InputError, match=r"f_0\.json: expected an object with a 'people' list"):
        read_openpose(tmp_path / "bad")


def test_coco_results(tmp_path: Path) -> None:
    results = []
    for t in range(6):
        results.append({"image_id": 10 + t, "category_id": 1, "keypoints": person_flat(17, 30 + t), "score": 0.9})
        if t != 2:
            results.append({"image_id": 10 + t, "category_id": 1, "keypoints": person_flat(17, 300 - t), "score": 0.8})
    (tmp_path / "r.json").write_text(json.dumps(results))
    frames, layout = read_coco(tmp_path / "r.json")
    assert layout == "coco17" and len(frames) == 6 and [len(f) for f in frames] == [2, 2, 1, 2, 2, 2]
    # COCO visibility flags (0/1/2) become 0 / 0.5 / 1.
    flags = person_flat(17, 0.0)
    flags[2::3] = [2] * 17
    flags[5] = 1
    (tmp_path / "v.json").write_text(json.dumps([{"image_id": "a", "keypoints": flags}]))
    frames, _ = read_coco(tmp_path / "v.json")
    assert frames[0][0].conf[1] == 0.5 and frames[0][0].conf[0] == 1.0
    (tmp_path / "x.json").write_text(json.dumps([{"image_id": 1, "keypoints": [1, 2, 3]}]))
    with pytest.raises(InputError, match="1 keypoints, expected COCO's 17, Halpe's 26 or COCO-WholeBody's 133"):
        read_coco(tmp_path / "x.json")
    # RTMPose's Halpe and COCO-WholeBody models write the same results with 26 and 133 keypoints.
    for J, layout in ((26, "halpe26"), (133, "coco_wholebody133")):
        (tmp_path / f"{J}.json").write_text(json.dumps([{"image_id": t, "keypoints": person_flat(J, 30.0 + t)}
                                                       for t in range(3)]))
        frames, got = read_coco(tmp_path / f"{J}.json")
        assert got == layout and frames[2][0].keypoints.shape == (J, 2) and frames[2][0].keypoints[1, 0] == 33.0
    mixed = [{"image_id": 0, "keypoints": person_flat(17, 30.0)}, {"image_id": 1, "keypoints": person_flat(26, 30.0)}]
    (tmp_path / "mixed.json").write_text(json.dumps(mixed))
    with pytest.raises(InputError, match=r"mixed\.json: image 1: 26 keypoints per person, but skeleton 'coco17' has 17"):
        read_coco(tmp_path / "mixed.json")
    (tmp_path / "y.json").write_text(json.dumps({"images": []}))
    with pytest.raises(InputError, match="expected a non-empty list of results"):
        read_coco(tmp_path / "y.json")


def test_keypoints_file_round_trip_and_attach(tmp_path: Path) -> None:
    T = 4
    joints2d = np.random.default_rng(0).uniform(0, 100, (T, 17, 2)).astype(np.float32)
    conf = np.full((T, 17), 0.8, np.float32)
    conf[1, 5] = 0.1
    save_keypoints(Keypoints2D(joints2d, conf, "openpose25"), tmp_path / "kp.npz")
    kp = load_keypoints(tmp_path / "kp.npz")
    np.testing.assert_array_equal(kp.joints2d, joints2d)
    assert kp.source == "openpose25"
    joints3d = np.zeros((T, 17, 3), np.float32) + np.array([0.0, 0.0, 3.0], np.float32)
    joints3d += np.random.default_rng(1).uniform(-0.3, 0.3, (T, 17, 3)).astype(np.float32)
    poses = PoseSequence(joints3d=joints3d, K=np.diag([500.0, 500.0, 1.0]).astype(np.float32))
    attached = attach_keypoints(poses, kp)
    assert np.isnan(attached.joints2d[1, 5]).all() and np.isfinite(attached.joints2d[0]).all()
    with pytest.raises(InputError, match="keypoints: 4 frames, but the poses have 3"):
        attach_keypoints(poses.slice(0, 3), kp)
    np.savez(tmp_path / "other.npz", joints2d=joints2d)
    with pytest.raises(InputError, match="not a keypoints file"):
        load_keypoints(tmp_path / "other.npz")
    assert get_skeleton(kp.source).num_joints == 25


def test_keypoints_averaged_with_the_poses_own() -> None:
    T = 3
    theirs = np.full((T, 17, 2), 100.0, np.float32)
    conf = np.full((T, 17), 0.9, np.float32)
    conf[0, 2] = 0.1  # theirs unsure: the poses' own alone
    own = np.full((T, 17, 2), 60.0, np.float32)
    own[1, 3] = np.nan  # the poses' own missing: theirs alone
    own[2, 4], conf[2, 4] = np.nan, 0.0  # both missing: missing
    joints3d = np.zeros((T, 17, 3), np.float32) + np.array([0.0, 0.0, 3.0], np.float32)
    poses = PoseSequence(joints3d=joints3d, K=np.diag([500.0, 500.0, 1.0]).astype(np.float32), joints2d=own)
    kp = Keypoints2D(theirs, conf, "coco17")
    mixed = attach_keypoints(poses, kp, mix="average").joints2d
    assert mixed[0, 0].tolist() == [80.0, 80.0] and mixed[0, 2].tolist() == [60.0, 60.0]
    assert mixed[1, 3].tolist() == [100.0, 100.0] and np.isnan(mixed[2, 4]).all()
    assert np.isnan(attach_keypoints(poses, kp).joints2d[0, 2]).all()  # replace: theirs alone
    no_2d = PoseSequence(joints3d=joints3d, K=poses.K)
    np.testing.assert_array_equal(attach_keypoints(no_2d, kp, mix="average").joints2d,
                                  attach_keypoints(no_2d, kp).joints2d)
    with pytest.raises(InputError, match=r"keypoints mix must be one of \['replace', 'average'\], got 'mean'"):
        attach_keypoints(poses, kp, mix="mean")
