"""Tests of flowpose.refinement.pose_config: every field is validated with a message naming it."""

from __future__ import annotations

import pytest

from flowpose.errors import InputError
from flowpose.refinement.pose_config import PoseStageConfig


def test_defaults_are_valid_inverse_variances():
    config = PoseStageConfig()
    assert config.w_3d_rel == pytest.approx(1 / 60.0**2) and config.w_flow == 1.0


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("w_acc", -1.0, r"PoseStageConfig.w_acc must be a finite weight >= 0, got -1"),
        ("w_flow", float("nan"), r"PoseStageConfig.w_flow must be a finite weight >= 0, got nan"),
        ("optimizer", "sgd", "optimizer must be 'lbfgs' or 'adam', got 'sgd'"),
        ("flow_rounds", 0, "flow_rounds and history_size must be >= 1"),
        ("flow_delta_px", 0.0, r"PoseStageConfig.flow_delta_px must be > 0, got 0.0"),
        ("bone_samples", -1, r"PoseStageConfig.bone_samples must be >= 0, got -1"),
        ("penalty", "cauchy", "penalty must be one of pseudo_huber, huber, geman_mcclure, l2; got 'cauchy'"),
        ("flow_conf_floor", 1.5, "flow_conf_floor must lie in \\[0, 1\\]"),
        ("flow_lag_band", -0.1, r"flow_lag_band must be a finite fraction >= 0, got -0.1"),
        ("w_contact", -1.0, r"PoseStageConfig.w_contact must be a finite weight >= 0, got -1"),
        ("contact_delta_mm", 0.0, r"PoseStageConfig.contact_delta_mm must be > 0, got 0.0"),
        ("position_delta_mm", -1.0, r"PoseStageConfig.position_delta_mm must be > 0, got -1.0"),
        ("position_sparse_share", 1.5, r"PoseStageConfig.position_sparse_share must lie in \[0, 1\], got 1.5"),
        ("contact_flight_m", 0.0, r"PoseStageConfig.contact_flight_m must be a height > 0 in metres, or None, got 0.0"),
        ("contact_flight_m", float("nan"), r"contact_flight_m must be a height > 0 in metres, or None, got nan"),
        ("contact_floor_z", float("inf"), r"PoseStageConfig.contact_floor_z must be a finite height in metres, got inf"),
        ("long_range_strides", (3, 1), r"long_range_strides must be integers >= 2, got \(3, 1\)"),
        ("long_range_strides", (2.5,), r"long_range_strides must be integers >= 2, got \(2.5,\)"),
    ],
)
def test_exceptions(field, value, message):
    with pytest.raises(InputError, match=message):
        PoseStageConfig(**{field: value})
