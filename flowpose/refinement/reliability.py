"""How far a video's flow can be trusted, measured on the video itself.

A flow network's error varies by orders of magnitude between videos and networks (exact flow, DIS, a barely
trained RAFT: 0.2, 0.4 and 1.2 px on the same clip), so one fixed L_opt weight is either too timid for good
flow or lets bad flow inject jitter. We measure the flow against the motion of a flow-free pose fit (the pose
stage without L_opt, whose temporal prior has already removed the detector's frame-to-frame noise):

    r_{t,j} = (π(X̄_{t+1,j}) − π(X̄_{t,j})) − F_t(π(X̄_{t,j})),     σ̂ = median_w |r| / sqrt(2 ln 2)

the median of |r| weighted by flow and detection confidence, divided by the median of a Rayleigh
distribution, i.e. the per-axis standard deviation if r were Gaussian. This departs from the BMVC 2022 work,
which used one fixed weight; on the tuning clip it keeps a poor flow from costing 2 mm of MPJPE and 3 mm/frame²
of acceleration error while leaving good flow its weight (benchmarks/experiments/tune_pose_stage.py, README results).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from flowpose.camera import project_np
from flowpose.flow.field import FlowField
from flowpose.pose import PoseSequence

RAYLEIGH_MEDIAN = math.sqrt(2.0 * math.log(2.0))
"""Median of |r| for r ~ N(0, I_2): 1.1774."""


def joint_flow_residuals(poses: PoseSequence, flow: FlowField) -> tuple[np.ndarray, np.ndarray]:
    """Residuals between the joints' projected motion and the flow at the joints.

    Args:
        poses: (T, J) joints whose motion is compared.
        flow: forward flow of the T - 1 pairs.

    Returns:
        residuals: (T-1, J) |(π(X_{t+1}) − π(X_t)) − F_t(π(X_t))| in pixels (0 where undefined).
        weights: (T-1, J) flow confidence times the lower detection confidence of frames t and t+1.
    """
    x2d = project_np(poses.joints3d, poses.K_per_frame())
    sampled, flow_conf = flow.sample(torch.as_tensor(np.nan_to_num(x2d[:-1]), dtype=torch.float32))
    conf = poses.confidence()
    weights = flow_conf.numpy() * np.minimum(conf[:-1], conf[1:])
    residuals = np.linalg.norm(np.nan_to_num((x2d[1:] - x2d[:-1]) - sampled.numpy()), axis=-1)
    return residuals, weights


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted median of ``values`` (nan when every weight is 0)."""
    v, w = values.ravel(), weights.ravel()
    keep = w > 0
    if not keep.any():
        return float("nan")
    order = np.argsort(v[keep])
    cumulative = np.cumsum(w[keep][order])
    return float(v[keep][order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def flow_noise_px(smooth_poses: PoseSequence, flow: FlowField) -> float:
    """σ̂ (module docstring): the flow's per-axis error scale at the joints, pixels (nan if nothing weighted).

    Args:
        smooth_poses: a flow-free pose fit (its motion free of detector jitter).
        flow: the flow to assess.
    """
    residuals, weights = joint_flow_residuals(smooth_poses, flow)
    return weighted_median(residuals, weights) / RAYLEIGH_MEDIAN
