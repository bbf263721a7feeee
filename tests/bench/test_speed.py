"""Tests of the speed and memory helpers."""

from __future__ import annotations

import numpy as np

from flowpose.bench import speed as S
from flowpose.config import get_preset, with_cycles
from flowpose.flow.registry import load_flow_model
from tests.bench.fakes import fake_clip
from tests.conftest import shared_path


def test_long_estimate_reaches_length_by_ping_pong() -> None:
    est = S.long_estimate(shared_path("data", "mocap", "cmu_fbx_converted", "09_11.bvh"), frames=100, size=64)
    assert est.joints3d.shape == (100, 17, 3) and est.joints2d.shape == (100, 17, 2)  # the motion has 42
    assert np.isfinite(est.joints3d).all() and (est.joints3d[..., 2] > 0).all()


def test_crop_flow_of_uses_working_crops_and_mean_motion() -> None:
    clip = fake_clip(T=6, size=64)
    config = get_preset("fast")
    field = S.crop_flow_of(clip.estimate, (64, 64), config)
    w = config.flow.work_size
    assert field.flow.shape == (5, w, w, 2) and field.image_size == (64, 64)
    x2d = clip.estimate.joints2d
    np.testing.assert_allclose(field.flow[2, 0, 0], (x2d[3] - x2d[2]).mean(0), rtol=1e-5)


def test_measured_reports_numpy_peak() -> None:
    out = S._measured(lambda: {"n": np.ones(2**20).sum()})  # an 8 MiB array
    assert out["n"] == 2**20 and out["seconds"] >= 0
    assert out["tracemalloc_peak_mb"] >= 7.9 and out["rss_peak_mb"] >= out["rss_start_mb"] > 0


def test_plain_pass_and_refinement_speed_with_dis() -> None:
    clip = fake_clip(T=4, size=32)
    config = with_cycles(get_preset("fast"), 1)
    assert S.plain_pass_seconds(load_flow_model("dis"), clip.rendered.frames, clip.estimate, config, "cpu") > 0
    row = S.refinement_speed(clip, config, backend="dis", weights=None)
    assert row["frames"] == 4 and row["ratio"] == row["refine_seconds"] / row["plain_seconds"]
    assert row["stage_seconds"]["finetune"] == 0.0 and row["stage_seconds"]["pose"] > 0


def test_the_refine_memory_job_reports_what_refine_foresees() -> None:
    from flowpose.refinement.memory import DIS_BASE_BYTES, DIS_FIELDS

    out = S.refine_memory_job(str(shared_path("data", "mocap", "fair", "dab.bvh")), 12, 64, "fast", 1)
    assert out["frames"] == 12 and out["job"] == "refine (fast, 1 cycles, dis)"
    # The decoded frames, the fixed part and 11 pairs of flow fields on the fast preset's 128 px grid.
    expected = 12 * 64 * 64 * 3 + DIS_BASE_BYTES + 11 * DIS_FIELDS * 128 * 128 * 12
    assert abs(out["foreseen_mb"] * 2**20 - expected) < 2


def test_the_smpl_memory_job_reports_what_refine_smpl_foresees() -> None:
    from flowpose.body.memory import KEPT_VERTEX_BYTES, SMPL_FRAME_BYTES, SMPL_VERTEX_BYTES
    from flowpose.refinement.memory import DIS_BASE_BYTES, DIS_FIELDS

    out = S.smpl_memory_job(5, 64, "fast", 1)
    assert out["frames"] == 5 and out["job"] == "refine --smpl (fast, 1 cycle, dis, smpl stand-in, 376 vertices)"
    # The fixed part and 4 pairs of flow fields on the fast preset's 128 px grid, and the SMPL stage's per frame.
    expected = DIS_BASE_BYTES + 4 * (DIS_FIELDS * 128 * 128 * 12 + SMPL_FRAME_BYTES + 376 * SMPL_VERTEX_BYTES)
    assert abs(out["foreseen_mb"] * 2**20 - expected) < 2
    parted = S.smpl_memory_job(100, 64, "fast", 1, "smpl", 90)
    assert parted["job"] == "refine --smpl (fast, 1 cycle, dis, smpl stand-in, 376 vertices, parts of 90)"
    # A part's 89 pairs, and beside it the whole video's estimate and refined vertices.
    expected = (DIS_BASE_BYTES + 89 * (DIS_FIELDS * 128 * 128 * 12 + SMPL_FRAME_BYTES + 376 * SMPL_VERTEX_BYTES)
                + 99 * 376 * KEPT_VERTEX_BYTES)
    assert abs(parted["foreseen_mb"] * 2**20 - expected) < 2
