"""Tests of flowpose.flow.corr: Eq. (1), pooling, bilinear sampling conventions and the lookup order."""

from __future__ import annotations

import math

import pytest
import torch

from flowpose.errors import ShapeError
from flowpose.flow.corr import (
    CorrBlock,
    all_pairs_correlation,
    bilinear_sample,
    correlation_pyramid,
    lookup_pyramid,
    window_offsets,
)


def test_correlation_is_scaled_dot_product_hand_index() -> None:
    f1, f2 = torch.randn(2, 5, 3, 4), torch.randn(2, 5, 3, 4)
    corr = all_pairs_correlation(f1, f2)
    assert corr.shape == (2 * 3 * 4, 1, 3, 4)
    n, i, j, k, m = 1, 2, 1, 0, 3
    expected = (f1[n, :, i, j] * f2[n, :, k, m]).sum() / math.sqrt(5)
    torch.testing.assert_close(corr[n * 12 + i * 4 + j, 0, k, m], expected)


def test_exception_correlation_shape_mismatch() -> None:
    with pytest.raises(ShapeError, match="fmap2 must have shape"):
        all_pairs_correlation(torch.zeros(1, 4, 3, 3), torch.zeros(1, 4, 3, 2))


def test_pyramid_levels_average_pool_target_dims() -> None:
    corr = torch.randn(6, 1, 8, 10)
    pyramid = correlation_pyramid(corr, num_levels=4)
    assert [tuple(p.shape[-2:]) for p in pyramid] == [(8, 10), (4, 5), (2, 2), (1, 1)]
    torch.testing.assert_close(pyramid[1][3, 0, 1, 2], corr[3, 0, 2:4, 4:6].mean())


def test_bilinear_sample_pixel_centres_halfway_and_zero_outside() -> None:
    image = torch.arange(12.0).view(1, 1, 3, 4)  # value = 4*y + x
    coords = torch.tensor([[[[2.0, 1.0], [0.5, 0.0], [1.0, 1.5], [-1.0, 0.0], [-0.5, 0.0], [1.25, 0.75]]]])
    out = bilinear_sample(image, coords)[0, 0, 0]
    expected = torch.tensor([6.0, 0.5, 7.0, 0.0, 0.5 * 0.0, 4 * 0.75 + 1.25])
    torch.testing.assert_close(out, expected)
    # Half outside on the right: x = 3.5 mixes pixel x=3 with a zero.
    right = bilinear_sample(image, torch.tensor([[[[3.5, 2.0]]]]))
    torch.testing.assert_close(right[0, 0, 0, 0], torch.tensor(5.5))


def test_bilinear_sample_one_pixel_level_is_finite_tent() -> None:
    # The official normalisation divides by W-1 = 0 here (NaN); ours samples the same tent function.
    image = torch.full((1, 1, 1, 1), 3.0)
    coords = torch.tensor([[[[0.0, 0.0], [0.5, 0.0], [1.0, 0.0], [0.0, -0.25]]]])
    torch.testing.assert_close(bilinear_sample(image, coords)[0, 0, 0], torch.tensor([3.0, 1.5, 0.0, 2.25]))


def test_window_offsets_x_is_slow_axis() -> None:
    offsets = window_offsets(2)
    assert offsets.shape == (5, 5, 2)
    assert offsets[0, 4].tolist() == [-2.0, 2.0]  # (dx, dy) = (a - r, b - r)
    assert offsets[3, 1].tolist() == [1.0, -1.0]


def test_lookup_channel_order_matches_integer_indexing() -> None:
    n, h, w, r = 1, 4, 5, 1
    corr = torch.randn(n * h * w, 1, h, w)
    ys, xs = torch.meshgrid(torch.arange(float(h)), torch.arange(float(w)), indexing="ij")
    coords = torch.stack([xs, ys])[None]
    coords = coords + torch.tensor([1.0, -1.0]).view(1, 2, 1, 1)  # x' = x + (1, -1)
    out = lookup_pyramid([corr], coords, radius=r)
    assert out.shape == (1, 9, h, w)
    for i in range(h):
        for j in range(w):
            for a in range(3):
                for b in range(3):
                    x, y = j + 1 + (a - r), i - 1 + (b - r)
                    inside = 0 <= x < w and 0 <= y < h
                    expected = corr[i * w + j, 0, y, x] if inside else torch.tensor(0.0)
                    torch.testing.assert_close(out[0, a * 3 + b, i, j], expected)


def test_lookup_coarse_level_uses_scaled_coordinates() -> None:
    corr = torch.randn(2 * 2, 1, 4, 4)  # a 2x2 frame-1 grid correlated with a 4x4 target
    pyramid = correlation_pyramid(corr, num_levels=2)
    coords = torch.full((1, 2, 2, 2), 2.0)  # every pixel looks at (2, 2) -> level 1 at (1, 1)
    out = lookup_pyramid(pyramid, coords, radius=0)
    assert out.shape == (1, 2, 2, 2)
    torch.testing.assert_close(out[0, 0].flatten(), corr[:, 0, 2, 2])
    torch.testing.assert_close(out[0, 1].flatten(), pyramid[1][:, 0, 1, 1])


def test_corr_block_channels_and_module_equivalence() -> None:
    assert CorrBlock(num_levels=4, radius=4).out_channels == 324
    assert CorrBlock(num_levels=4, radius=3).out_channels == 196
    block = CorrBlock(num_levels=2, radius=2)
    f1, f2 = torch.randn(1, 8, 6, 6), torch.randn(1, 8, 6, 6)
    coords = torch.rand(1, 2, 6, 6) * 5
    expected = lookup_pyramid(correlation_pyramid(all_pairs_correlation(f1, f2), 2), coords, 2)
    torch.testing.assert_close(block.lookup(block.pyramid(f1, f2), coords), expected)


def test_gradcheck_correlation_lookup() -> None:
    f1 = torch.randn(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    f2 = torch.randn(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    coords = torch.rand(1, 2, 4, 4, dtype=torch.float64) * 3 + 0.1
    block = CorrBlock(num_levels=2, radius=1)
    assert torch.autograd.gradcheck(lambda a, b: block.lookup(block.pyramid(a, b), coords), (f1, f2))
