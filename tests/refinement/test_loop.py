"""Tests of the loop's helpers: crop boxes and the scaling of pixel-unit terms."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from flowpose.config import RefineConfig
from flowpose.pose import PoseSequence
from flowpose.refinement.loop import pixel_scaled, pose_stage_config
from flowpose.refinement.pose_config import PoseStageConfig


def test_pixel_scaling_keeps_metric_terms():
    base = PoseStageConfig()
    out = pixel_scaled(base, 2.0)
    assert out.w_2d == pytest.approx(base.w_2d / 4) and out.w_flow == pytest.approx(base.w_flow / 4)
    assert out.keypoint_delta_px == 2 * base.keypoint_delta_px and out.flow_delta_px == 2 * base.flow_delta_px
    assert (out.w_3d_rel, out.w_acc, out.w_bone) == (base.w_3d_rel, base.w_acc, base.w_bone)


def _person(height_px: float) -> PoseSequence:
    """A still person whose 2D keypoints span ``height_px`` vertically (and a third of it across)."""
    K = np.array([[500.0, 0, 500], [0, 500.0, 500], [0, 0, 1]], np.float32)
    x2d = np.zeros((4, 17, 2), np.float32)
    x2d[..., 0] = 500 + np.linspace(-height_px / 6, height_px / 6, 17)
    x2d[..., 1] = 500 + np.linspace(-height_px / 2, height_px / 2, 17)
    j3 = np.concatenate([(x2d - 500) / 500 * 4.0, np.full((4, 17, 1), 4.0, np.float32)], -1)
    return PoseSequence(j3, K, joints2d=x2d)


def test_a_bigger_person_gets_proportionally_looser_pixel_terms():
    config = RefineConfig()
    small = pose_stage_config(_person(100), (1000, 1000), config)
    big = pose_stage_config(_person(400), (1000, 1000), config)
    np.testing.assert_allclose(small.w_2d / big.w_2d, 16.0, rtol=0.05)  # 4x the size, 1/16 the weight
    assert pose_stage_config(_person(400), (1000, 1000), replace(config, reference_box_px=None)) == config.pose
