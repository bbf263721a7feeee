"""Tests of the step-indexed batches and the validation sets."""

from __future__ import annotations

import numpy as np
import torch

from flowpose.train.data import StepBatches, autoflow_validation, collate
from flowpose.train.sample import FlowSample


def test_collate_layout() -> None:
    s = FlowSample(
        np.zeros((8, 16, 3), np.uint8),
        np.full((8, 16, 3), 255, np.uint8),
        np.stack([np.ones((8, 16)), 2 * np.ones((8, 16))], -1).astype(np.float32),
        np.ones((8, 16), bool),
    )
    b = collate([s, s])
    assert b["image1"].shape == (2, 3, 8, 16) and b["image1"].dtype == torch.float32
    assert b["image2"].max() == 255.0 and b["flow"].shape == (2, 2, 8, 16)
    assert torch.all(b["flow"][:, 0] == 1) and torch.all(b["flow"][:, 1] == 2)
    assert b["valid"].dtype == torch.bool and not b["human"].any()


def test_batches_are_a_function_of_seed_and_step() -> None:
    ds = StepBatches(seed=3, batch_size=2, crop=(64, 64), human_fraction=0.5, human=None)
    a, b, c = ds[7], ds[7], ds[8]
    assert a["image1"].shape == (2, 3, 64, 64)
    for key in a:
        assert torch.equal(a[key], b[key])
    assert not torch.equal(a["flow"], c["flow"])


def test_validation_set_is_fixed_and_disjoint_from_training() -> None:
    v1, v2 = autoflow_validation(2, (64, 64), seed=0), autoflow_validation(2, (64, 64), seed=0)
    assert torch.equal(v1.batch["flow"], v2.batch["flow"]) and v1.name == "autoflow"
    train = StepBatches(seed=0, batch_size=2, crop=(64, 64), human_fraction=0.0, human=None)
    assert not torch.equal(train[0]["image1"], v1.batch["image1"])
