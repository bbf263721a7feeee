"""``flowpose export bvh``: refined poses as a BVH; an existing file or an unknown format refused."""

from __future__ import annotations

from pathlib import Path

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
