"""Tests of flowpose.flow.sequence_loss: eq. (7)'s sum over iterations, by hand, with and without a normaliser."""

from __future__ import annotations

import pytest
import torch

from flowpose.errors import ShapeError
from flowpose.flow.sequence_loss import iteration_weighted_sum


def _l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred - target).abs()


def test_later_iterations_weigh_more_and_the_weights_apply_per_element() -> None:
    target = torch.zeros(1, 2, 1, 2)
    f1 = torch.full((1, 2, 1, 2), 1.0)  # L1 sum 4 unweighted
    f2 = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]])  # only pixel 0, component x
    weight = torch.tensor([[[[0.5, 1.0]]]])  # (1, 1, 1, 2): broadcast over the components
    loss = iteration_weighted_sum([f1, f2], target, weight, _l1, gamma=0.25)
    assert float(loss) == pytest.approx(0.25 * (0.5 + 1.0) * 2 + 0.5 * 2.0)
    normalised = iteration_weighted_sum([f1, f2], target, weight, _l1, gamma=0.25, norm=torch.tensor(4.0))
    assert float(normalised) == pytest.approx(float(loss) / 4.0)


def test_gradient_reaches_every_iteration() -> None:
    preds = [torch.ones(1, 2, 2, 2, requires_grad=True) for _ in range(3)]
    iteration_weighted_sum(preds, torch.zeros(1, 2, 2, 2), torch.ones(1, 1, 2, 2), _l1, gamma=0.8).backward()
    scales = [float(p.grad.mean()) for p in preds]
    assert scales == pytest.approx([0.64, 0.8, 1.0])


def test_a_prediction_of_another_shape_is_refused() -> None:
    with pytest.raises(ShapeError, match="flow prediction"):
        iteration_weighted_sum([torch.zeros(1, 2, 2, 2)], torch.zeros(1, 2, 1, 2), torch.ones(1, 1, 1, 2), _l1, gamma=0.8)
