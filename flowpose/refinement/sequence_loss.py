"""RAFT's sequence loss in its smooth-L1 form, with per-pixel weights: what the flow stage fine-tunes with.

RAFT (Teed & Deng, ECCV 2020, eq. 7; the sum is :func:`flowpose.flow.sequence_loss.iteration_weighted_sum`)
supervises every GRU iteration's flow, later ones more; the seed (BMVC 2022) replaced the L1 distance by smooth-L1:

    L = sum_{i=1..n} gamma^(n-i) mean_px( w * smoothL1_beta(f_i - f_target) ),                      (1)

f_i the flow after GRU iteration i in grid pixels and w the per-pixel weight (the target's confidence).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from flowpose.flow.sequence_loss import iteration_weighted_sum


def flow_sequence_loss(
    predictions: Sequence[Tensor],
    target: Tensor,
    weight: Tensor,
    *,
    gamma: float = 0.8,
    beta: float = 1.0,
    only_weighted: bool = False,
) -> Tensor:
    """RAFT's sequence loss with a smooth-L1 penalty and per-pixel weights, eq. (1).

    The penalty is averaged over the two flow components and the pixels (RAFT averages the same way).

    Args:
        predictions: n flows (N, 2, h, w), one per GRU iteration, in grid pixels.
        target: (N, 2, h, w) target flow in grid pixels.
        weight: (N, h, w) per-pixel weight in [0, 1].
        gamma: decay over iterations; the last iteration has weight 1.
        beta: smooth-L1 transition (px).
        only_weighted: hard mask ``weight > 0`` with equal weights instead of soft weights.

    Returns:
        Scalar loss (zero when ``only_weighted`` and no pixel has weight).

    Raises:
        ShapeError: if a prediction's shape differs from the target's.
    """
    if only_weighted:
        w = (weight > 0).to(target.dtype)
        norm = (2.0 * w.sum()).clamp_min(1.0)  # mean over the selected pixels and both components
    else:
        w = weight.to(target.dtype)
        norm = torch.tensor(float(target.numel()), dtype=target.dtype, device=target.device)
    return iteration_weighted_sum(
        predictions, target, w[:, None],
        lambda pred, t: F.smooth_l1_loss(pred, t, reduction="none", beta=beta), gamma=gamma, norm=norm,
    )
