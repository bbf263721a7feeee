"""FlowField: sampling full-frame and crop grids."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowpose.errors import ShapeError
from flowpose.flow.field import FlowField, FlowTensors, sample_grid

A = np.array([[0.5, -0.25], [0.125, 0.75]])  # flow = A @ (x, y) + c, linear
C = np.array([3.0, -2.0])


def _linear_flow(h: int, w: int, origin=(0.0, 0.0), scale: float = 1.0) -> np.ndarray:
    """(h, w, 2) linear flow evaluated at the grid's full-frame positions."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    X, Y = origin[0] + scale * xs, origin[1] + scale * ys
    return np.stack([A[0, 0] * X + A[0, 1] * Y + C[0], A[1, 0] * X + A[1, 1] * Y + C[1]], -1).astype(
        np.float32
    )


def _expected(points: np.ndarray) -> np.ndarray:
    return points @ A.T + C


def test_full_frame_sampling_exact_at_integer_and_half_pixels() -> None:
    field = FlowField.full_frame(_linear_flow(12, 16)[None])
    assert field.is_full_frame and field.num_pairs == 1
    pts = np.array([[0, 0], [15, 11], [3, 4], [3.5, 4], [7.5, 2.5], [0.5, 10.5]], np.float64)
    flow, conf = field.sample(torch.tensor(pts[None]))
    np.testing.assert_allclose(flow[0].numpy(), _expected(pts), atol=1e-5)
    np.testing.assert_allclose(conf.numpy(), 1.0)


def test_confidence_zero_outside_grid() -> None:
    field = FlowField.full_frame(np.zeros((1, 8, 8, 2), np.float32))
    _, conf = field.sample(torch.tensor([[[-3.0, 2.0], [2.0, 20.0], [4.0, 4.0]]]))
    assert conf[0, 0] == 0 and conf[0, 1] == 0 and conf[0, 2] == 1


def test_crop_grid_round_trip_and_sampling() -> None:
    origin, scale = (20.25, 10.75), 1.5
    field = FlowField(
        _linear_flow(10, 10, origin, scale)[None],
        np.ones((1, 10, 10)),
        np.array([origin]),
        np.array([scale]),
        (64, 64),
    )
    assert not field.is_full_frame
    grid = torch.tensor([[[0.0, 0.0], [3.0, 7.0], [9.0, 9.0], [2.5, 0.5]]], dtype=torch.float64)
    full = torch.tensor(origin, dtype=torch.float64) + scale * grid  # grid -> full-frame by the convention
    np.testing.assert_allclose(field.grid_coords(full).numpy(), grid.numpy(), atol=1e-6)
    flow, _ = field.sample(full)
    np.testing.assert_allclose(flow[0].numpy(), _expected(full[0].numpy()), atol=1e-4)


def test_to_full_frame_covered_mask() -> None:
    # grid pixels at x, y = 4, 6, 8, 10 (origin 4, scale 2, 4x4): covers full-frame pixels 4..10
    field = FlowField(
        np.ones((1, 4, 4, 2), np.float32),
        np.ones((1, 4, 4)),
        np.array([[4.0, 4.0]]),
        np.array([2.0]),
        (16, 20),
    )
    flow, covered = field.to_full_frame()
    assert flow.shape == (1, 16, 20, 2) and covered.shape == (1, 16, 20)
    expected = np.zeros((16, 20), bool)
    expected[4:11, 4:11] = True
    np.testing.assert_array_equal(covered[0], expected)
    np.testing.assert_allclose(flow[0][expected], 1.0, atol=1e-6)
    # Beyond one grid pixel from the grid the flow is zero. (Within that band, grid_sample's zero padding
    # blends toward zero: uncovered pixels there are not exactly 0, so consumers must use ``covered``.)
    far = np.ones((16, 20), bool)
    far[2:13, 2:13] = False
    assert np.all(flow[0][far] == 0)


def test_full_frame_to_full_frame_is_identity() -> None:
    f = np.random.default_rng(0).normal(size=(2, 5, 6, 2)).astype(np.float32)
    flow, covered = FlowField.full_frame(f).to_full_frame()
    np.testing.assert_array_equal(flow, f)
    assert covered.all()


def test_gradient_flows_to_points() -> None:
    field = FlowField.full_frame(_linear_flow(12, 16)[None].astype(np.float32))
    pts = torch.tensor([[[5.3, 4.6], [9.2, 2.1]]], dtype=torch.float64, requires_grad=True)
    flow, _ = field.sample(pts)
    flow[..., 0].sum().backward()  # d u / d (x, y) = A[0] at every point
    np.testing.assert_allclose(pts.grad[0].numpy(), np.tile(A[0], (2, 1)), atol=1e-6)
    pts64 = torch.tensor([[[5.3, 4.6]]], dtype=torch.float64, requires_grad=True)
    values = torch.randn(1, 3, 12, 16, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda p: sample_grid(values, p), (pts64,))


def test_shape_validation() -> None:
    with pytest.raises(ShapeError, match=r"flow must have shape \(P, h, w, 2\)"):
        FlowField(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), np.zeros((2, 2)), np.ones(2), (4, 4))
    with pytest.raises(ShapeError, match="confidence"):
        FlowField(np.zeros((2, 4, 4, 2)), np.zeros((2, 4, 5)), np.zeros((2, 2)), np.ones(2), (4, 4))
    with pytest.raises(ShapeError, match="origin"):
        FlowField(np.zeros((2, 4, 4, 2)), np.zeros((2, 4, 4)), np.zeros((2, 3)), np.ones(2), (4, 4))
    with pytest.raises(ShapeError, match="scale"):
        FlowField(np.zeros((2, 4, 4, 2)), np.zeros((2, 4, 4)), np.zeros((2, 2)), np.ones(3), (4, 4))


def _random_crop_field(P: int = 3, h: int = 9, w: int = 13, seed: int = 0) -> FlowField:
    rng = np.random.default_rng(seed)
    return FlowField(
        rng.normal(size=(P, h, w, 2)),
        rng.uniform(size=(P, h, w)),
        rng.uniform(-5.0, 20.0, (P, 2)),
        rng.uniform(0.5, 3.0, P),
        (48, 64),
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_flow_tensors_sample_equals_flow_field_sample(dtype: torch.dtype) -> None:
    field = _random_crop_field()
    # Points inside, on the edge of and far outside each crop (border-padded flow, zero confidence outside).
    pts = torch.tensor(np.random.default_rng(1).uniform(-30.0, 90.0, (3, 400, 2)), dtype=dtype)
    tensors = field.to_torch("cpu", dtype)
    assert isinstance(tensors, FlowTensors) and tensors.num_pairs == 3
    assert tensors.values.shape == (3, 3, 9, 13) and tensors.values.dtype == dtype
    assert tensors.origin.shape == (3, 1, 2) and tensors.scale.shape == (3, 1, 1)
    flow, conf = tensors.sample(pts)
    expected_flow, expected_conf = field.sample(pts)
    torch.testing.assert_close(flow, expected_flow, rtol=0, atol=0)
    torch.testing.assert_close(conf, expected_conf, rtol=0, atol=0)
    grid_xy = field.grid_coords(pts)
    last = torch.tensor([12.0, 8.0], dtype=dtype)  # (x, y) of the last pixel centre of the 9x13 grid
    outside = ((grid_xy < 0) | (grid_xy > last)).any(-1)
    assert outside.any() and (~outside).any()
    assert (conf[outside] == 0).all() and (conf[~outside] > 0).all()


def test_flow_tensors_border_padding_and_default_dtype() -> None:
    # Flow is the edge value beyond the grid (border padding), exactly as FlowField.sample; default float32.
    field = FlowField.full_frame(_linear_flow(12, 16)[None])
    tensors = field.to_torch("cpu")
    assert tensors.values.dtype == torch.float32
    pts = torch.tensor([[[-4.0, 3.0], [30.0, 11.0], [2.0, 2.0]]])
    flow, conf = tensors.sample(pts)
    clamped = np.array([[0.0, 3.0], [15.0, 11.0], [2.0, 2.0]])  # the nearest grid points
    np.testing.assert_allclose(flow[0].numpy(), _expected(clamped), atol=1e-5)
    np.testing.assert_array_equal(conf.numpy(), [[0.0, 0.0, 1.0]])


def test_flow_tensors_gradient_matches_flow_field() -> None:
    field = _random_crop_field(P=1)
    pts = torch.tensor([[[8.3, 14.6], [20.2, 9.1]]], dtype=torch.float64, requires_grad=True)
    grads = []
    for sampler in (field, field.to_torch("cpu", torch.float64)):
        flow, conf = sampler.sample(pts)
        grads.append(torch.autograd.grad((flow.sum(-1) + conf).sum(), pts)[0])
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)
    assert grads[0].abs().sum() > 0


def test_flow_tensors_shape_validation() -> None:
    with pytest.raises(ShapeError, match=r"values must have shape \(P, 3, h, w\), got \(2, 2, 4, 4\)"):
        FlowTensors(torch.zeros(2, 2, 4, 4), torch.zeros(2, 1, 2), torch.ones(2, 1, 1))
    with pytest.raises(ShapeError, match=r"FlowTensors.origin must have shape \(2, 1, 2\), got \(2, 2\)"):
        FlowTensors(torch.zeros(2, 3, 4, 4), torch.zeros(2, 2), torch.ones(2, 1, 1))
    with pytest.raises(ShapeError, match=r"FlowTensors.scale must have shape \(2, 1, 1\), got \(2,\)"):
        FlowTensors(torch.zeros(2, 3, 4, 4), torch.zeros(2, 1, 2), torch.ones(2))


def test_reverse_must_share_the_grids() -> None:
    f = FlowField.full_frame(np.zeros((2, 4, 5, 2), np.float32))
    FlowField(f.flow, f.confidence, f.origin, f.scale, f.image_size, reverse=f)
    with pytest.raises(ShapeError, match="reverse"):
        FlowField(f.flow, f.confidence, f.origin, f.scale, f.image_size,
                  reverse=FlowField.full_frame(np.zeros((2, 4, 6, 2), np.float32)))


def test_to_torch_is_flow_then_confidence_channels_first_from_any_array() -> None:
    rng = np.random.default_rng(1)
    flow, conf = rng.random((3, 8, 6, 2)).astype(np.float32), rng.random((3, 8, 6)).astype(np.float32)
    read_only = (np.broadcast_to(flow[:1], flow.shape), np.broadcast_to(conf[:1], conf.shape))
    for f, c in ((flow, conf), read_only, (flow[::-1], conf[::-1])):
        field = FlowField(f, c, np.zeros((3, 2)), np.ones(3), (8, 6))
        for dtype in (torch.float32, torch.float64):
            values = field.to_torch("cpu", dtype).values
            assert values.dtype == dtype and values.shape == (3, 3, 8, 6)
            np.testing.assert_array_equal(values[:, :2].numpy(), np.moveaxis(f, -1, 1).astype(values.numpy().dtype))
            np.testing.assert_array_equal(values[:, 2].numpy(), c.astype(values.numpy().dtype))
    assert not np.shares_memory(field.to_torch("cpu").values.numpy(), field.flow)  # the tensor is its own
