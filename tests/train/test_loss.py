"""Tests of RAFT's sequence loss."""

from __future__ import annotations

import pytest
import torch

from flowpose.errors import InputError, ShapeError
from flowpose.train.loss import sequence_loss


def test_hand_computed_two_iterations() -> None:
    gt = torch.zeros(1, 2, 2, 2)
    valid = torch.tensor([[[True, True], [True, False]]])
    p1 = torch.zeros(1, 2, 2, 2)
    p1[0, 0] = 2.0  # |err| = (2, 0) everywhere
    p2 = torch.zeros(1, 2, 2, 2)
    p2[0, 1, 0, 0] = 3.0  # (0, 3) at one valid pixel
    p2[0, 0, 1, 1] = 100.0  # at the invalid pixel: ignored
    out = sequence_loss([p1, p2], gt, valid, gamma=0.5)
    # iteration 1: weight 0.5, mean over 3 valid pixels x 2 components of |err| = 6 / 6 = 1
    # iteration 2: weight 1.0, mean = 3 / 6 = 0.5
    assert out.loss.item() == pytest.approx(0.5 * 1.0 + 1.0 * 0.5)
    assert out.epe == pytest.approx(1.0)  # EPEs of the last prediction on valid pixels: 3, 0, 0
    assert (
        out.px1 == pytest.approx(2 / 3) and out.px3 == pytest.approx(2 / 3) and out.px5 == pytest.approx(1.0)
    )


def test_large_ground_truth_is_excluded() -> None:
    gt = torch.zeros(1, 2, 1, 2)
    gt[0, 0, 0, 1] = 500.0
    pred = torch.ones(1, 2, 1, 2)
    out = sequence_loss([pred], gt, torch.ones(1, 1, 2, dtype=torch.bool), max_flow=400.0)
    assert out.loss.item() == pytest.approx(1.0)  # only the first pixel counts


def test_gradient_and_no_valid_pixels() -> None:
    pred = torch.zeros(1, 2, 4, 4, requires_grad=True)
    out = sequence_loss([pred], torch.ones(1, 2, 4, 4), torch.zeros(1, 4, 4, dtype=torch.bool))
    out.loss.backward()
    assert out.loss.item() == 0.0 and torch.isnan(torch.tensor(out.epe))
    assert pred.grad is not None and pred.grad.abs().sum() == 0
    pred2 = torch.zeros(1, 2, 4, 4, requires_grad=True)
    sequence_loss([pred2], torch.ones(1, 2, 4, 4), torch.ones(1, 4, 4, dtype=torch.bool)).loss.backward()
    assert torch.allclose(pred2.grad, torch.full_like(pred2, -1 / 32))


def test_exceptions() -> None:
    gt = torch.zeros(1, 2, 4, 4)
    with pytest.raises(InputError, match="at least one"):
        sequence_loss([], gt, torch.ones(1, 4, 4))
    with pytest.raises(ShapeError, match="valid"):
        sequence_loss([gt], gt, torch.ones(4, 4))
    with pytest.raises(ShapeError, match="predictions"):
        sequence_loss([torch.zeros(1, 2, 4, 5)], gt, torch.ones(1, 4, 4))


def test_pixel_weight_is_a_weighted_mean() -> None:
    gt = torch.zeros(1, 2, 1, 3)
    pred = torch.zeros(1, 2, 1, 3)
    pred[0, 0, 0] = torch.tensor([1.0, 2.0, 4.0])  # |err| summed over components: 1, 2, 4
    valid = torch.tensor([[[True, True, False]]])
    weight = torch.tensor([[[3.0, 1.0, 10.0]]])  # the invalid pixel's weight must not count
    out = sequence_loss([pred], gt, valid, pixel_weight=weight)
    assert out.loss.item() == pytest.approx((3 * 1 + 1 * 2) / (2 * (3 + 1)))
    assert out.epe == pytest.approx(1.5)  # metrics stay unweighted
    ones = sequence_loss([pred], gt, valid, pixel_weight=torch.ones(1, 1, 3))
    assert ones.loss.item() == pytest.approx(sequence_loss([pred], gt, valid).loss.item())


def test_pixel_weight_errors() -> None:
    gt = torch.zeros(1, 2, 4, 4)
    valid = torch.ones(1, 4, 4)
    with pytest.raises(ShapeError, match="pixel_weight"):
        sequence_loss([gt], gt, valid, pixel_weight=torch.ones(4, 4))
    with pytest.raises(InputError, match=">= 0"):
        sequence_loss([gt], gt, valid, pixel_weight=-torch.ones(1, 4, 4))
