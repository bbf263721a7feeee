"""Random textures for the AutoFlow-style scene generator: multi-scale noise, stripes, checks, natural images.

AutoFlow (Sun et al., CVPR 2021, Sec. 3.1) textures its layers with random crops of natural images plus
procedural patterns. Natural images come from scikit-image's bundled samples (``skimage.data``) when that
optional package is installed (the ``train`` extra); without it only procedural textures are used.
"""

from __future__ import annotations

import functools
import warnings

import cv2
import numpy as np

# Images bundled inside the scikit-image wheel (no download), colour or grey; chosen for texture variety.
_SKIMAGE_SAMPLES = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "rocket",
    "page",
    "text",
)


@functools.lru_cache(maxsize=1)
def natural_images() -> tuple[np.ndarray, ...]:
    """The natural images available for texturing, loaded once.

    Returns:
        Tuple of (h, w, 3) float32 RGB images in [0, 255]; empty when scikit-image is not installed.
    """
    try:
        import skimage.data  # optional: part of the ``train`` extra
    except ImportError:
        return ()
    images = []
    for name in _SKIMAGE_SAMPLES:
        try:
            img = np.asarray(getattr(skimage.data, name)())
        except Exception as exc:  # a sample missing from this scikit-image version: use the others
            warnings.warn(f"skimage.data.{name} unavailable ({exc}); texturing without it", stacklevel=2)
            continue
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=-1)
        img = img[..., :3].astype(np.float32)
        if img.max() <= 1.0:
            img = img * 255.0
        images.append(img)
    return tuple(images)


def _random_colours(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(0.0, 255.0, size=(n, 3)).astype(np.float32)


def multiscale_noise(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Sum of bicubically upsampled white-noise octaves mapped between two random colours.

    Args:
        rng: random generator.
        size: (h, w) of the texture.

    Returns:
        (h, w, 3) float32, the two colours in [0, 255] plus up to 20 of fine detail either way (so a little
        beyond the range: :func:`random_texture` clips).
    """
    h, w = size
    field = np.zeros((h, w, 3), np.float32)
    decay = rng.uniform(0.4, 0.9)
    cell = float(rng.choice([2.0, 4.0, 8.0]))
    amp = 1.0
    while cell < 2 * max(h, w):
        small = rng.standard_normal((int(h / cell) + 2, int(w / cell) + 2, 3)).astype(np.float32)
        field += amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        amp /= decay
        cell *= 2.0
    field = (field - field.mean()) / (field.std() + 1e-6)
    t = 1.0 / (1.0 + np.exp(-1.5 * field.mean(axis=-1, keepdims=True)))
    a, b = _random_colours(rng, 2)
    return (1.0 - t) * a + t * b + 20.0 * np.tanh(field / 2.0)


def _rotated_coords(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    h, w = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0.0, np.pi)
    return x * np.cos(theta) + y * np.sin(theta), -x * np.sin(theta) + y * np.cos(theta)


def stripes(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Oriented sinusoidal stripes between two random colours, sharpened to near-square waves.

    Args:
        rng: random generator.
        size: (h, w) of the texture.

    Returns:
        (h, w, 3) float32 in [0, 255].
    """
    u, _ = _rotated_coords(rng, size)
    period = rng.uniform(4.0, 0.3 * max(size))
    t = 0.5 + 0.5 * np.tanh(
        rng.uniform(1.0, 6.0) * np.sin(2 * np.pi * u / period + rng.uniform(0, 2 * np.pi))
    )
    a, b = _random_colours(rng, 2)
    return ((1.0 - t[..., None]) * a + t[..., None] * b).astype(np.float32)


def checks(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A rotated checkerboard between two random colours.

    Args:
        rng: random generator.
        size: (h, w) of the texture.

    Returns:
        (h, w, 3) float32 in [0, 255].
    """
    u, v = _rotated_coords(rng, size)
    period = rng.uniform(4.0, 0.25 * max(size))
    t = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)
    t = cv2.GaussianBlur(t, (0, 0), 0.6)
    a, b = _random_colours(rng, 2)
    return (1.0 - t[..., None]) * a + t[..., None] * b


def natural_crop(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray | None:
    """A random crop of a random natural image at a random scale, with a random colour gain.

    Args:
        rng: random generator.
        size: (h, w) of the texture.

    Returns:
        (h, w, 3) float32 in [0, 255], or None when no natural images are available.
    """
    images = natural_images()
    if not images:
        return None
    img = images[int(rng.integers(len(images)))]
    h, w = size
    scale = rng.uniform(0.5, 2.0) * max(h / img.shape[0], w / img.shape[1])
    ch, cw = min(img.shape[0], int(np.ceil(h / scale))), min(img.shape[1], int(np.ceil(w / scale)))
    y0 = int(rng.integers(img.shape[0] - ch + 1))
    x0 = int(rng.integers(img.shape[1] - cw + 1))
    crop = cv2.resize(img[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.clip(crop * rng.uniform(0.7, 1.3, size=3).astype(np.float32), 0.0, 255.0)


def random_texture(rng: np.random.Generator, size: tuple[int, int], natural_prob: float = 0.5) -> np.ndarray:
    """Draw a texture: a natural-image crop with probability ``natural_prob``, else a procedural pattern.

    Args:
        rng: random generator.
        size: (h, w) of the texture.
        natural_prob: probability of a natural image (ignored when none are available).

    Returns:
        (h, w, 3) float32 in [0, 255].
    """
    if rng.random() < natural_prob:
        crop = natural_crop(rng, size)
        if crop is not None:
            return crop
    kind = rng.choice(3, p=[0.6, 0.2, 0.2])
    tex = (multiscale_noise, stripes, checks)[kind](rng, size)
    # A little fine noise everywhere, so flat patterns still carry some matchable texture.
    tex = tex + rng.uniform(0.0, 8.0) * rng.standard_normal(tex.shape[:2] + (1,)).astype(np.float32)
    return np.clip(tex, 0.0, 255.0).astype(np.float32)
