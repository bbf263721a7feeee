"""The encoded-video cache: the same flow as plain inference on the same crops, from encoders run once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from flowpose.errors import InputError, ShapeError
from flowpose.flow.classical import DISFlow
from flowpose.flow.encoded import EncodedVideo, can_encode, encoded_video_flow, low_resolution_flow
from flowpose.flow.field import FlowField
from flowpose.flow.gma import gma
from flowpose.flow.infer import compute_video_flow, plan_grids
from flowpose.flow.raft import raft_small
from tests.flow.texture import sinusoid_texture

T, SIZE = 5, 96


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return np.stack([sinusoid_texture(SIZE, SIZE, (1.5 * t, -0.5 * t)) for t in range(T)])


def _boxes() -> np.ndarray:
    drift = np.arange(T - 1)[:, None] * np.array([2.0, 0.0, 2.0, 0.0])
    return np.array([16.0, 12.0, 80.0, 76.0]) + drift


@pytest.mark.parametrize("build", [raft_small, gma])
def test_cached_flow_equals_plain_inference(frames: np.ndarray, build) -> None:
    torch.manual_seed(0)
    model = build().eval()
    plain = compute_video_flow(model, frames, boxes=_boxes(), work_size=64, iters=3, batch_size=2)
    origins, scales, size = plan_grids(_boxes(), 64, frames.shape[1:3], T - 1)
    cache = EncodedVideo(model, frames, origins, scales, size, batch_size=3)
    field, (fwd_low, bwd_low) = encoded_video_flow(model, cache, iters=3, batch_size=2, keep_backward=True)
    np.testing.assert_allclose(field.flow, plain.flow, atol=1e-4)
    kept = compute_video_flow(model, frames, boxes=_boxes(), work_size=64, iters=3, batch_size=2, keep_backward=True)
    np.testing.assert_allclose(field.reverse.flow, kept.reverse.flow, atol=1e-4)
    np.testing.assert_allclose(field.reverse.confidence, kept.reverse.confidence, atol=1e-4)
    np.testing.assert_allclose(field.confidence, plain.confidence, atol=1e-4)
    np.testing.assert_array_equal(field.origin, plain.origin)
    assert fwd_low.shape == bwd_low.shape == (T - 1, 2, 8, 8)
    assert cache.nbytes > 0


def test_warm_start_continues_the_iterations(frames: np.ndarray) -> None:
    """Warm-starting k iterations from the flow after n is the same as n + k cold ones, but for the GRU state
    (which restarts from the context): closer to it than the n-iteration flow is."""
    torch.manual_seed(0)
    model = raft_small().eval()
    origins, scales, size = plan_grids(_boxes(), 64, frames.shape[1:3], T - 1)
    cache = EncodedVideo(model, frames, origins, scales, size)
    two, lows = encoded_video_flow(model, cache, iters=2)
    warm, _ = encoded_video_flow(model, cache, iters=2, flow_init=lows)
    four, _ = encoded_video_flow(model, cache, iters=4)
    assert np.abs(warm.flow - two.flow).max() > 1e-4  # it did move on from the start
    assert np.abs(warm.flow - four.flow).mean() < np.abs(two.flow - four.flow).mean()


def test_cache_refuses_other_backends_and_grids(frames: np.ndarray) -> None:
    assert not can_encode(DISFlow()) and can_encode(raft_small())
    origins, scales, _ = plan_grids(_boxes(), 64, frames.shape[1:3], T - 1)
    with pytest.raises(InputError, match="RAFT-family"):
        EncodedVideo(DISFlow(), frames, origins, scales, (64, 64))
    with pytest.raises(InputError, match="divisible by 8"):
        EncodedVideo(raft_small(), frames, origins, scales, (60, 64))


def test_low_resolution_flow_is_raft_s_eighth_resolution_start() -> None:
    P, h, w = 2, 16, 24
    scale = np.array([2.0, 0.5], np.float32)
    flow = np.zeros((P, h, w, 2), np.float32)
    flow[..., 0], flow[..., 1] = 16.0, -8.0  # full-frame px
    flow[1, :8, :8, 0] = 0.0  # one 8x8 block of pair 1 still: its average is 0
    back = FlowField(-flow, np.ones((P, h, w)), np.zeros((P, 2)), scale, (64, 64))
    field = FlowField(flow, np.ones((P, h, w)), np.zeros((P, 2)), scale, (64, 64), back)
    fwd, bwd = low_resolution_flow(field, (h, w))
    assert fwd.shape == bwd.shape == (P, 2, 2, 3)
    # grid px = full-frame px / scale; 1/8 resolution px = grid px / 8
    np.testing.assert_allclose(fwd[0, 0].numpy(), 16.0 / 2.0 / 8.0)
    np.testing.assert_allclose(fwd[0, 1].numpy(), -8.0 / 2.0 / 8.0)
    assert float(fwd[1, 0, 0, 0]) == 0.0 and float(fwd[1, 0, 1, 1]) == 16.0 / 0.5 / 8.0
    np.testing.assert_allclose(bwd.numpy(), -fwd.numpy())
    with pytest.raises(InputError, match="backward"):
        low_resolution_flow(replace(field, reverse=None), (h, w))
    with pytest.raises(ShapeError):
        low_resolution_flow(field, (8, 8))
