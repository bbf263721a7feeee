"""AutoFlow-style random scenes with exact optical flow.

Sun et al., CVPR 2021, "AutoFlow: Learning a Better Training Set for Optical Flow".

A scene is a textured background plus several textured layers (polygons, ellipses, blobs), each moved by its
own random transform between frame 1 and frame 2 and composited back to front. Because every layer moves by a
known 3x3 matrix ``M`` (an affine for layers, a mild homography for the background), the forward flow of a
frame-1 pixel ``x`` on layer ``l`` is exact:

    flow(x) = pi(M_l [x; 1]) - x                       (pi: dehomogenise)

with ``l`` the top-most layer covering ``x`` in frame 1. The flow is valid where ``x + flow(x)`` is inside
frame 2 and the same layer is the top-most one there (not occluded).

Deviations from AutoFlow: its layer parameters are learnt by a search over a validation set; here they are
drawn from fixed hand-set ranges (``AutoflowConfig``) chosen to match RAFT's FlyingChairs-like magnitudes
(translation up to ~16 % of the image size). AutoFlow also renders soft, motion-blurred edges; ours are hard
(nearest-neighbour masks) so that each pixel belongs to exactly one layer and the flow is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from flowpose.errors import InputError
from flowpose.train.sample import FlowSample
from flowpose.train.textures import random_texture


@dataclass(frozen=True)
class AutoflowConfig:
    """Ranges of the random scene generator (motions are relative to the image size)."""

    min_layers: int = 2
    """Fewest foreground layers over the background."""
    max_layers: int = 7
    """Most foreground layers over the background."""
    max_translation: float = 0.16
    """Largest layer translation per axis as a fraction of max(H, W) (0.16 ~ 20 px at 128 px)."""
    max_rotation_deg: float = 10.0
    """Largest layer rotation in degrees."""
    max_log_scale: float = 0.1
    """Largest |log| of the layer scale change."""
    max_shear: float = 0.1
    """Largest layer shear."""
    background_motion: float = 0.5
    """Background motion ranges as a fraction of the layer ranges."""
    max_perspective: float = 0.05
    """Largest background perspective term, times max(H, W) (a pixel at the border moves ~ this fraction)."""
    min_radius: float = 0.08
    """Smallest layer radius as a fraction of min(H, W)."""
    max_radius: float = 0.35
    """Largest layer radius as a fraction of min(H, W)."""
    margin: float = 0.25
    """Canvas margin around the view (fraction of max(H, W)) so content can move into frame 2."""
    natural_prob: float = 0.5
    """Probability of a natural-image texture (when scikit-image is installed)."""


@dataclass(frozen=True)
class Layer:
    """One scene layer, on a canvas of (H + 2m, W + 2m) pixels whose pixel (m, m) is image pixel (0, 0).

    Attributes:
        texture: (H + 2m, W + 2m, 3) float32 RGB in [0, 255].
        mask: (H + 2m, W + 2m) bool, where the layer exists (all True for the background).
        motion: (3, 3) float64 matrix taking a frame-1 image point (x, y, 1) to its frame-2 position.
    """

    texture: np.ndarray
    mask: np.ndarray
    motion: np.ndarray


def _about(centre: np.ndarray, linear: np.ndarray, shift: np.ndarray, perspective: np.ndarray) -> np.ndarray:
    """M = T(c + t) [A 0; p 1] T(-c): a transform about the point c (x, y)."""
    to_c = np.array([[1.0, 0, -centre[0]], [0, 1.0, -centre[1]], [0, 0, 1.0]])
    back = np.array([[1.0, 0, centre[0] + shift[0]], [0, 1.0, centre[1] + shift[1]], [0, 0, 1.0]])
    core = np.eye(3)
    core[:2, :2] = linear
    core[2, :2] = perspective
    return back @ core @ to_c


def random_motion(
    rng: np.random.Generator,
    centre: np.ndarray,
    size: tuple[int, int],
    config: AutoflowConfig,
    factor: float,
    perspective: float = 0.0,
) -> np.ndarray:
    """A random scale-rotation-shear-translation transform about ``centre``, ranges scaled by ``factor``.

    Args:
        rng: random generator.
        centre: (2,) pivot (x, y) in image pixels.
        size: (H, W) of the image.
        config: the motion ranges.
        factor: multiplier of every range (1 for layers, ``config.background_motion`` for the background).
        perspective: largest relative displacement from the perspective terms at the image border
            (0 gives an affine).

    Returns:
        (3, 3) float64 matrix (an affine when ``perspective`` is 0).
    """
    angle = np.deg2rad(rng.uniform(-1, 1) * config.max_rotation_deg * factor)
    scale = np.exp(rng.uniform(-1, 1, size=2) * config.max_log_scale * factor)
    shear = rng.uniform(-1, 1) * config.max_shear * factor
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag(scale)
    shift = rng.uniform(-1, 1, size=2) * config.max_translation * factor * max(size)
    # w = 1 + p.(x - c): a point max(H, W)/2 from the pivot is displaced by at most ``perspective`` of itself.
    p = rng.uniform(-1, 1, size=2) * perspective / (max(size) / 2)
    return _about(centre, linear, shift, p)


def _random_shape(
    rng: np.random.Generator, canvas: tuple[int, int], centre: np.ndarray, radius: float
) -> np.ndarray:
    """A filled polygon, ellipse or noise blob of about ``radius`` px around ``centre`` (canvas coords)."""
    mask = np.zeros(canvas, np.uint8)
    kind = int(rng.integers(3))
    cx, cy = float(centre[0]), float(centre[1])
    if kind == 0:  # star-shaped polygon
        n = int(rng.integers(3, 9))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = radius * rng.uniform(0.5, 1.0, n)
        pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], -1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    elif kind == 1:  # ellipse
        axes = (max(1, int(radius * rng.uniform(0.4, 1.0))), max(1, int(radius * rng.uniform(0.4, 1.0))))
        cv2.ellipse(mask, (int(round(cx)), int(round(cy))), axes, rng.uniform(0, 180), 0, 360, 1, -1)
    else:  # blob: smooth noise thresholded inside a disc
        cell = max(2, int(radius / 2))
        small = rng.standard_normal((canvas[0] // cell + 2, canvas[1] // cell + 2)).astype(np.float32)
        noise = cv2.resize(small, (canvas[1], canvas[0]), interpolation=cv2.INTER_CUBIC)
        y, x = np.mgrid[0 : canvas[0], 0 : canvas[1]]
        disc = (x - cx) ** 2 + (y - cy) ** 2 < radius**2
        mask[(noise > -0.3) & disc] = 1
    return mask.astype(bool)


def _warp(canvas_img: np.ndarray, view: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """dst(x) = canvas_img(view^-1 x) for x in the (H, W) image (cv2.warpPerspective convention)."""
    H, W = size
    return cv2.warpPerspective(canvas_img, view, (W, H), flags=interpolation, borderMode=cv2.BORDER_REFLECT)


def render_layers(layers: list[Layer], size: tuple[int, int], margin: int) -> FlowSample:
    """Composite layers back to front into two frames with their exact forward flow and validity.

    Args:
        layers: background first (its mask all True), then layers from back to front.
        size: (H, W) of the output frames.
        margin: canvas margin m in pixels (canvas pixel (m, m) is image pixel (0, 0)).

    Returns:
        The pair; ``valid`` is True where the frame-1 point lands inside frame 2 (pixel centres
        0..W-1, 0..H-1) on the same layer (not occluded).

    Raises:
        InputError: if there are no layers or the background does not cover the canvas.
    """
    if not layers or not layers[0].mask.all():
        raise InputError("render_layers: layers[0] must be a background whose mask is all True")
    H, W = size
    canvas_to_image = np.array([[1.0, 0, -margin], [0, 1.0, -margin], [0, 0, 1.0]])
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    points = np.stack([x, y, np.ones_like(x)], -1)  # (H, W, 3) homogeneous frame-1 pixels

    image1 = np.zeros((H, W, 3), np.float32)
    image2 = np.zeros((H, W, 3), np.float32)
    label1 = np.zeros((H, W), np.int32)
    label2 = np.zeros((H, W), np.int32)
    flows = np.zeros((len(layers), H, W, 2), np.float64)
    for index, layer in enumerate(layers):
        for view, image, label in (
            (canvas_to_image, image1, label1),
            (layer.motion @ canvas_to_image, image2, label2),
        ):
            covered = _warp(layer.mask.astype(np.uint8), view, size, cv2.INTER_NEAREST).astype(bool)
            image[covered] = _warp(layer.texture, view, size, cv2.INTER_LINEAR)[covered]
            label[covered] = index
        moved = points @ layer.motion.T  # flow(x) = pi(M [x; 1]) - x
        flows[index] = moved[..., :2] / moved[..., 2:] - points[..., :2]

    flow = np.take_along_axis(flows, label1[None, ..., None], axis=0)[0].astype(np.float32)
    target = np.stack([x, y], -1).astype(np.float32) + flow
    inside = (
        (target[..., 0] >= 0) & (target[..., 0] <= W - 1) & (target[..., 1] >= 0) & (target[..., 1] <= H - 1)
    )
    label_at_target = cv2.remap(
        label2.astype(np.float32),
        target[..., 0],
        target[..., 1],
        cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=-1.0,
    )
    valid = inside & (label_at_target == label1)
    to_u8 = lambda im: np.clip(np.round(im), 0, 255).astype(np.uint8)  # noqa: E731
    return FlowSample(to_u8(image1), to_u8(image2), flow, valid)


def make_autoflow_pair(
    rng: np.random.Generator, size: tuple[int, int] = (128, 128), config: AutoflowConfig = AutoflowConfig()
) -> FlowSample:
    """Draw one random AutoFlow-style scene and render its two frames with exact flow.

    Args:
        rng: random generator (the scene is a pure function of its state).
        size: (H, W) of the frames.
        config: the scene ranges.

    Returns:
        The pair with flow in pixels and the validity mask.

    Raises:
        InputError: if ``size`` is not two positive integers or the layer counts are inconsistent.

    Example:
        >>> s = make_autoflow_pair(np.random.default_rng(0), size=(64, 64))
        >>> s.flow.shape
        (64, 64, 2)
    """
    if len(size) != 2 or min(size) < 8:
        raise InputError(f"make_autoflow_pair: size must be (H, W) with both >= 8, got {size}")
    if not 0 <= config.min_layers <= config.max_layers:
        raise InputError(
            "AutoflowConfig: need 0 <= min_layers <= max_layers, "
            f"got {config.min_layers}, {config.max_layers}"
        )
    H, W = int(size[0]), int(size[1])
    margin = int(round(config.margin * max(H, W)))
    canvas = (H + 2 * margin, W + 2 * margin)
    image_centre = np.array([(W - 1) / 2, (H - 1) / 2])

    background_motion = random_motion(
        rng, image_centre, (H, W), config, config.background_motion, perspective=config.max_perspective
    )
    layers = [
        Layer(random_texture(rng, canvas, config.natural_prob), np.ones(canvas, bool), background_motion)
    ]
    for _ in range(int(rng.integers(config.min_layers, config.max_layers + 1))):
        centre = rng.uniform([0, 0], [W - 1, H - 1])  # image coords; canvas coords add the margin
        radius = rng.uniform(config.min_radius, config.max_radius) * min(H, W)
        mask = _random_shape(rng, canvas, centre + margin, radius)
        motion = random_motion(rng, centre, (H, W), config, 1.0)
        layers.append(Layer(random_texture(rng, canvas, config.natural_prob), mask, motion))
    return render_layers(layers, (H, W), margin)
