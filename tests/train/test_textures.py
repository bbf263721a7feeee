"""Tests for flowpose.train.textures: the procedural patterns, natural crops, and the draw between them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from flowpose.train import textures
from flowpose.train.textures import checks, multiscale_noise, natural_crop, random_texture, stripes

SIZE = (40, 56)


@pytest.mark.parametrize("pattern", [multiscale_noise, stripes, checks])
def test_a_pattern_is_an_rgb_image_that_follows_its_seed(pattern: Callable) -> None:
    a = pattern(np.random.default_rng(3), SIZE)
    assert a.shape == (*SIZE, 3) and a.dtype == np.float32 and np.isfinite(a).all()
    np.testing.assert_array_equal(a, pattern(np.random.default_rng(3), SIZE))
    assert not np.array_equal(a, pattern(np.random.default_rng(4), SIZE))
    assert a.std() > 1.0  # a texture, not a flat fill


@pytest.mark.parametrize("pattern", [stripes, checks])
def test_two_colour_patterns_stay_between_their_colours(pattern: Callable) -> None:
    a = pattern(np.random.default_rng(0), SIZE)
    assert a.min() >= 0.0 and a.max() <= 255.0


def test_noise_reaches_at_most_its_fine_detail_beyond_the_range() -> None:
    for seed in range(20):
        a = multiscale_noise(np.random.default_rng(seed), SIZE)
        assert a.min() >= -20.0 and a.max() <= 275.0


def test_a_drawn_texture_lies_in_the_pixel_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textures, "natural_images", lambda: ())
    rng = np.random.default_rng(1)
    for _ in range(10):
        tex = random_texture(rng, SIZE, natural_prob=1.0)  # no natural images: a pattern all the same
        assert tex.shape == (*SIZE, 3) and tex.min() >= 0.0 and tex.max() <= 255.0


def test_a_natural_crop_is_cut_from_the_images_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textures, "natural_images", lambda: ())
    assert natural_crop(np.random.default_rng(0), SIZE) is None
    image = np.full((100, 120, 3), 100.0, np.float32)
    image[:, :, 1] = 200.0
    monkeypatch.setattr(textures, "natural_images", lambda: (image,))
    crop = natural_crop(np.random.default_rng(0), SIZE)
    assert crop.shape == (*SIZE, 3)
    gains = crop.reshape(-1, 3).mean(0) / np.array([100.0, 200.0, 100.0])
    assert np.all((gains >= 0.7 - 1e-4) & (gains <= 1.3 + 1e-4))  # the image, under a colour gain
    assert np.ptp(crop.reshape(-1, 3), axis=0).max() < 1e-3  # a flat image gives a flat crop
    assert random_texture(np.random.default_rng(0), SIZE, natural_prob=1.0).shape == (*SIZE, 3)
