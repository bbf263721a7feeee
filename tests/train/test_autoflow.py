"""Tests of the AutoFlow-style scene generator: exact flow, analytic motions, determinism."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.train.autoflow import AutoflowConfig, Layer, make_autoflow_pair, render_layers
from flowpose.train.textures import multiscale_noise


def _translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1.0]])


def _backwarp(image2: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """image2 sampled at x + flow(x): equals image1 where the flow is right and the point is visible."""
    h, w = flow.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(image2.astype(np.float32), x + flow[..., 0], y + flow[..., 1], cv2.INTER_LINEAR)


def test_pure_translation_gives_constant_flow() -> None:
    rng = np.random.default_rng(1)
    margin, size = 16, (48, 64)
    canvas = (size[0] + 2 * margin, size[1] + 2 * margin)
    bg = Layer(multiscale_noise(rng, canvas), np.ones(canvas, bool), _translation(3.0, -2.0))
    s = render_layers([bg], size, margin)
    np.testing.assert_allclose(s.flow[..., 0], 3.0, atol=1e-5)
    np.testing.assert_allclose(s.flow[..., 1], -2.0, atol=1e-5)
    # valid exactly where x + 3 <= W - 1 and y - 2 >= 0
    expected = np.zeros(size, bool)
    expected[2:, : size[1] - 3] = True
    np.testing.assert_array_equal(s.valid, expected)
    # an integer shift moves pixels exactly
    np.testing.assert_array_equal(s.image2[:-2, 3:], s.image1[2:, :-3])


def test_occluding_layer_flow_and_validity() -> None:
    rng = np.random.default_rng(2)
    margin, size = 16, (64, 64)
    canvas = (size[0] + 2 * margin, size[1] + 2 * margin)
    square = np.zeros(canvas, bool)
    square[margin + 20 : margin + 40, margin + 20 : margin + 40] = True  # image rows/cols 20..39
    layers = [
        Layer(multiscale_noise(rng, canvas), np.ones(canvas, bool), _translation(0.0, 0.0)),
        Layer(multiscale_noise(rng, canvas), square, _translation(5.0, 0.0)),
    ]
    s = render_layers(layers, size, margin)
    np.testing.assert_allclose(s.flow[20:40, 20:40], np.broadcast_to([5.0, 0.0], (20, 20, 2)))
    assert np.all(s.flow[:20] == 0) and s.valid[20:40, 20:40].all()
    # background right of the square at frame 1 (cols 40..44) is covered at frame 2 -> occluded
    assert not s.valid[25:35, 40:45].any()
    assert s.valid[25:35, 45:50].all() and s.valid[25:35, 15:20].all()


def test_affine_flow_is_exact_by_warping() -> None:
    """Warping frame 2 by the flow reproduces frame 1 on valid pixels (smooth textures, hand-set motions)."""
    rng = np.random.default_rng(3)
    margin, size = 24, (64, 64)
    canvas = (size[0] + 2 * margin, size[1] + 2 * margin)
    disc = np.zeros(canvas, np.uint8)
    cv2.circle(disc, (margin + 30, margin + 34), 14, 1, -1)
    a = np.deg2rad(8.0)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    layer_motion = _translation(30 + 4.0, 34 - 3.0) @ rot @ _translation(-30, -34)
    bg_motion = np.array([[1.02, 0.01, -1.5], [-0.01, 0.99, 1.0], [2e-4, -1e-4, 1.0]])  # mild homography
    smooth = lambda: cv2.GaussianBlur(multiscale_noise(rng, canvas), (0, 0), 2.0)  # noqa: E731
    s = render_layers(
        [Layer(smooth(), np.ones(canvas, bool), bg_motion), Layer(smooth(), disc.astype(bool), layer_motion)],
        size,
        margin,
    )
    err = np.abs(_backwarp(s.image2, s.flow) - s.image1.astype(np.float32)).mean(-1)
    inner = s.valid & (cv2.erode(s.valid.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
    assert inner.mean() > 0.5
    assert np.median(err[inner]) < 1.0 and err[inner].mean() < 2.0
    # the flow is the wrong one elsewhere: using zero flow gives a much larger error
    zero = np.abs(_backwarp(s.image2, 0 * s.flow) - s.image1.astype(np.float32)).mean(-1)
    assert zero[inner].mean() > 3 * err[inner].mean()


def test_make_autoflow_pair_shapes_ranges_and_consistency() -> None:
    s = make_autoflow_pair(np.random.default_rng(0), size=(64, 80))
    assert s.image1.shape == (64, 80, 3) and s.image1.dtype == np.uint8
    assert s.flow.shape == (64, 80, 2) and s.flow.dtype == np.float32
    assert 0.2 < s.valid.mean() < 1.0
    assert np.abs(s.flow).max() < 0.5 * 80  # translation <= 16 % plus rotation/scale about the layer
    err = np.abs(_backwarp(s.image2, s.flow) - s.image1.astype(np.float32)).mean(-1)
    zero = np.abs(_backwarp(s.image2, 0 * s.flow) - s.image1.astype(np.float32)).mean(-1)
    assert np.median(err[s.valid]) < 0.5 * np.median(zero[s.valid])


def test_determinism_and_variety() -> None:
    a = make_autoflow_pair(np.random.default_rng(7), size=(64, 64))
    b = make_autoflow_pair(np.random.default_rng(7), size=(64, 64))
    c = make_autoflow_pair(np.random.default_rng(8), size=(64, 64))
    for key in ("image1", "image2", "flow", "valid"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert not np.array_equal(a.flow, c.flow)


def test_exceptions() -> None:
    with pytest.raises(InputError, match="size must be"):
        make_autoflow_pair(np.random.default_rng(0), size=(4, 64))
    with pytest.raises(InputError, match="min_layers"):
        make_autoflow_pair(
            np.random.default_rng(0), size=(64, 64), config=AutoflowConfig(min_layers=3, max_layers=2)
        )
    with pytest.raises(InputError, match="background"):
        render_layers([], (8, 8), 0)
