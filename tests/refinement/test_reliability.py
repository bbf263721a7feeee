"""Tests of the flow-reliability estimate that sets L_opt's weight."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.flow.field import FlowField
from flowpose.refinement.loop import flow_weighted
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.refinement.reliability import RAYLEIGH_MEDIAN, flow_noise_px, weighted_median


def test_weighted_median():
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.ones(3)) == 2.0
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0])) == 3.0
    assert np.isnan(weighted_median(np.array([1.0]), np.array([0.0])))


def test_rayleigh_median_constant():
    r = np.linalg.norm(np.random.default_rng(0).standard_normal((200000, 2)), axis=-1)
    assert np.median(r) == pytest.approx(RAYLEIGH_MEDIAN, rel=0.01)


def test_noise_scale_of_exact_and_noisy_flow(tiny_clip):
    gt = tiny_clip.gt
    exact_poses = tiny_clip.estimate.with_joints3d(gt.joints3d)
    exact = flow_noise_px(exact_poses, FlowField.full_frame(gt.flow))
    assert exact < 0.2  # only bilinear sampling of the dense flow at sub-pixel joints
    sigma = 1.5
    noisy_flow = gt.flow + sigma * np.random.default_rng(1).standard_normal(gt.flow.shape).astype(np.float32)
    # Bilinear sampling averages neighbouring noise (variance x 4/9 .. 1 at sub-pixel positions), so the
    # estimate lands between 2/3 sigma and sigma.
    noisy = flow_noise_px(exact_poses, FlowField.full_frame(noisy_flow))
    assert 0.6 * sigma < noisy < 1.1 * sigma


def test_flow_weight_only_ever_loosens():
    base = PoseStageConfig(w_flow=1.0)
    assert flow_weighted(base, 0.2, 2.0).w_flow == base.w_flow  # 2 x 0.2 < 1: keep the configured sigma
    assert flow_weighted(base, 1.5, 2.0).w_flow == pytest.approx(1 / 3.0**2)
    assert flow_weighted(base, float("nan"), 2.0) == base and flow_weighted(base, 5.0, None) == base
