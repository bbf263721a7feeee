"""flowpose.flow.tracks: flow chained into long-range tracks, with the steps' confidences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.flow.tracks import chain_flow


def _field(flow: np.ndarray, confidence: np.ndarray | None = None):
    return FlowField.full_frame(flow.astype(np.float32), confidence).to_torch("cpu", torch.float64)


def test_constant_flow_adds_up_per_pair() -> None:
    T, size = 6, 32
    flow = np.zeros((T - 1, size, size, 2))
    flow[..., 0] = np.arange(1, T)[:, None, None]  # pair t moves everything by t + 1 px
    points = torch.tensor([[[4.0, 5.0], [10.0, 3.0]]], dtype=torch.float64).expand(T - 3, -1, -1)
    disp, conf = chain_flow(_field(flow), points.contiguous(), 3)
    # start frame t: pairs t, t+1, t+2 -> (t+1) + (t+2) + (t+3) = 3t + 6 px along x
    np.testing.assert_allclose(disp[..., 0].numpy(), (3 * np.arange(T - 3) + 6)[:, None].repeat(2, 1))
    np.testing.assert_allclose(disp[..., 1].numpy(), 0.0)
    np.testing.assert_allclose(conf.numpy(), 1.0)


def test_each_step_samples_where_the_track_is() -> None:
    # u = 0.1 x: a point at x goes to 1.1 x per step, so after k steps x (1.1^k - 1), not k * 0.1 x.
    T, size, k = 4, 64, 3
    xs = np.arange(size, dtype=np.float64)
    flow = np.zeros((T - 1, size, size, 2))
    flow[..., 0] = 0.1 * xs[None, None, :]
    points = torch.tensor([[[10.0, 20.0], [20.0, 7.0]]], dtype=torch.float64)
    disp, _ = chain_flow(_field(flow), points, k)
    np.testing.assert_allclose(disp[0, :, 0].numpy(), [10.0 * (1.1**k - 1), 20.0 * (1.1**k - 1)], rtol=1e-6)


def test_confidence_is_the_product_of_the_steps() -> None:
    T, size = 5, 16
    flow = np.zeros((T - 1, size, size, 2))
    conf = np.ones((T - 1, size, size), np.float32)
    conf[1] = 0.5  # one uncertain pair
    conf[3, :, 8:] = 0.0  # one occluded region, on the right of pair 3
    points = torch.tensor([[[2.0, 2.0], [12.0, 2.0]]], dtype=torch.float64).expand(T - 2, -1, -1).contiguous()
    _, c = chain_flow(_field(flow, conf), points, 2)
    # start 0: pairs 0, 1; start 1: pairs 1, 2; start 2: pairs 2, 3 (the right point is occluded in pair 3)
    np.testing.assert_allclose(c.numpy(), [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])


def test_a_track_that_leaves_the_grid_is_dropped() -> None:
    T, size = 4, 16
    flow = np.zeros((T - 1, size, size, 2))
    flow[..., 0] = 10.0  # 10 px right per frame: a point at x = 2 is at 12, then at 22 (outside the grid)
    points = torch.tensor([[[2.0, 4.0]]], dtype=torch.float64)
    _, c = chain_flow(_field(flow), points, 3)  # its third step starts outside
    assert c.item() == 0.0
    _, c2 = chain_flow(_field(flow), points.expand(2, -1, -1).contiguous(), 2)  # two steps, both inside
    assert c2[0].item() == 1.0


def test_shapes_are_checked() -> None:
    field = _field(np.zeros((4, 8, 8, 2)))
    with pytest.raises(InputError, match="stride must lie in 1 .. 4"):
        chain_flow(field, torch.zeros(1, 2, 2, dtype=torch.float64), 5)
    with pytest.raises(ShapeError, match=r"\(3, N, 2\) for k = 2"):
        chain_flow(field, torch.zeros(4, 2, 2, dtype=torch.float64), 2)
    with pytest.raises(InputError, match="FlowTensors.pairs: expected 0 <= start <= stop <= 4, got 3, 6"):
        field.pairs(3, 6)
