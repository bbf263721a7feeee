"""All-pairs correlation volume, its pyramid and the radius-r lookup (RAFT, Teed & Deng 2020, Sec. 3.2).

Given feature maps g(I1), g(I2) in R^{H x W x D} (1/8 resolution):

* Eq. (1) ``C_{ijkl} = sum_h g(I1)_{ijh} g(I2)_{klh}``; the official code divides by sqrt(D) (not in the
  paper; kept because the released weights were trained with it).
* Pyramid ``{C^0, ..., C^{L-1}}``: ``C^m`` average-pools the last two dimensions of ``C^0`` by ``2^m``.
* Lookup: for the current correspondence ``x' = x + f(x)`` (``coords1``), sample every level ``m`` at
  ``x'/2^m + d`` for the (2r+1)^2 integer offsets ``d`` with ``|d|_inf <= r`` (bilinear, zero outside) and
  concatenate: ``L * (2r+1)^2`` channels.

Channel order of the lookup, which the released weights depend on: level-major, then the *x* offset
(slowest), then the *y* offset: channel ``m*(2r+1)^2 + a*(2r+1) + b`` holds level ``m`` at offset
``(dx, dy) = (a - r, b - r)`` (architecture_facts.json, "lookup").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from flowpose.errors import ShapeError


def all_pairs_correlation(fmap1: Tensor, fmap2: Tensor) -> Tensor:
    """The 4D correlation volume, Eq. (1), scaled by 1/sqrt(D) as in the official code.

    Args:
        fmap1: features of frame 1.
        fmap2: features of frame 2.

    Returns:
        ``C`` with ``C[n*H*W + i*W + j, 0, k, l] = <fmap1[n, :, i, j], fmap2[n, :, k, l]> / sqrt(D)``: one
        (H, W) correlation image per source pixel, the layout the pyramid pools and the lookup samples.

    Raises:
        ShapeError: if the two maps differ in shape or are not 4D.

    Shape:
        (N, D, H, W), (N, D, H, W) -> (N*H*W, 1, H, W).
    """
    if fmap1.dim() != 4 or fmap1.shape != fmap2.shape:
        expected = f"equal to fmap1 {tuple(fmap1.shape)} and 4D"
        raise ShapeError("fmap2", expected, fmap2.shape, "all_pairs_correlation")
    n, d, h, w = fmap1.shape
    f1 = fmap1.reshape(n, d, h * w)
    f2 = fmap2.reshape(n, d, h * w)
    corr = torch.matmul(f1.transpose(1, 2), f2)  # (N, HW, HW)
    scale = torch.tensor(float(d), dtype=corr.dtype, device=corr.device).sqrt()
    return (corr / scale).reshape(n * h * w, 1, h, w)


def correlation_pyramid(corr: Tensor, num_levels: int) -> list[Tensor]:
    """Average-pool the target dimensions of the volume ``num_levels - 1`` times by 2 (Sec. 3.2).

    Args:
        corr: level 0, as returned by :func:`all_pairs_correlation`.
        num_levels: L, the number of levels (4 in RAFT).

    Returns:
        ``[C^0, ..., C^{L-1}]``, ``C^m`` of shape (N*H*W, 1, H // 2^m, W // 2^m) (floor, as avg_pool2d).

    Shape:
        (B, 1, H, W) -> list of (B, 1, H_m, W_m).
    """
    pyramid = [corr]
    for _ in range(num_levels - 1):
        corr = F.avg_pool2d(corr, kernel_size=2, stride=2)
        pyramid.append(corr)
    return pyramid


def bilinear_sample(image: Tensor, coords: Tensor) -> Tensor:
    """Sample ``image`` bilinearly at pixel coordinates, zero outside (pixel (0, 0) is the top-left centre).

    Uses ``grid_sample(align_corners=True)`` with ``x_n = 2x/(W-1) - 1`` exactly as the official code. That
    divides by zero on a one-pixel-wide level (images under 128 px after padding give NaN upstream); for such
    images the equivalent ``align_corners=False`` normalisation ``x_n = (2x+1)/W - 1`` is used, which is the
    same function and stays finite. (Deviation from the official code, which returns NaN there.)

    Args:
        image: images to sample.
        coords: (x, y) pixel coordinates, x along W.

    Returns:
        The sampled values.

    Shape:
        image (B, C, H, W), coords (B, h, w, 2) -> (B, C, h, w).
    """
    h, w = image.shape[-2:]
    x, y = coords.unbind(dim=-1)
    if h > 1 and w > 1:
        grid = torch.stack([2 * x / (w - 1) - 1, 2 * y / (h - 1) - 1], dim=-1)
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    grid = torch.stack([(2 * x + 1) / w - 1, (2 * y + 1) / h - 1], dim=-1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def window_offsets(
    radius: int, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> Tensor:
    """The (2r+1)^2 integer offsets of the lookup window, ``offsets[a, b] = (dx, dy) = (a - r, b - r)``.

    The x offset indexes the first (slow) axis: the official ``stack(meshgrid(dy, dx))`` adds its first
    component, which comes from ``dy``, to x. The window is symmetric so only the channel order is affected.

    Args:
        radius: r.
        device: device of the result.
        dtype: dtype of the result.

    Returns:
        The offsets.

    Shape:
        (2r+1, 2r+1, 2).

    Example:
        >>> window_offsets(1)[0, 2].tolist()
        [-1.0, 1.0]
    """
    d = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    dx, dy = torch.meshgrid(d, d, indexing="ij")
    return torch.stack([dx, dy], dim=-1)


def lookup_pyramid(pyramid: list[Tensor], coords: Tensor, radius: int) -> Tensor:
    """Look up the correlation pyramid around ``coords`` (Sec. 3.2, "Correlation Lookup").

    Args:
        pyramid: levels from :func:`correlation_pyramid` for a batch of N images at (H, W).
        coords: ``x' = x + f(x)``, the current position in frame 2 of each frame-1 pixel, channel 0 = x.
        radius: r, the window half-size in pixels of each level.

    Returns:
        Correlation features, channels ordered as described in the module docstring.

    Shape:
        coords (N, 2, H, W) -> (N, L*(2r+1)^2, H, W).
    """
    n, _, h, w = coords.shape
    k = 2 * radius + 1
    centroid = coords.permute(0, 2, 3, 1).reshape(n * h * w, 1, 1, 2)
    delta = window_offsets(radius, device=coords.device, dtype=coords.dtype).view(1, k, k, 2)
    out = []
    for level, corr in enumerate(pyramid):
        sampled = bilinear_sample(corr, centroid / 2**level + delta)  # (NHW, 1, k, k)
        out.append(sampled.view(n, h, w, k * k))
    return torch.cat(out, dim=-1).permute(0, 3, 1, 2).contiguous()


@dataclass(frozen=True)
class CorrBlock:
    """The correlation part of RAFT: builds the pyramid once per image pair and looks it up every iteration.

    Holds only its configuration (no weights), so it is a frozen dataclass rather than a Module.

    Attributes:
        num_levels: pyramid levels L (4 for every released model).
        radius: lookup radius r (4 for RAFT and GMA, 3 for RAFT-small).

    Example:
        >>> block = CorrBlock(num_levels=2, radius=1)
        >>> f = torch.randn(1, 8, 4, 4)
        >>> block.lookup(block.pyramid(f, f), torch.zeros(1, 2, 4, 4)).shape
        torch.Size([1, 18, 4, 4])
    """

    num_levels: int = 4
    radius: int = 4

    @property
    def out_channels(self) -> int:
        """``L * (2r+1)^2``: 324 for RAFT/GMA, 196 for RAFT-small."""
        return self.num_levels * (2 * self.radius + 1) ** 2

    def pyramid(self, fmap1: Tensor, fmap2: Tensor) -> list[Tensor]:
        """Eq. (1) and its pyramid; see :func:`all_pairs_correlation` and :func:`correlation_pyramid`."""
        return correlation_pyramid(all_pairs_correlation(fmap1, fmap2), self.num_levels)

    def lookup(self, pyramid: list[Tensor], coords: Tensor) -> Tensor:
        """Features at ``coords``: (N, 2, H, W) -> (N, out_channels, H, W); see :func:`lookup_pyramid`."""
        return lookup_pyramid(pyramid, coords, self.radius)
