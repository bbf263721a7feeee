"""Tests for flowpose.train.config: the recipe refuses values it cannot train with."""

from __future__ import annotations

import pytest

from flowpose.errors import InputError
from flowpose.train.config import TrainConfig


def test_the_default_recipe_is_rafts_own() -> None:
    config = TrainConfig()
    assert (config.lr, config.weight_decay, config.pct_start, config.grad_clip, config.gamma) == (
        4e-4, 1e-4, 0.05, 1.0, 0.8
    )
    assert config.iters == 12 and config.crop == (128, 128)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps": 0}, r"steps and batch_size must be >= 1, got 0, 8"),
        ({"batch_size": 0}, r"steps and batch_size must be >= 1, got 100000, 0"),
        ({"crop": (60, 64)}, r"crop must be \(H, W\), multiples of 8 and >= 64, got \(60, 64\)"),
        ({"crop": (56, 56)}, r"got \(56, 56\)"),
        ({"crop": (64, 64, 64)}, r"got \(64, 64, 64\)"),
        ({"human_fraction": 1.5}, r"human_fraction must be in \[0, 1\], got 1.5"),
        ({"human_loss_weight": 0.0}, r"human_loss_weight must be > 0, got 0.0"),
    ],
)
def test_values_out_of_range_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        TrainConfig(**changes)
