"""Long-range point tracks: the forward flow chained over several frames ("make flow pay", item 1).

A point p of frame t is carried to frame t + k by following the flow one pair at a time, as point trackers
chain their per-frame matches:

    q_0 = p,   q_{s+1} = q_s + F_{t+s}(q_s),   D^k_t(p) = q_k - p,   c^k_t(p) = prod_s c^F_{t+s}(q_s)

where c^F is the flow's per-pixel confidence, the forward-backward consistency of each step
(:func:`flowpose.flow.infer.compute_video_flow`): one step that fails the check (an occlusion, a limb crossing)
drops the whole track, and so does a step that starts outside the flow's grid (confidence 0 there). The error of a chain grows
with its length (k independent steps: about sqrt(k) times one step's error); consumers weight it so
(:func:`flowpose.refinement.objective.pose_terms`).
"""

from __future__ import annotations

import torch

from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowTensors


def chain_flow(field: FlowTensors, points: torch.Tensor, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """D^k_t and c^k_t (module docstring) for every start frame t = 0 .. T - 1 - k at once.

    Args:
        field: the T - 1 forward flows of the video.
        points: (T - k, N, 2) full-frame pixel (x, y) of N points in each start frame t.
        stride: k >= 1, the number of frames a track spans.

    Returns:
        displacement: (T - k, N, 2) q_k - p, full-frame px.
        confidence: (T - k, N) in [0, 1], the product of the steps' confidences.

    Raises:
        InputError: when the stride is out of range.
        ShapeError: when ``points`` does not have T - k start frames.
    """
    P = field.num_pairs
    if not 1 <= stride <= P:
        raise InputError(f"chain_flow: stride must lie in 1 .. {P} (the video's frame pairs), got {stride}")
    starts = P - stride + 1
    if points.ndim != 3 or points.shape[0] != starts or points.shape[-1] != 2:
        raise ShapeError("points", f"({starts}, N, 2) for k = {stride}", tuple(points.shape))
    q = points
    conf = torch.ones(points.shape[:2], dtype=points.dtype, device=points.device)
    for s in range(stride):
        step, c = field.pairs(s, s + starts).sample(q)
        q = q + step
        conf = conf * c
    return q - points, conf
