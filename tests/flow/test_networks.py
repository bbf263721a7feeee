"""Tests of flowpose.flow.networks: every registered builder gives its named, trainable network."""

from __future__ import annotations

import pytest
import torch

from flowpose.flow.networks import FLOW_NETWORKS


def test_registry_names() -> None:
    assert isinstance(FLOW_NETWORKS, dict)
    assert sorted(FLOW_NETWORKS) == ["gma", "raft", "raft-small"]


@pytest.mark.parametrize("name", sorted(FLOW_NETWORKS))
def test_builder_smoke(name: str) -> None:
    model = FLOW_NETWORKS[name]()
    assert model.name == name and model.trainable is True
    flow = model.predict(torch.rand(1, 3, 64, 64) * 255, torch.rand(1, 3, 64, 64) * 255, iters=1)
    assert flow.shape == (1, 2, 64, 64) and torch.isfinite(flow).all()
