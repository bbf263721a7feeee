"""Tests of the history figures."""

from __future__ import annotations

import numpy as np

from flowpose.flow.field import FlowField
from flowpose.refinement.evaluate import evaluate, flow_residual, pose_motion_stats


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
