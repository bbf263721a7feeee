"""``flowpose export bvh``: refined poses as a BVH that ``flowpose synth`` reads back at their size; an existing file or
an unknown format refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowpose.skeleton import H36M17
from tests.cli.common import T, assert_user_error, run


def test_export_bvh(work: Path) -> None:
    assert run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet").exit_code == 0
    result = run("export", "bvh", work / "video.flowpose" / "refined.npz", "--out", work / "motion.bvh")
    assert result.exit_code == 0, (result.output, result.exception)
    from flowpose.io.bvh import read_bvh

    assert read_bvh(work / "motion.bvh").num_frames == T
    assert_user_error(run("export", "bvh", work / "video.flowpose" / "refined.npz", "--out", work / "motion.bvh"),
                       "motion.bvh", "exists")
    assert_user_error(run("export", "fbx", work / "video.poses.npz", "--out", work / "m.fbx"), "unknown export format")


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jumping_jacks" / "video.poses.npz"


def test_an_exported_bvh_is_a_motion_for_synth(tmp_path: Path) -> None:
    # The example's estimate, a human body (the tiny clip's stick figure has no up to tell).
    assert run("export", "bvh", EXAMPLE, "--out", tmp_path / "motion.bvh").exit_code == 0
    result = run("synth", tmp_path / "motion.bvh", "--out", tmp_path / "again", "--frames", "6", "--size", "64")
    assert result.exit_code == 0, (result.output, result.exception)
    poses = np.load(EXAMPLE)["joints3d"]
    rendered = np.load(tmp_path / "again" / "gt.npz")["joints3d"]
    child = np.arange(1, 17)
    parent = np.array(H36M17.parents)[child]
    # The BVH's fixed skeleton has each bone at its median length, which the rendered motion keeps (metres).
    expected = np.median(np.linalg.norm(poses[:, child] - poses[:, parent], axis=-1), axis=0)
    got = np.linalg.norm(rendered[:, child] - rendered[:, parent], axis=-1)
    np.testing.assert_allclose(got, np.broadcast_to(expected, got.shape), atol=1e-3)


def test_export_trc_in_a_calibrated_world(work: Path) -> None:
    from tests.io.test_rig_files import TOML

    (work / "Calib.toml").write_text(TOML.replace('name = "cam01"', 'name = "video"'))  # named as the video
    assert run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet").exit_code == 0
    refined = work / "video.flowpose" / "refined.npz"
    result = run("export", "trc", refined, "--out", work / "w.trc", "--extrinsics", work / "Calib.toml")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "in the world of Calib.toml (camera video; its Z up turned Y up)" in result.stdout
    assert_user_error(run("export", "trc", refined, "--out", work / "c.trc", "--camera", "cam02"),
                      "--camera names a camera of --extrinsics FILE")
    assert_user_error(run("export", "trc", refined, "--out", work / "c.trc", "--extrinsics", work / "Calib.toml",
                          "--camera", "cam09"), "Calib.toml", "no camera named 'cam09'")
    assert not (work / "c.trc").exists()
