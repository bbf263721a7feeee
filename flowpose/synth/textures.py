"""Procedural solid textures fixed in each surface's local frame.

A texture is a colour function of the 3D local point ``p`` (metres), so it needs no (u, v) parametrisation
and has no seams on the capsules' caps. It is built from three band-limited scalar fields, each a sum of
random plane waves (a random-phase Fourier series, i.e. Gaussian-like noise with a chosen spectrum)::

    f_i(p) = sum_k a_k sin(w_k . p + phi_k) / sqrt(sum_k a_k^2 / 2),  |w_k| = 2 pi / lambda_k,

with wavelengths ``lambda_k`` log-uniform in a band, directions uniform on the sphere and amplitudes
``a_k ~ lambda_k^0.5`` (more energy in coarse waves). The colour is

    c(p) = mix(c_a, c_b, sigma(g f_1)) * (1 - m + m sigma(g f_2)) blended towards the accent c_x by
    0.6 sigma(g (f_3 - 1)),

with ``sigma`` the logistic function and ``g`` the contrast gain: high-contrast patches (f_1), a finer
luminance pattern (f_2) and sparse coloured blobs (f_3). Because the fields are band-limited the images stay
smooth at the pixel scale once the finest wavelength spans a few pixels (``TextureConfig.min_wavelength_px``),
so they are alias-free and a bilinear warp reproduces them closely.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from flowpose.errors import InputError


@dataclass(frozen=True)
class TextureConfig:
    """Scales and contrast of the procedural textures."""

    body_wavelengths_m: tuple[float, float] = (0.035, 0.2)
    """(finest, coarsest) wavelength on the body, metres."""
    background_wavelengths_m: tuple[float, float] = (0.2, 1.6)
    """(finest, coarsest) wavelength on the background plane, metres."""
    waves: int = 16
    """Plane waves per scalar field (three fields per texture)."""
    min_wavelength_px: float = 5.0
    """Finest wavelength in pixels at the typical depth: where the bands above are finer than this on screen
    (small images, far bodies) both bands are scaled up, so the images stay resolvable (no aliasing) and
    warp-consistent. Set 0 to keep the metric bands."""
    contrast: float = 2.5
    """Gain g of the logistic colour mapping; larger is harsher (more aliasing)."""
    luminance_modulation: float = 0.5
    """Depth m in [0, 1] of the fine luminance pattern."""

    def __post_init__(self) -> None:
        for name in ("body_wavelengths_m", "background_wavelengths_m"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise InputError(f"TextureConfig.{name} must be (finest, coarsest) with "
                                 f"0 < finest <= coarsest, got {(lo, hi)}")
        if not self.min_wavelength_px >= 0:
            raise InputError(f"TextureConfig.min_wavelength_px must be >= 0, got {self.min_wavelength_px}")
        if self.waves < 1:
            raise InputError(f"TextureConfig.waves must be >= 1, got {self.waves}")
        if not 0.0 <= self.luminance_modulation <= 1.0:
            raise InputError(f"TextureConfig.luminance_modulation must be in [0, 1], "
                             f"got {self.luminance_modulation}")


@dataclass(frozen=True)
class SolidTexture:
    """A colour function of local 3D points.

    Attributes:
        wavevectors: (3, K, 3) wave vectors ``w_k`` of the three fields, radians per metre.
        phases: (3, K) phases ``phi_k``, radians.
        amplitudes: (3, K) normalised amplitudes (each field has unit standard deviation).
        colours: (3, 3) RGB in [0, 1]: c_a, c_b, accent c_x.
        contrast: logistic gain g.
        luminance_modulation: depth m of the fine luminance pattern.
    """

    wavevectors: np.ndarray
    phases: np.ndarray
    amplitudes: np.ndarray
    colours: np.ndarray
    contrast: float
    luminance_modulation: float

    def fields(self, points: np.ndarray) -> np.ndarray:
        """The three unit-variance scalar fields.

        Evaluated in float32 (SIMD sines, ~6x faster than float64); the phase error at 10 m from the origin is
        ~1e-5 rad, far below a grey level.

        Args:
            points: (N, 3) local points, metres.

        Returns:
            (N, 3) float32 field values.
        """
        f, k, _ = self.wavevectors.shape
        # einsum, not BLAS: see flowpose.synth.raycast.rows_times
        waves_t = np.ascontiguousarray(self.wavevectors.reshape(f * k, 3).T, dtype=np.float32)
        phase = np.einsum("nd,dk->nk", np.asarray(points, np.float32), waves_t)
        phase += self.phases.reshape(1, f * k).astype(np.float32)
        np.sin(phase, out=phase)
        return np.einsum("nfk,fk->nf", phase.reshape(-1, f, k), self.amplitudes.astype(np.float32))

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Colour at local points.

        Args:
            points: (N, 3) local points, metres.

        Returns:
            (N, 3) float32 RGB in [0, 1].
        """
        f1, f2, f3 = self.fields(points).T
        g = self.contrast
        sig = lambda x: 1.0 / (1.0 + np.exp(-g * x))  # noqa: E731
        c_a, c_b, c_x = self.colours.astype(np.float32)
        s1 = sig(f1)[:, None]
        colour = (1.0 - s1) * c_a + s1 * c_b
        m = self.luminance_modulation
        colour = colour * (1.0 - m + m * sig(f2))[:, None]
        blob = 0.6 * sig(f3 - 1.0)[:, None]
        return np.clip((1.0 - blob) * colour + blob * c_x, 0.0, 1.0)


def random_texture(rng: np.random.Generator, wavelengths_m: tuple[float, float], colours: np.ndarray,
                   config: TextureConfig, *, planar: bool = False) -> SolidTexture:
    """Draw one texture: the fields' waves from ``rng``, the palette given.

    The coarse-patch field f_1 and the blob field f_3 use the upper part of the band, the luminance field f_2
    the whole band, so that fine detail is mostly in luminance.

    Args:
        rng: random generator (consumed).
        wavelengths_m: (finest, coarsest) wavelength, metres.
        colours: (3, 3) RGB palette in [0, 1].
        config: contrast and wave count.
        planar: waves along local x-y only (for a plane at constant local z, so that no wave is wasted on the
            direction the surface does not vary in).

    Returns:
        The :class:`SolidTexture`.
    """
    lo, hi = wavelengths_m
    bands = [(min(2.0 * lo, hi), hi), (lo, hi), (min(1.5 * lo, hi), hi)]
    k = config.waves
    wavevectors, amplitudes = [], []
    for b_lo, b_hi in bands:
        lam = np.exp(rng.uniform(np.log(b_lo), np.log(b_hi), size=k))
        direction = rng.normal(size=(k, 3))
        if planar:
            direction[:, 2] = 0.0
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        wavevectors.append(direction * (2.0 * np.pi / lam)[:, None])
        a = np.sqrt(lam)
        amplitudes.append(a / np.sqrt(0.5 * np.sum(a * a)))  # unit variance of sum a_k sin(.)
    phases = rng.uniform(0.0, 2.0 * np.pi, size=(3, k))
    return SolidTexture(np.stack(wavevectors), phases, np.stack(amplitudes), np.asarray(colours, np.float64),
                        config.contrast, config.luminance_modulation)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v))


def random_palettes(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw an outfit: a (3, 3) palette per clothing group, light/dark pairs for strong contrast.

    Args:
        rng: random generator (consumed).

    Returns:
        ``{"top", "bottom", "skin", "background"}`` -> (3, 3) RGB palettes (c_a, c_b, accent) in [0, 1].
    """
    palettes = {}
    for group in ("top", "bottom", "background"):
        hue = rng.uniform()
        palettes[group] = np.stack([
            _hsv(hue, rng.uniform(0.3, 0.8), rng.uniform(0.15, 0.35)),
            _hsv(hue + rng.uniform(0.05, 0.2), rng.uniform(0.2, 0.6), rng.uniform(0.75, 0.95)),
            _hsv(hue + 0.5, rng.uniform(0.6, 0.9), rng.uniform(0.6, 0.9)),
        ])
    tone = rng.uniform(0.04, 0.09)  # skin hues: orange-brown
    palettes["skin"] = np.stack([
        _hsv(tone, rng.uniform(0.35, 0.6), rng.uniform(0.3, 0.5)),
        _hsv(tone, rng.uniform(0.2, 0.4), rng.uniform(0.8, 0.95)),
        _hsv(tone + 0.5, 0.5, 0.7),
    ])
    return palettes


def _on_screen(band: tuple[float, float], pixel_m: float, min_px: float) -> tuple[float, float]:
    """A wavelength band scaled up so that its finest wavelength spans at least ``min_px`` pixels of size
    ``pixel_m`` metres."""
    scale = max(1.0, min_px * pixel_m / band[0])
    return band[0] * scale, band[1] * scale


def clip_textures(groups: tuple[str, ...], *, seed: int, config: TextureConfig = TextureConfig(),
                  body_pixel_m: float = 0.0, background_pixel_m: float = 0.0) -> list[SolidTexture]:
    """One texture per body part (own waves, the palette of its clothing group) plus the background's, last.

    Args:
        groups: (P,) clothing group of each part (``"top"``, ``"bottom"``, ``"skin"``).
        seed: seed of the outfit and patterns.
        config: texture scales.
        body_pixel_m: size of one pixel on the body at its typical depth (Z / f), metres; 0 = no limit.
        background_pixel_m: the same on the background plane, metres.

    Returns:
        P + 1 textures: the parts' in order, then the background's.

    Raises:
        InputError: for an unknown group.
    """
    rng = np.random.default_rng(seed)
    palettes = random_palettes(rng)
    body_band = _on_screen(config.body_wavelengths_m, body_pixel_m, config.min_wavelength_px)
    background_band = _on_screen(config.background_wavelengths_m, background_pixel_m,
                                 config.min_wavelength_px)
    textures = []
    for group in groups:
        if group not in ("top", "bottom", "skin"):
            raise InputError(f"clip_textures: unknown clothing group {group!r}; "
                             f"choose from ['bottom', 'skin', 'top']")
        textures.append(random_texture(rng, body_band, palettes[group], config))
    textures.append(random_texture(rng, background_band, palettes["background"], config, planar=True))
    return textures
