"""Tests of the flow-pair augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.train.augment import AugmentConfig, augment, color_jitter, hflip, photometric, random_crop
from flowpose.train.sample import FlowSample

IDENTITY = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0, "gamma": 1.0, "noise": 0.0}


def _sample(rng: np.random.Generator, h: int = 32, w: int = 40) -> FlowSample:
    return FlowSample(
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        rng.normal(size=(h, w, 2)).astype(np.float32),
        rng.random((h, w)) > 0.3,
        rng.random((h, w)) > 0.7,
    )


def test_identity_jitter_is_identity() -> None:
    img = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    np.testing.assert_array_equal(color_jitter(img, IDENTITY, np.random.default_rng(0)), img)


def test_brightness_and_gamma_by_hand() -> None:
    img = np.full((2, 2, 3), 100, np.uint8)
    out = color_jitter(img, {**IDENTITY, "brightness": 1.5}, np.random.default_rng(0))
    assert np.all(out == 150)
    out = color_jitter(img, {**IDENTITY, "gamma": 2.0}, np.random.default_rng(0))
    assert np.all(out == round(255 * (100 / 255) ** 2))


def test_hue_shift_rotates_channels() -> None:
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 200
    out = color_jitter(red, {**IDENTITY, "hue": 1 / 3}, np.random.default_rng(0))  # +120 deg: red -> green
    assert np.all(out[..., 1] == 200) and np.all(out[..., 0] == 0) and np.all(out[..., 2] == 0)


def test_photometric_symmetric_unless_asymmetric() -> None:
    img = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    sym = AugmentConfig(asymmetric_prob=0.0, noise_std=0.0)
    a, b = photometric(np.random.default_rng(2), img, img, sym)
    np.testing.assert_array_equal(a, b)
    asym = AugmentConfig(asymmetric_prob=1.0, noise_std=0.0)
    a, b = photometric(np.random.default_rng(2), img, img, asym)
    assert not np.array_equal(a, b)


def test_hflip_negates_u_and_is_an_involution() -> None:
    s = _sample(np.random.default_rng(3))
    f = hflip(s)
    np.testing.assert_array_equal(f.image1, s.image1[:, ::-1])
    np.testing.assert_array_equal(f.flow[:, :, 0], -s.flow[:, ::-1, 0])
    np.testing.assert_array_equal(f.flow[:, :, 1], s.flow[:, ::-1, 1])
    ff = hflip(f)
    for key in ("image1", "image2", "flow", "valid", "human"):
        np.testing.assert_array_equal(getattr(ff, key), getattr(s, key))


def test_hflip_keeps_flow_consistent_with_pixels() -> None:
    """A pattern moved 3 px right becomes one moved 3 px left after mirroring, matching the negated u."""
    row = np.arange(20, dtype=np.uint8) * 10
    img1 = np.repeat(np.repeat(row[None, :, None], 4, 0), 3, 2)
    img2 = np.roll(img1, 3, axis=1)
    flow = np.zeros((4, 20, 2), np.float32)
    flow[..., 0] = 3.0
    f = hflip(FlowSample(img1, img2, flow, np.ones((4, 20), bool)))
    x = 5  # mirrored frame-1 pixel x lands at x + u = x - 3 in mirrored frame 2
    np.testing.assert_array_equal(f.image2[:, x + int(f.flow[0, x, 0])], f.image1[:, x])


def test_random_crop_is_a_window_and_errors() -> None:
    s = _sample(np.random.default_rng(4))
    c = random_crop(np.random.default_rng(5), s, (16, 24))
    assert c.size == (16, 24)
    hits = [
        (y, x) for y in range(17) for x in range(17) if np.array_equal(s.flow[y : y + 16, x : x + 24], c.flow)
    ]
    assert len(hits) == 1
    y, x = hits[0]
    np.testing.assert_array_equal(c.image2, s.image2[y : y + 16, x : x + 24])
    np.testing.assert_array_equal(c.human, s.human[y : y + 16, x : x + 24])
    with pytest.raises(InputError, match="larger than the pair"):
        random_crop(np.random.default_rng(0), s, (64, 64))


def test_augment_is_seeded() -> None:
    s = _sample(np.random.default_rng(6))
    a = augment(np.random.default_rng(9), s, (24, 24))
    b = augment(np.random.default_rng(9), s, (24, 24))
    for key in ("image1", "image2", "flow", "valid"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert a.size == (24, 24)
