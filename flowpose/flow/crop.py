"""Person-centred crops for flow inference: where to crop each frame pair, and how to resample a crop.

Conventions (DESIGN.md): pixel (0, 0) has its centre at (0, 0). A box ``[x0, y0, x1, y1]`` means the pixels
``x0 <= x < x1, y0 <= y < y1`` as in array slicing, i.e. the area from ``x0 - 0.5`` to ``x1 - 0.5``; its side
is ``x1 - x0``. A *grid* is what :class:`flowpose.flow.field.FlowField` stores per pair: an (h, w) lattice
whose pixel (i, j) sits at full-frame ``origin + scale * (j, i)``.

Fitting an (h, w) grid to a box tiles the box's area with h x w cells of side ``scale`` and puts the grid
pixels at the cell centres (the "half-pixel" convention of ``cv2.resize`` and ``align_corners=False``). For a
square box of side s and an n x n grid: ``scale = s / n`` and ``origin = (x0, y0) + (scale - 1) / 2``, so at
scale 1 the grid is exactly the pixels of the box.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import sample_grid


def box_to_grid(box: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The grid of ``size`` pixels that tiles ``box`` (centred, one scale for both axes).

    A box whose aspect differs from the grid's is fitted inside it: the grid covers the box along the tighter
    axis and overhangs it evenly along the other.

    Args:
        box: (4,) ``[x0, y0, x1, y1]`` full-frame px (slice convention, see the module docstring).
        size: (h, w) grid pixels.

    Returns:
        origin: (2,) full-frame (x, y) of grid pixel (0, 0).
        scale: full-frame pixels per grid pixel.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    h, w = size
    scale = max((x1 - x0) / w, (y1 - y0) / h)
    # Box centre in pixel-centre coordinates, then back by half the grid's extent between outer pixel centres.
    cx, cy = (x0 + x1) / 2.0 - 0.5, (y0 + y1) / 2.0 - 0.5
    origin = np.array([cx - (w - 1) / 2.0 * scale, cy - (h - 1) / 2.0 * scale], np.float64)
    return origin, scale


SHRINK_FROM = 4.0
"""Scale from which a crop's band is first shrunk by area means (see :func:`crop_to_grid`)."""


def crop_to_grid(image: np.ndarray, origin: np.ndarray, scale: float, size: tuple[int, int]) -> np.ndarray:
    """Resample an image onto a grid: output pixel (i, j) is the image at ``origin + scale * (j, i)``.

    Outside the image the nearest edge pixel is repeated (edge padding): it adds no artificial edge that a
    flow network could lock onto, and :func:`flowpose.flow.infer.compute_video_flow` marks its flow untrusted.
    When shrinking (``scale > 1``) the image is first low-passed by a filter of variance ``((scale - 1) / 2)^2``
    image pixels squared along each axis: a Gaussian of that sigma (the anti-aliasing choice of scikit-image's
    ``resize``), reached from ``scale`` :data:`SHRINK_FROM` on in two cheaper steps, means over f x f blocks (f =
    floor(scale / 2), OpenCV's area resampling, variance (f^2 - 1) / 12) and the Gaussian that adds the rest on the
    f times smaller band. (A deviation for speed: on the real 1080p views a person's crop costs 3 to 10 ms instead of
    5 to 23, ``benchmarks/experiments/crop_antialias.py``, and the poses stay within what a change of 0.1 mm in the
    estimate does to them; ``benchmarks/RESULTS.md``, thirty-first session.) Blocks are aligned to the image's pixel grid, so a crop does not depend on where its
    band begins. The resampling itself is exact bilinear interpolation at float positions (``torch.grid_sample``),
    not OpenCV's ``warpAffine``, which rounds positions to 1/32 pixel.

    Only the image and the band around it that the filter reaches (4 sigma, OpenCV's kernel radius, plus a block
    and 2 px) are held in memory: farther out the padded, filtered image is constant along the way out, so positions
    there are clamped to the band's edge, which gives the same values. A grid far larger than the image (a box around
    a keypoint far off the image) thus costs no more memory than the image.

    Args:
        image: (H, W, C) image, any numeric dtype (uint8 RGB for frames).
        origin: (2,) full-frame (x, y) of grid pixel (0, 0).
        scale: full-frame pixels per grid pixel, > 0.
        size: (h, w) of the output.

    Returns:
        (h, w, C) float32.
    """
    h, w = size
    H, W = image.shape[:2]
    sigma = max(0.0, (scale - 1.0) / 2.0)
    f = int(scale // 2) if scale >= SHRINK_FROM else 1
    block = f if f > 1 else 0  # the band's extra reach, image px
    margin = int(np.ceil(3.0 * sigma)) + 2 + block
    x_lo = int(np.floor(origin[0])) - margin
    y_lo = int(np.floor(origin[1])) - margin
    x_hi = int(np.ceil(origin[0] + (w - 1) * scale)) + margin + 1
    y_hi = int(np.ceil(origin[1] + (h - 1) * scale)) + margin + 1
    band = int(np.ceil(4.0 * sigma)) + 2 + block
    x_lo, y_lo = min(max(x_lo, -band), W - 1 + band), min(max(y_lo, -band), H - 1 + band)
    x_hi, y_hi = max(min(x_hi, W + band), x_lo + 1), max(min(y_hi, H + band), y_lo + 1)
    # Whole blocks on the image's pixel grid (floor division rounds negative coordinates down too).
    x_lo, y_lo = f * (x_lo // f), f * (y_lo // f)
    x_hi, y_hi = x_lo + f * -(-(x_hi - x_lo) // f), y_lo + f * -(-(y_hi - y_lo) // f)
    region = _edge_padded(image, x_lo, y_lo, x_hi, y_hi)
    ny, nx = (y_hi - y_lo) // f, (x_hi - x_lo) // f
    if f > 1:
        region = cv2.resize(region, (nx, ny), interpolation=cv2.INTER_AREA).reshape(ny, nx, -1)
    rest = np.sqrt(max(sigma**2 - (f * f - 1) / 12.0, 0.0)) / f  # the Gaussian left, in block pixels
    if rest > 0:
        region = cv2.GaussianBlur(region, (0, 0), sigmaX=rest, borderType=cv2.BORDER_REPLICATE).reshape(ny, nx, -1)
    # Block pixel k is the mean of band pixels f k .. f k + f - 1, centred at band position f k + (f - 1) / 2.
    gx = np.clip((origin[0] - x_lo + scale * np.arange(w) - (f - 1) / 2.0) / f, 0, nx - 1)
    gy = np.clip((origin[1] - y_lo + scale * np.arange(h) - (f - 1) / 2.0) / f, 0, ny - 1)
    # Bilinear interpolation reads only the columns and rows either side of the grid's (a separable lattice):
    # gathered in pairs (grid column j reads gathered columns 2j and 2j + 1), they alone are converted to float64,
    # not the whole band (at 1080p a person's band holds some 30 times the grid's 2h x 2w pixels).
    cols, fx = _neighbour_pairs(gx, nx)
    rows, fy = _neighbour_pairs(gy, ny)
    cells = np.ascontiguousarray(region[rows[:, None], cols[None, :]])  # (2h, 2w, C)
    grid = np.stack(np.meshgrid(2 * np.arange(w) + fx, 2 * np.arange(h) + fy), axis=-1).reshape(1, -1, 2)
    values = torch.from_numpy(cells).permute(2, 0, 1)[None].double()
    out = sample_grid(values, torch.from_numpy(grid))  # (1, h*w, C), float64 for exact positions
    return out.reshape(h, w, -1).float().numpy()


def _edge_padded(image: np.ndarray, x_lo: int, y_lo: int, x_hi: int, y_hi: int) -> np.ndarray:
    """(y_hi - y_lo, x_hi - x_lo, C) float32: the image's pixels [y_lo, y_hi) x [x_lo, x_hi), each index clipped to
    the image (the nearest edge pixel repeated outside it): a slice and OpenCV's replicated border."""
    H, W = image.shape[:2]
    r0, r1 = min(max(y_lo, 0), H - 1), min(max(y_hi - 1, 0), H - 1)
    c0, c1 = min(max(x_lo, 0), W - 1), min(max(x_hi - 1, 0), W - 1)
    inner = np.ascontiguousarray(image[r0 : r1 + 1, c0 : c1 + 1], dtype=np.float32)
    top = min(max(0, r0 - y_lo), (y_hi - y_lo) - (r1 - r0 + 1))
    left = min(max(0, c0 - x_lo), (x_hi - x_lo) - (c1 - c0 + 1))
    bottom = (y_hi - y_lo) - (r1 - r0 + 1) - top
    right = (x_hi - x_lo) - (c1 - c0 + 1) - left
    if top or bottom or left or right:
        inner = cv2.copyMakeBorder(inner, top, bottom, left, right, cv2.BORDER_REPLICATE)
    return inner.reshape(y_hi - y_lo, x_hi - x_lo, -1)


def _neighbour_pairs(g: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For positions ``g`` in [0, n - 1] along an axis of n pixels: the pixels either side of each, interleaved
    ``[i_0, i_0 + 1, i_1, i_1 + 1, ...]``, and each position's fraction of the way from the first to the second."""
    i = np.clip(np.floor(g).astype(np.int64), 0, max(n - 2, 0))
    pairs = np.stack([i, np.minimum(i + 1, n - 1)], axis=-1).reshape(-1)
    return pairs, g - i


def person_boxes(
    joints2d: np.ndarray,
    conf: np.ndarray | None,
    image_size: tuple[int, int],
    *,
    pad: float = 0.25,
    window: int = 5,
    min_side: int = 64,
) -> np.ndarray:
    """Square boxes around the person, one per frame pair, stable over time.

    For pair t (frames t and t+1): the extent of the valid joints of both frames; its centre is smoothed
    by a moving average over ``window`` pairs and its side by a moving maximum then a moving average (so the
    crop scale changes slowly); the side is then grown, if needed, so the box still holds every valid joint of
    frames t and t+1; finally each edge moves out by ``pad`` times the side, the side is at least
    ``min_side``, and corners are rounded outwards to whole pixels. Boxes may extend past the image; crops
    edge-pad there (see :func:`crop_to_grid`).

    Joints are first clipped to one image size beyond each edge (x in [-W, 2W], y in [-H, 2H]): a keypoint far off
    the image (a detector's outlier, a wrong camera) cannot make a box, and with it the crop's blur, unbounded.
    Joints that are NaN/inf or have zero confidence are ignored. A frame without any valid joint takes its
    extent by linear interpolation between the nearest frames that have one (held constant at the ends). If no
    frame has a valid joint, every box is the whole frame ``[0, 0, W, H]`` (not square).

    Args:
        joints2d: (T, J, 2) full-frame pixel (x, y), T >= 2.
        conf: (T, J) confidence in [0, 1], or None (all joints valid where finite).
        image_size: (H, W) of the frames.
        pad: margin on each side, as a fraction of the side.
        window: number of pairs in the temporal smoothing window (1 = no smoothing).
        min_side: smallest box side in pixels.

    Returns:
        (T-1, 4) float32 boxes ``[x0, y0, x1, y1]`` in whole pixels, slice convention.

    Raises:
        ShapeError: if ``joints2d`` is not (T, J, 2) with T >= 2, or ``conf`` is not (T, J).
        InputError: if ``pad < 0``, ``window < 1`` or ``min_side < 1``.

    Example:
        >>> j = np.array([[[10.0, 10.0], [20.0, 30.0]]] * 3)
        >>> person_boxes(j, None, (100, 100), pad=0.0, min_side=1).tolist()[0]
        [5.0, 10.0, 26.0, 31.0]
    """
    joints2d = np.asarray(joints2d, np.float64)
    if joints2d.ndim != 3 or joints2d.shape[-1] != 2 or joints2d.shape[0] < 2:
        raise ShapeError("joints2d", "(T, J, 2) with T >= 2", joints2d.shape)
    T, J, _ = joints2d.shape
    valid = np.isfinite(joints2d).all(-1)
    if conf is not None:
        conf = np.asarray(conf, np.float64)
        if conf.shape != (T, J):
            raise ShapeError("conf", f"({T}, {J})", conf.shape)
        valid &= np.nan_to_num(conf) > 0
    if pad < 0 or window < 1 or min_side < 1:
        raise InputError(
            f"person_boxes needs pad >= 0, window >= 1, min_side >= 1; got {pad}, {window}, {min_side}"
        )
    H, W = image_size
    frame_ok = valid.any(-1)
    if not frame_ok.any():
        return np.tile(np.array([0, 0, W, H], np.float32), (T - 1, 1))

    joints2d = np.clip(joints2d, [-W, -H], [2 * W, 2 * H])
    # Per-frame extent of the valid joints, interpolated over frames that have none.
    big = np.where(valid[..., None], joints2d, np.inf)
    lo, hi = big.min(1), np.where(valid[..., None], joints2d, -np.inf).max(1)
    t_ok, t_all = np.flatnonzero(frame_ok), np.arange(T)
    lo = np.stack([np.interp(t_all, t_ok, lo[t_ok, k]) for k in range(2)], -1)
    hi = np.stack([np.interp(t_all, t_ok, hi[t_ok, k]) for k in range(2)], -1)

    # Pair t covers frames t and t+1.
    lo_p, hi_p = np.minimum(lo[:-1], lo[1:]), np.maximum(hi[:-1], hi[1:])
    centre = uniform_filter1d((lo_p + hi_p) / 2.0, window, axis=0, mode="nearest")
    side = (hi_p - lo_p).max(-1)
    side = uniform_filter1d(maximum_filter1d(side, window, mode="nearest"), window, mode="nearest")
    # Smoothing must not uncover a joint: grow the side to reach the farthest one from the smoothed centre.
    reach = np.maximum(hi_p - centre, centre - lo_p).max(-1)
    side = np.maximum(side, 2.0 * reach)
    side = np.maximum(side * (1.0 + 2.0 * pad), float(min_side))

    # Area [c - s/2, c + s/2] in pixel-centre coordinates is [x0 - 0.5, x1 - 0.5] in the slice convention;
    # round outwards, then make the box square again with the larger rounded side.
    start = np.floor(centre - side[:, None] / 2.0 + 0.5)
    stop = np.ceil(centre + side[:, None] / 2.0 + 0.5)
    side_px = (stop - start).max(-1, keepdims=True)
    return np.concatenate([start, start + side_px], -1).astype(np.float32)
