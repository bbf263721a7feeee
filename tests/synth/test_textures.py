"""Tests of the procedural solid textures."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.synth.textures import TextureConfig, clip_textures, random_texture

GROUPS = ("top", "top", "bottom", "skin")


def test_smoke_range_and_count() -> None:
    textures = clip_textures(GROUPS, seed=3)
    assert len(textures) == len(GROUPS) + 1  # + background
    points = np.random.default_rng(0).uniform(-1, 1, size=(500, 3))
    for tex in textures:
        rgb = tex(points)
        assert rgb.shape == (500, 3) and rgb.dtype == np.float32
        assert rgb.min() >= 0.0 and rgb.max() <= 1.0


def test_deterministic_per_seed_and_different_per_part() -> None:
    points = np.random.default_rng(0).uniform(-0.3, 0.3, size=(300, 3))
    a = [t(points) for t in clip_textures(GROUPS, seed=7)]
    b = [t(points) for t in clip_textures(GROUPS, seed=7)]
    c = [t(points) for t in clip_textures(GROUPS, seed=8)]
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    assert not np.allclose(a[0], c[0])
    assert np.abs(a[0] - a[1]).mean() > 0.05  # same palette, different pattern


def test_fields_have_unit_variance_and_the_configured_band() -> None:
    config = TextureConfig(body_wavelengths_m=(0.04, 0.2), waves=16)
    tex = random_texture(np.random.default_rng(0), (0.04, 0.2), np.eye(3), config)
    wavelength = 2 * np.pi / np.linalg.norm(tex.wavevectors, axis=-1)
    assert wavelength.min() >= 0.04 - 1e-9 and wavelength.max() <= 0.2 + 1e-9
    points = np.random.default_rng(1).uniform(-5, 5, size=(20000, 3))
    np.testing.assert_allclose(tex.fields(points).std(axis=0), 1.0, atol=0.1)


def test_high_contrast() -> None:
    """Colours vary strongly across a body part (trackable texture), measured as the luminance spread."""
    tex = clip_textures(("top",), seed=0)[0]
    points = np.random.default_rng(2).uniform(-0.2, 0.2, size=(5000, 3))
    luminance = tex(points).mean(-1)
    assert np.percentile(luminance, 95) - np.percentile(luminance, 5) > 0.3


def test_planar_texture_is_constant_along_local_z() -> None:
    tex = clip_textures(("top",), seed=0)[-1]  # the background's
    points = np.random.default_rng(3).uniform(-2, 2, size=(100, 3))
    shifted = points + [0.0, 0.0, 5.0]
    np.testing.assert_allclose(tex(points), tex(shifted), atol=1e-5)


def test_exceptions() -> None:
    with pytest.raises(InputError, match=r"body_wavelengths_m must be \(finest, coarsest\).*\(0.3, 0.1\)"):
        TextureConfig(body_wavelengths_m=(0.3, 0.1))
    with pytest.raises(InputError, match="waves must be >= 1, got 0"):
        TextureConfig(waves=0)
    with pytest.raises(InputError, match="unknown clothing group 'hat'"):
        clip_textures(("hat",), seed=0)
