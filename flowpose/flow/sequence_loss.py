"""RAFT's sequence loss (Teed & Deng, ECCV 2020, eq. 7): every GRU iteration's flow is supervised, later ones more.

    L = sum_{i=1..n} gamma^(n-i) sum_px w_px rho(f_i, f_target)_px / Z                                 (7)

f_i the flow after iteration i, rho a per-component penalty, w per-pixel weights and Z their normaliser. RAFT has
rho = |f_i - f_target| and w = the valid pixels. This module holds the sum, once; its two uses choose rho, w and Z:

- training a network (:func:`flowpose.train.loss.sequence_loss`): rho = L1, w = valid pixels (optionally
  weighted), Z folded into w (a mean over valid pixels and both components);
- fine-tuning it on one video (:func:`flowpose.refinement.sequence_loss.flow_sequence_loss`): rho = smooth-L1, as in
  the seed (BMVC 2022), w = the target's confidence, Z = the number of elements.
"""

from __future__ import annotations

from typing import Callable, Sequence

from torch import Tensor

from flowpose.errors import ShapeError

Penalty = Callable[[Tensor, Tensor], Tensor]
"""``(prediction, target) -> per-element penalty``, both (N, 2, H, W)."""


def iteration_weighted_sum(
    predictions: Sequence[Tensor],
    target: Tensor,
    weight: Tensor,
    penalty: Penalty,
    *,
    gamma: float,
    norm: Tensor | None = None,
) -> Tensor:
    """Eq. (7): ``sum_i gamma^(n-i) sum(weight * penalty(f_i, target)) / norm``.

    Args:
        predictions: n flows (N, 2, H, W), one per GRU iteration.
        target: (N, 2, H, W) target flow.
        weight: per-element weights broadcastable to (N, 2, H, W), e.g. (N, 1, H, W).
        penalty: the per-element penalty rho.
        gamma: decay over iterations; the last iteration has weight 1.
        norm: () normaliser Z, or None when ``weight`` is already normalised.

    Returns:
        () the loss.

    Raises:
        ShapeError: if a prediction's shape differs from the target's.
    """
    n = len(predictions)
    total = target.new_zeros(())
    for i, pred in enumerate(predictions):
        if pred.shape != target.shape:
            raise ShapeError("flow prediction", str(tuple(target.shape)), pred.shape)
        term = gamma ** (n - 1 - i) * (weight * penalty(pred, target)).sum()
        total = total + (term if norm is None else term / norm)
    return total
