"""Tests of flowpose.flow.grids: coordinate grids, convex and bilinear upsampling, padding as the official code."""

from __future__ import annotations

import pytest
import torch

from flowpose.errors import InputError
from flowpose.flow.grids import InputPadding, bilinear_upsample, convex_upsample, coords_grid


def test_coords_grid_is_x_then_y() -> None:
    grid = coords_grid(2, 3, 4)
    assert grid.shape == (2, 2, 3, 4)
    assert grid[1, 0, 2, 3] == 3 and grid[1, 1, 2, 3] == 2


def test_convex_upsample_with_centre_weight_is_nearest_times_eight() -> None:
    flow = torch.randn(1, 2, 3, 4)
    logits = torch.full((1, 9, 8, 8, 3, 4), -1e4)
    logits[:, 4] = 0.0  # all weight on the centre of the 3x3 neighbourhood
    up = convex_upsample(flow, logits.view(1, 576, 3, 4))
    expected = 8 * flow.repeat_interleave(8, dim=2).repeat_interleave(8, dim=3)
    torch.testing.assert_close(up, expected)


def test_convex_upsample_uniform_weights_average_neighbours() -> None:
    flow = torch.zeros(1, 2, 3, 3)
    flow[0, 0, 1, 1] = 9.0
    up = convex_upsample(flow, torch.zeros(1, 576, 3, 3))
    assert up.shape == (1, 2, 24, 24)
    torch.testing.assert_close(up[0, 0, 8:16, 8:16], torch.full((8, 8), 8.0))  # mean of 9 neighbours * 8
    torch.testing.assert_close(up[0, 1], torch.zeros(24, 24))


def test_exception_convex_upsample_without_mask() -> None:
    with pytest.raises(InputError, match="mask"):
        convex_upsample(torch.zeros(1, 2, 2, 2), None)


def test_bilinear_upsample_corners_and_constant() -> None:
    flow = torch.randn(1, 2, 3, 5)
    up = bilinear_upsample(flow)
    assert up.shape == (1, 2, 24, 40)
    torch.testing.assert_close(up[..., 0, 0], 8 * flow[..., 0, 0])  # align_corners: corners coincide
    torch.testing.assert_close(up[..., -1, -1], 8 * flow[..., -1, -1])
    torch.testing.assert_close(bilinear_upsample(torch.ones(1, 2, 2, 2)), torch.full((1, 2, 16, 16), 8.0))


def test_input_padding_splits_like_official_sintel_mode() -> None:
    padding = InputPadding.for_size(61, 67)
    assert (padding.top, padding.bottom, padding.left, padding.right) == (1, 2, 2, 3)
    x = torch.randn(1, 3, 61, 67)
    padded = padding.pad(x)
    assert padded.shape == (1, 3, 64, 72)
    torch.testing.assert_close(padded[..., 0, 2:-3], x[..., 0, :])  # replicated top row
    torch.testing.assert_close(padding.unpad(padded), x)
    assert InputPadding.for_size(64, 64) == InputPadding(0, 0, 0, 0)
