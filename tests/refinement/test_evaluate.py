"""Tests of the history figures."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose import metrics
from flowpose.flow.field import FlowField
from flowpose.refinement import evaluate as evaluate_module
from flowpose.refinement.evaluate import (
    FlowErrors,
    evaluate,
    flow_error_totals,
    flow_residual,
    pose_motion_stats,
    ratio,
)


def crop_flow(gt, seed: int) -> FlowField:
    """The true flow, off by noise, sampled on a 24x24 grid of 1.5 px cells over part of each frame (a person
    crop), a few grid cells NaN."""
    rng = np.random.default_rng(seed)
    P = gt.flow.shape[0]
    origin = np.stack([np.full(P, 10.0), 6.0 + np.arange(P)], -1)
    ys, xs = np.mgrid[0:24, 0:24]
    rows = np.clip(np.round(origin[:, 1, None, None] + 1.5 * ys), 0, 63).astype(int)
    cols = np.clip(np.round(origin[:, 0, None, None] + 1.5 * xs), 0, 63).astype(int)
    flow = gt.flow[np.arange(P)[:, None, None], rows, cols] + rng.normal(0, 0.5, (P, 24, 24, 2))
    flow[rng.random((P, 24, 24)) < 0.02] = np.nan
    return FlowField(flow, np.ones((P, 24, 24)), origin, np.full(P, 1.5), (64, 64))


def test_perfect_estimate_scores_zero(tiny_clip):
    gt = tiny_clip.gt
    exact = tiny_clip.estimate.with_joints3d(gt.joints3d)
    flow = FlowField.full_frame(gt.flow)
    m = evaluate(exact, flow, gt)
    assert m["mpjpe"] < 1e-3 and m["pa_mpjpe"] < 1e-3 and m["accel_error"] < 1e-3
    assert m["epe_all"] == 0.0 and m["epe_human"] == 0.0
    assert m["epe_sparse"] < 0.05  # bilinear sampling of the dense flow at sub-pixel joints


def test_flow_residual_is_zero_for_flow_that_matches_the_joints(tiny_clip):
    gt = tiny_clip.gt
    exact = tiny_clip.estimate.with_joints3d(gt.joints3d)
    conf = exact.confidence()
    w = np.minimum(conf[:-1], conf[1:])
    motion = np.linalg.norm(gt.joints2d[1:] - gt.joints2d[:-1], axis=-1)
    mean_motion = float((w * motion).sum() / w.sum())
    # Zero flow: the residual is exactly the joints' weighted mean motion.
    np.testing.assert_allclose(flow_residual(exact, FlowField.full_frame(np.zeros_like(gt.flow))), mean_motion, rtol=1e-4)
    # Flow equal to the true motion: only bilinear sampling error remains, a small part of the motion.
    assert flow_residual(exact, FlowField.full_frame(gt.flow)) < 0.3 * mean_motion


def test_motion_stats_hand_computed():
    t = np.arange(5, dtype=np.float32)
    joints = np.zeros((5, 17, 3), np.float32)
    joints[..., 0] = 0.001 * t[:, None] ** 2  # x = t^2 mm: acceleration 2 mm/frame^2 everywhere
    stats = pose_motion_stats(joints, "h36m17")
    np.testing.assert_allclose(stats["accel"], 2.0, rtol=1e-4)
    assert stats["bone_std"] == 0.0


def test_flow_error_totals_are_each_masks_epe(tiny_clip):
    """One error map, summed under each EPE's mask, gives what the EPE of each mask gives."""
    gt = tiny_clip.gt
    flow = crop_flow(gt, seed=0)
    full, covered = flow.to_full_frame()
    assert 0.1 < covered.mean() < 0.9  # the crop covers part of each frame
    totals = flow_error_totals(flow, gt)
    masks = {"epe_all": covered, "epe_valid": covered & gt.flow_valid, "epe_human": covered & gt.human_mask[:-1]}
    for name, mask in masks.items():
        assert ratio(totals[name]) == pytest.approx(metrics.epe(full, gt.flow, mask), rel=1e-12)
        assert totals[name][1] == np.isfinite(metrics.epe_errors(full, gt.flow, mask)).sum()
    assert ratio(totals["epe_sparse"]) == pytest.approx(metrics.sparse_epe(full, gt.joints2d), rel=1e-12)
    assert totals["epe_all"][1] < covered.sum()  # the NaN pixels are left out


def test_flow_errors_measure_a_field_once(tiny_clip, monkeypatch):
    """The same field again is not measured again; another field is, and the field before it again after that."""
    gt = tiny_clip.gt
    calls = []

    def counted(flow, truth):
        calls.append(flow)
        return flow_error_totals(flow, truth)

    monkeypatch.setattr(evaluate_module, "flow_error_totals", counted)
    a, b = crop_flow(gt, seed=0), crop_flow(gt, seed=1)
    errors = FlowErrors(gt)
    first = errors(a)
    assert errors(a) == first and len(calls) == 1
    second = errors(b)
    assert len(calls) == 2 and second != first
    assert second == flow_error_totals(b, gt)
    assert errors(a) == first and len(calls) == 3
    first["epe_all"] = (0.0, 0.0)  # what a caller does to its copy stays there
    assert errors(a)["epe_all"] != (0.0, 0.0)


def test_flow_errors_of_a_part_are_its_pairs(tiny_clip):
    gt = tiny_clip.gt
    flow = crop_flow(gt, seed=2)
    part = FlowErrors(gt.frames(2, 6), (2, 5))(flow)
    assert part == flow_error_totals(flow.pairs(2, 5), gt.frames(2, 6))
    assert part != flow_error_totals(flow.pairs(0, 3), gt.frames(0, 4))


def test_evaluate_reads_the_flow_errors_it_is_given(tiny_clip):
    """The EPEs in the history are the flow errors' (kept for the same field) and equal those measured afresh."""
    gt = tiny_clip.gt
    flow = crop_flow(gt, seed=3)
    errors = FlowErrors(gt)
    kept = evaluate(tiny_clip.estimate, flow, gt, errors)
    again = evaluate(tiny_clip.estimate.with_joints3d(gt.joints3d), flow, gt, errors)
    fresh = evaluate(tiny_clip.estimate, flow, gt)
    for name in ("epe_all", "epe_valid", "epe_human", "epe_sparse"):
        assert kept[name] == fresh[name] == again[name]
    assert again["mpjpe"] < kept["mpjpe"]
