"""Tests of flowpose.refinement.sequence_loss: eq. (1) by hand, the hard mask, and shape errors."""

from __future__ import annotations

import pytest
import torch

from flowpose.errors import ShapeError
from flowpose.refinement.sequence_loss import flow_sequence_loss


def test_sequence_loss_hand_computed():
    target = torch.zeros(1, 2, 1, 2)
    p1 = torch.tensor([[[[0.5, 3.0]], [[0.0, 0.0]]]])  # smooth-L1 (beta 1): 0.125, 2.5, 0, 0
    p2 = torch.tensor([[[[1.0, 0.0]], [[0.0, -2.0]]]])  # 0.5, 0, 0, 1.5
    weight = torch.tensor([[[1.0, 0.5]]])
    loss = flow_sequence_loss([p1, p2], target, weight, gamma=0.5, beta=1.0)
    expected = 0.5 * (0.125 + 0.5 * 2.5) / 4 + (0.5 + 0.5 * 1.5) / 4
    assert float(loss) == pytest.approx(expected)
    hard = flow_sequence_loss([p1, p2], target, torch.tensor([[[0.0, 0.3]]]), gamma=0.5, only_weighted=True)
    assert float(hard) == pytest.approx(0.5 * 2.5 / 2 + 1.5 / 2)
    none = flow_sequence_loss([p1], target, torch.zeros(1, 1, 2), only_weighted=True)
    assert float(none) == 0.0
    with pytest.raises(ShapeError, match="flow prediction"):
        flow_sequence_loss([torch.zeros(1, 2, 2, 2)], target, weight)
