"""Tests of flowpose.refinement.training_pairs: the pairs chosen by what they teach, their crops and targets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowpose.errors import ShapeError
from flowpose.flow.crop import crop_to_grid
from flowpose.flow.field import FlowField
from flowpose.refinement.training_pairs import PairCrops, chosen_pairs, pair_scores, target_batch


def test_pair_scores_rank_what_the_target_changes() -> None:
    P, h, w = 4, 8, 8
    net = FlowField(np.zeros((P, h, w, 2)), np.full((P, h, w), 0.5), np.zeros((P, 2)), np.full(P, 2.0), (16, 16))
    flow = np.zeros((P, h, w, 2), np.float32)
    conf = np.full((P, h, w), 0.5, np.float32)
    flow[2, :2, :2] = 4.0  # pair 2: a few confident pixels far from the network's flow
    conf[2, :2, :2] = 1.0
    flow[1] = 0.5  # pair 1: everywhere a little off, but no more trusted than the network
    target = FlowField(flow, conf, net.origin, net.scale, net.image_size)
    scores = pair_scores(target, net)
    assert scores.argmax() == 2 and scores[1] < scores[2]
    chosen = chosen_pairs(target, 0.5, scores)
    assert 2 in chosen and len(chosen) == 2 and np.all(np.diff(chosen) > 0)  # the top half, in time order
    np.testing.assert_array_equal(chosen_pairs(target, 1.0, scores), np.arange(P))


@pytest.mark.parametrize("cache", [True, False])
def test_pair_crops_are_the_frames_on_their_grids_with_the_target_in_grid_px(cache: bool) -> None:
    rng = np.random.default_rng(0)
    P, h, w, H, W = 3, 8, 16, 20, 30
    frames = rng.integers(0, 256, (P + 1, H, W, 3), dtype=np.uint8)
    origin = rng.uniform(0, 4, (P, 2))
    scale = np.array([1.0, 1.5, 0.5])
    target = FlowField(rng.normal(0, 2, (P, h, w, 2)).astype(np.float32), rng.uniform(0, 1, (P, h, w)).astype(np.float32),
                       origin, scale, (H, W))
    crops = PairCrops(frames, target, cache=cache)
    first, second, flow, weight = crops.batch(np.array([2, 0]), "cpu")
    assert first.shape == second.shape == (2, 3, h, w) and flow.shape == (2, 2, h, w) and weight.shape == (2, h, w)
    expected = crop_to_grid(frames[3], origin[2].astype(np.float64), float(scale[2]), (h, w))
    np.testing.assert_allclose(second[0].permute(1, 2, 0).numpy(), expected, atol=1e-4)
    np.testing.assert_allclose(flow[0].permute(1, 2, 0).numpy(), target.flow[2] / scale[2], rtol=1e-6)
    again, w2 = target_batch(target, np.array([2, 0]), "cpu")
    assert torch.equal(again, flow) and torch.equal(w2, weight)
    assert PairCrops.nbytes(target) == P * 2 * h * w * 3 * 4


def test_pair_crops_refuse_a_frame_of_another_size() -> None:
    target = FlowField(np.zeros((1, 8, 8, 2), np.float32), np.ones((1, 8, 8), np.float32), np.zeros((1, 2)),
                       np.ones(1), (16, 16))
    with pytest.raises(ShapeError, match="frames"):
        PairCrops(np.zeros((2, 16, 12, 3), np.uint8), target, cache=True)
