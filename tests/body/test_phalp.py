"""Tests of flowpose.body.phalp and the ``phalp`` import, on small PHALP (4D-Humans) result files made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.body.importers import import_smpl
from flowpose.body.phalp import phalp_intrinsics, phalp_tracks, retarget_translation
from flowpose.errors import InputError

joblib = pytest.importorskip("joblib", reason="joblib (the body-import extra) reads PHALP results")

H, W = 480, 640


def _detection(rng: np.random.Generator, trans: np.ndarray) -> tuple[dict, np.ndarray]:
    rotvec = rng.normal(0, 0.3, (24, 3))
    mats = Rotation.from_rotvec(rotvec).as_matrix()
    smpl = {"global_orient": mats[:1], "body_pose": mats[1:], "betas": rng.normal(0, 1, 10)}
    return smpl, rotvec


def _phalp_file(rng: np.random.Generator, T: int = 6) -> tuple[dict, dict]:
    """Two people: track 3 seen in frames 0-5 but 2 (a tracker's ghost there), track 8 in frames 1-2 only."""
    frames, truth = {}, {3: {}, 8: {}}
    for t in range(T):
        tids, smpls, cams, since, boxes = [], [], [], [], []
        for tid, present in ((3, True), (8, t in (1, 2))):
            if not present:
                continue
            trans = np.array([0.1 * t - 0.2, 0.05 * tid, 8.0 + t])
            smpl, rotvec = _detection(rng, trans)
            ghost = tid == 3 and t == 2
            tids.append(tid)
            smpls.append(smpl)
            cams.append(trans)
            since.append(1 if ghost else 0)
            boxes.append([100.0 + 10 * t, 50.0, 80.0 + tid, 200.0])
            if not ghost:
                truth[tid][t] = (rotvec, smpl["betas"], trans)
        frames[f"img/{t:06d}.jpg"] = {"time": t, "tid": tids, "smpl": smpls, "camera": cams,
                                      "tracked_time": since, "bbox": boxes}
    return frames, truth


def test_tracks_regroup_frames_and_skip_the_tracker_s_ghosts() -> None:
    frames, truth = _phalp_file(np.random.default_rng(0))
    tracks = phalp_tracks(dict(reversed(list(frames.items()))), Path("demo.pkl"))  # any key order
    assert sorted(tracks) == [3, 8]
    np.testing.assert_array_equal(tracks[3]["frame_ids"], [0, 1, 3, 4, 5])
    np.testing.assert_array_equal(tracks[8]["frame_ids"], [1, 2])
    for tid, one in tracks.items():
        for i, t in enumerate(one["frame_ids"]):
            rotvec, betas, trans = truth[tid][t]
            np.testing.assert_allclose(Rotation.from_matrix(one["pose"][i]).as_rotvec(), rotvec, atol=1e-9)
            np.testing.assert_allclose(one["betas"][i], betas)
            np.testing.assert_allclose(one["trans"][i], trans)
    np.testing.assert_allclose(tracks[8]["bboxes"][0], [110.0 + 44.0, 150.0, 88.0, 200.0])  # [cx, cy, w, h]


def test_retargeted_translation_keeps_the_origin_s_pixel_and_size() -> None:
    rng = np.random.default_rng(1)
    K_from = phalp_intrinsics((H, W))
    assert K_from[0, 0] == pytest.approx(5000 / 256 * 640) and tuple(K_from[:2, 2]) == (320.0, 240.0)
    K_to = np.array([[700.0, 0.0, 330.0], [0.0, 700.0, 230.0], [0.0, 0.0, 1.0]])
    transl = np.column_stack([rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 4), rng.uniform(20, 40, 4)])
    moved = retarget_translation(transl, K_from, K_to)
    pixel = lambda K, t: (K @ t.T).T[:, :2] / t[:, 2:3]  # noqa: E731
    np.testing.assert_allclose(pixel(K_to, moved), pixel(K_from, transl), atol=1e-9)
    np.testing.assert_allclose(K_to[0, 0] / moved[:, 2], K_from[0, 0] / transl[:, 2])  # px per metre
    np.testing.assert_allclose(retarget_translation(transl, K_from, K_from), transl)


def test_import_phalp_follows_the_chosen_person_in_phalp_s_camera_or_the_user_s(tmp_path: Path) -> None:
    frames, truth = _phalp_file(np.random.default_rng(2))
    path = tmp_path / "demo_clip.pkl"
    joblib.dump(frames, path)
    found = import_smpl("phalp", path, image_size=(H, W), num_frames=6, fps=30.0, K=None)
    assert found.track == 3 and found.tracks == [3, 8] and found.filled == 1
    np.testing.assert_allclose(found.smpl.K, phalp_intrinsics((H, W)))
    for t in (0, 1, 3, 4, 5):
        rotvec, betas, trans = truth[3][t]
        np.testing.assert_allclose(found.smpl.transl[t], trans)
        np.testing.assert_allclose(found.smpl.global_orient[t], rotvec[0], atol=1e-9)
    np.testing.assert_allclose(found.smpl.transl[2], (truth[3][1][2] + truth[3][3][2]) / 2)  # the ghost frame, filled
    K = np.array([[900.0, 0.0, 320.0], [0.0, 900.0, 240.0], [0.0, 0.0, 1.0]])
    mine = import_smpl("phalp", path, image_size=(H, W), num_frames=6, fps=30.0, K=K, person=8)
    assert mine.track == 8 and mine.filled == 4
    np.testing.assert_allclose(mine.smpl.transl[1], retarget_translation(truth[8][1][2][None], phalp_intrinsics((H, W)), K)[0])


def test_bad_phalp_files_get_one_clear_line(tmp_path: Path) -> None:
    frames, _ = _phalp_file(np.random.default_rng(3))
    with pytest.raises(InputError, match="dictionary of frames"):
        phalp_tracks({3: [1, 2]}, Path("x.pkl"))
    broken = {k: dict(v) for k, v in frames.items()}
    del broken["img/000001.jpg"]["camera"]
    with pytest.raises(InputError, match=r"img/000001.jpg.*'camera'"):
        phalp_tracks(broken, Path("x.pkl"))
    short = {k: dict(v) for k, v in frames.items()}
    short["img/000000.jpg"]["tid"] = [3, 8]
    with pytest.raises(InputError, match="one entry per detection"):
        phalp_tracks(short, Path("x.pkl"))
    bad = {k: dict(v) for k, v in frames.items()}
    bad["img/000000.jpg"]["smpl"] = [{"global_orient": np.eye(3)}]
    with pytest.raises(InputError, match="body_pose"):
        phalp_tracks(bad, Path("x.pkl"))
