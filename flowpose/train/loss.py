"""RAFT's sequence loss (Teed & Deng, ECCV 2020, Eq. 7) for training, and the usual flow metrics (the sum over
iterations is :func:`flowpose.flow.sequence_loss.iteration_weighted_sum`).

    L = sum_{i=1}^{N} gamma^(N - i) || f_gt - f_i ||_1          (Eq. 7, gamma = 0.8)

Like the official training code, pixels whose ground-truth flow exceeds ``max_flow`` (400 px) are excluded.
Deviation: the official code averages |f_gt - f_i| over *all* pixels with invalid ones zeroed
(``(valid * i_loss).mean()``), so the loss shrinks with the fraction of valid pixels; here it is the mean over
valid pixels (and both components), which keeps the scale independent of occlusion rates that differ between
our AutoFlow and human data.

Extension (not in RAFT): an optional per-pixel weight ``w`` turns the mean into a weighted mean,
``sum_p w_p |f_gt - f_i|_1(p) / (2 sum_p w_p)`` over valid pixels. The second training stage uses it to count
the person's pixels more than the background (see ``TrainConfig.human_loss_weight``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from flowpose.errors import InputError, ShapeError
from flowpose.flow.sequence_loss import iteration_weighted_sum


@dataclass(frozen=True)
class SequenceLoss:
    """The loss and metrics of one batch.

    Attributes:
        loss: scalar tensor (with grad) to minimise.
        epe: mean end-point error of the last prediction over valid pixels, px.
        px1: fraction of valid pixels with EPE < 1 px (likewise ``px3``, ``px5``).
    """

    loss: torch.Tensor
    epe: float
    px1: float
    px3: float
    px5: float

    def metrics(self) -> dict[str, float]:
        """Plain floats for logging: loss, epe, 1px, 3px, 5px."""
        return {
            "loss": float(self.loss.detach()),
            "epe": self.epe,
            "1px": self.px1,
            "3px": self.px3,
            "5px": self.px5,
        }


def sequence_loss(
    predictions: list[torch.Tensor],
    flow_gt: torch.Tensor,
    valid: torch.Tensor,
    *,
    gamma: float = 0.8,
    max_flow: float = 400.0,
    pixel_weight: torch.Tensor | None = None,
) -> SequenceLoss:
    """RAFT's exponentially weighted L1 loss over all GRU iterations (Eq. 7).

    Args:
        predictions: N tensors (B, 2, H, W), flow after each iteration, px.
        flow_gt: (B, 2, H, W) ground-truth flow, px.
        valid: (B, H, W) bool or {0, 1}, where the ground truth is defined.
        gamma: decay of the weight of earlier iterations.
        max_flow: ground-truth magnitudes at or above this are excluded, px.
        pixel_weight: (B, H, W) non-negative weights of the pixels in the loss (None: all 1). The metrics stay
            unweighted.

    Returns:
        The loss and metrics of the last prediction. With no valid pixel the loss is a zero that keeps the
        graph and the metrics are NaN.

    Raises:
        InputError: if ``predictions`` is empty or ``pixel_weight`` has a negative entry.
        ShapeError: if shapes disagree.

    Example:
        >>> gt = torch.zeros(1, 2, 8, 8)
        >>> sequence_loss([gt + 1.0], gt, torch.ones(1, 8, 8, dtype=torch.bool)).loss.item()
        1.0
    """
    if not predictions:
        raise InputError("sequence_loss: predictions must hold at least one flow, got an empty list")
    if flow_gt.ndim != 4 or flow_gt.shape[1] != 2:
        raise ShapeError("flow_gt", "(B, 2, H, W)", flow_gt.shape)
    B, _, H, W = flow_gt.shape
    if tuple(valid.shape) != (B, H, W):
        raise ShapeError("valid", f"({B}, {H}, {W})", valid.shape)
    for pred in predictions:
        if pred.shape != flow_gt.shape:
            raise ShapeError("predictions[i]", str(tuple(flow_gt.shape)), pred.shape)

    magnitude = torch.linalg.vector_norm(flow_gt, dim=1)
    mask = (valid > 0.5) & (magnitude < max_flow)
    weight = mask.to(flow_gt.dtype)
    if pixel_weight is not None:
        if tuple(pixel_weight.shape) != (B, H, W):
            raise ShapeError("pixel_weight", f"({B}, {H}, {W})", pixel_weight.shape)
        if bool((pixel_weight < 0).any()):
            raise InputError("sequence_loss: pixel_weight must be >= 0, got a negative entry")
        weight = weight * pixel_weight.to(flow_gt.dtype)
    # (weighted) mean over valid pixels and the 2 components
    weight = weight[:, None] / (2 * weight.sum().clamp(min=1e-12))
    loss = iteration_weighted_sum(predictions, flow_gt, weight, lambda pred, gt: (pred - gt).abs(), gamma=gamma)

    with torch.no_grad():
        epe = torch.linalg.vector_norm(predictions[-1] - flow_gt, dim=1)[mask]
        if epe.numel() == 0:
            nan = float("nan")
            return SequenceLoss(loss, nan, nan, nan, nan)
        return SequenceLoss(
            loss,
            float(epe.mean()),
            float((epe < 1).float().mean()),
            float((epe < 3).float().mean()),
            float((epe < 5).float().mean()),
        )
