"""Training augmentation of flow pairs: photometric jitter, random crop, horizontal flip; all seeded.

Follows RAFT's ``FlowAugmentor`` (Teed & Deng, ECCV 2020, training code ``core/utils/augmentor.py``): colour
jitter (brightness, contrast, saturation 0.4, hue 0.5/pi) applied to both frames alike, or to each frame
separately with probability 0.2, then a random crop and a horizontal flip that negates u. Deviations: gamma
and Gaussian noise are added (cheap robustness to camera response and sensor noise); RAFT's random rescaling
and occlusion "eraser" are left out (the generators already vary scale and occlusion).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from flowpose.errors import InputError
from flowpose.train.sample import FlowSample


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the augmentation."""

    brightness: float = 0.4
    """Brightness gain drawn from [1 - b, 1 + b]."""
    contrast: float = 0.4
    """Contrast gain about the grey mean, from [1 - c, 1 + c]."""
    saturation: float = 0.4
    """Saturation gain about the per-pixel grey, from [1 - s, 1 + s]."""
    hue: float = 0.5 / np.pi
    """Hue shift as a fraction of the colour circle, from [-h, h]."""
    gamma: tuple[float, float] = (0.8, 1.25)
    """Range of the gamma exponent applied to [0, 1] intensities."""
    noise_std: float = 4.0
    """Largest standard deviation of additive Gaussian noise, in 8-bit levels."""
    asymmetric_prob: float = 0.2
    """Probability of jittering each frame with its own parameters."""
    hflip_prob: float = 0.5
    """Probability of a horizontal flip."""


def _jitter_params(rng: np.random.Generator, config: AugmentConfig) -> dict[str, float]:
    return {
        "brightness": rng.uniform(1 - config.brightness, 1 + config.brightness),
        "contrast": rng.uniform(1 - config.contrast, 1 + config.contrast),
        "saturation": rng.uniform(1 - config.saturation, 1 + config.saturation),
        "hue": rng.uniform(-config.hue, config.hue),
        "gamma": rng.uniform(*config.gamma),
        "noise": rng.uniform(0.0, config.noise_std),
    }


def color_jitter(image: np.ndarray, params: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Apply one set of jitter parameters to an RGB image.

    Args:
        image: (H, W, 3) uint8 RGB.
        params: ``brightness``, ``contrast``, ``saturation`` gains, ``hue`` shift (fraction of the circle),
            ``gamma`` exponent and ``noise`` standard deviation (8-bit levels).
        rng: generator of the noise.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    img = image.astype(np.float32) / 255.0
    img = img * params["brightness"]
    grey = img @ np.array([0.299, 0.587, 0.114], np.float32)
    img = (img - grey.mean()) * params["contrast"] + grey.mean()
    grey = img @ np.array([0.299, 0.587, 0.114], np.float32)
    img = np.clip((img - grey[..., None]) * params["saturation"] + grey[..., None], 0.0, 1.0)
    if params["hue"] != 0.0:
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)  # float input: H in degrees [0, 360)
        hsv[..., 0] = (hsv[..., 0] + 360.0 * params["hue"]) % 360.0
        img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    img = np.clip(img, 0.0, 1.0) ** params["gamma"] * 255.0
    img = img + params["noise"] * rng.standard_normal(img.shape).astype(np.float32)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def photometric(
    rng: np.random.Generator, image1: np.ndarray, image2: np.ndarray, config: AugmentConfig = AugmentConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """Jitter both frames alike, or (with probability ``config.asymmetric_prob``) each with its own draw.

    Args:
        rng: random generator.
        image1: (H, W, 3) uint8 RGB.
        image2: (H, W, 3) uint8 RGB.
        config: the ranges.

    Returns:
        The two jittered frames, (H, W, 3) uint8 each.
    """
    first = _jitter_params(rng, config)
    second = _jitter_params(rng, config) if rng.random() < config.asymmetric_prob else first
    return color_jitter(image1, first, rng), color_jitter(image2, second, rng)


def random_crop(rng: np.random.Generator, sample: FlowSample, size: tuple[int, int]) -> FlowSample:
    """Crop the same random window from every array of the pair (flow values are unchanged by a crop).

    Args:
        rng: random generator.
        sample: the pair, at least ``size`` large.
        size: (h, w) of the crop.

    Returns:
        The cropped pair.

    Raises:
        InputError: if the pair is smaller than the crop.
    """
    H, W = sample.size
    h, w = size
    if h > H or w > W:
        raise InputError(f"random_crop: crop {size} is larger than the pair {(H, W)}")
    y0, x0 = int(rng.integers(H - h + 1)), int(rng.integers(W - w + 1))
    window = np.s_[y0 : y0 + h, x0 : x0 + w]
    return FlowSample(
        sample.image1[window],
        sample.image2[window],
        sample.flow[window],
        sample.valid[window],
        sample.human[window],
    )


def hflip(sample: FlowSample) -> FlowSample:
    """Mirror the pair left-right; the horizontal flow component changes sign.

    Args:
        sample: the pair.

    Returns:
        The mirrored pair.
    """
    flow = sample.flow[:, ::-1] * np.array([-1.0, 1.0], np.float32)
    return FlowSample(
        sample.image1[:, ::-1], sample.image2[:, ::-1], flow, sample.valid[:, ::-1], sample.human[:, ::-1]
    )


def augment(
    rng: np.random.Generator,
    sample: FlowSample,
    crop: tuple[int, int] | None = None,
    config: AugmentConfig = AugmentConfig(),
) -> FlowSample:
    """Photometric jitter, then an optional random crop, then a horizontal flip with ``config.hflip_prob``.

    Args:
        rng: random generator (the output is a pure function of its state and the input).
        sample: the pair.
        crop: (h, w) of a random crop, or None to keep the size.
        config: the ranges.

    Returns:
        The augmented pair.
    """
    image1, image2 = photometric(rng, sample.image1, sample.image2, config)
    out = FlowSample(image1, image2, sample.flow, sample.valid, sample.human)
    if crop is not None:
        out = random_crop(rng, out, crop)
    if rng.random() < config.hflip_prob:
        out = hflip(out)
    return out
