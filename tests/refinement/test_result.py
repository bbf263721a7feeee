"""Tests of the refinement's records: what :class:`CycleRecord` promises to hold after a real (DIS) run."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np
import pytest

import flowpose
from flowpose.config import FlowConfig, RefineConfig
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.refinement.result import CycleRecord, RefineResult

DIS = RefineConfig(cycles=2, flow=FlowConfig(names=("dis",), weights=(None,), work_size=64), pose=PoseStageConfig(max_steps=30))
ALWAYS = {"accel", "bone_std", "flow_residual"}
WITH_GT = {"mpjpe", "pa_mpjpe", "accel_error", "epe_all", "epe_valid", "epe_human", "epe_sparse"}


@pytest.fixture(scope="module")
def result(tiny_clip) -> RefineResult:
    return flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS, gt=tiny_clip.gt)


def test_one_record_per_cycle_the_first_the_initial_state(result):
    assert [r.cycle for r in result.history] == [0, 1, 2]
    assert result.history[0].losses == {}  # no pose stage has run in cycle 0
    for record in result.history[1:]:
        assert record.losses and all(np.isfinite(v) for v in record.losses.values())


def test_metrics_hold_what_the_docstring_lists(result):
    for record in result.history:
        assert ALWAYS | WITH_GT | {"flow_noise"} <= set(record.metrics), record.cycle
        assert all(np.isfinite(record.metrics[k]) for k in ALWAYS | WITH_GT), record.cycle
        assert record.metrics["flow_noise"] > 0
    assert result.history[0].metrics["swaps_repaired"] >= 0  # swap repair is on by default


def test_the_relabelled_frames_are_kept_and_their_sum_is_the_count(result, tiny_clip):
    assert result.swapped.shape == (tiny_clip.estimate.num_frames, 2) and result.swapped.dtype == bool
    assert result.swapped.sum() == result.history[0].metrics["swaps_repaired"]
    off = replace(DIS, cycles=0, swaps=replace(DIS.swaps, enabled=False))
    run = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=off)
    assert run.swapped is None and "swaps_repaired" not in run.history[0].metrics


def test_seconds_name_the_stages_that_ran(result):
    assert {"flow_inference", "swaps", "pose"} <= set(result.history[0].seconds)
    assert result.history[1].seconds["pose"] > 0
    # DIS has no network to fine-tune: the flow, and so the pose stage's result, is reused in cycle 2
    assert result.history[2].seconds["pose"] == 0.0
    assert "finetune" not in result.history[1].seconds
    assert all(v >= 0 for r in result.history for v in r.seconds.values())


def test_without_ground_truth_or_flow_noise_those_metrics_are_absent(tiny_clip):
    config = replace(DIS, cycles=1, flow_sigma_factor=None)
    run = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=config)
    for record in run.history:
        assert ALWAYS <= set(record.metrics)
        assert not (WITH_GT | {"flow_noise"}) & set(record.metrics)


def test_records_are_frozen_and_do_not_share_their_dicts():
    a, b = CycleRecord(0), CycleRecord(1)
    a.metrics["x"] = 1.0
    assert b.metrics == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.cycle = 2
