"""Tests for flowpose.train.validation: the EPE figures and the score ``best.pt`` is chosen by."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from flowpose.train.config import TrainConfig
from flowpose.train.data import ValidationSet
from flowpose.train.validation import validate, validation_sets


class ConstantFlow(nn.Module):
    """Predicts (1, 0) px everywhere."""

    def predict(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> torch.Tensor:
        out = torch.zeros(image1.shape[0], 2, *image1.shape[2:])
        out[:, 0] = 1.0
        return out


def test_score_with_human_pixels() -> None:
    flow = torch.zeros(1, 2, 2, 2)
    flow[0, 0, 0, 0] = 5.0  # the one human pixel moves 5 px; the constant model is 4 px off there
    human = torch.zeros(1, 2, 2, dtype=torch.bool)
    human[0, 0, 0] = True
    batch = {
        "image1": torch.zeros(1, 3, 2, 2),
        "image2": torch.zeros(1, 3, 2, 2),
        "flow": flow,
        "valid": torch.ones(1, 2, 2, dtype=torch.bool),
        "human": human,
    }
    sets = [ValidationSet("human", batch)]
    plain = validate(ConstantFlow(), sets, iters=1)
    assert plain["human/epe_valid"] == pytest.approx((4 + 1 + 1 + 1) / 4)
    assert plain["human/epe_human"] == pytest.approx(4.0) and plain["score"] == pytest.approx(7 / 4)
    scored = validate(ConstantFlow(), sets, iters=1, score_human_pixels=True)
    assert scored["score"] == pytest.approx((7 / 4 + 4.0) / 2)


def test_validation_sets_follow_the_seed() -> None:
    cfg = TrainConfig(crop=(64, 64), val_autoflow_pairs=2)
    (a,) = validation_sets(cfg, None)
    (b,) = validation_sets(TrainConfig(crop=(64, 64), val_autoflow_pairs=2, seed=3), None)
    assert a.name == "autoflow" and a.batch["image1"].shape == (2, 3, 64, 64)
    assert not torch.equal(a.batch["image1"], b.batch["image1"])
    assert torch.equal(a.batch["flow"], validation_sets(cfg, None)[0].batch["flow"])
