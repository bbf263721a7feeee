"""The pixel grids of RAFT-family networks: image normalisation, coordinate grids, padding to a multiple of 8,
and the upsampling of the 1/8-resolution flow (RAFT, Teed & Deng, ECCV 2020; the official ``core/utils``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from flowpose.errors import InputError

Upsampler = Callable[[Tensor, "Tensor | None"], Tensor]
"""``(flow (N,2,H,W) at 1/8 resolution, mask or None) -> (N,2,8H,8W)`` flow in full-resolution pixels."""


def normalize_images(images: Tensor) -> Tensor:
    """Map images from [0, 255] to [-1, 1], ``2 * (x / 255) - 1``, as the official forward does.

    Shape:
        (N, 3, H, W) -> (N, 3, H, W).
    """
    return 2 * (images / 255.0) - 1.0


def coords_grid(
    n: int, h: int, w: int, *, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> Tensor:
    """Pixel coordinates of a (h, w) grid, channel 0 = x (column), channel 1 = y (row).

    Returns:
        (n, 2, h, w) with ``out[:, 0, i, j] = j`` and ``out[:, 1, i, j] = i``.
    """
    rows = torch.arange(h, device=device, dtype=dtype)
    cols = torch.arange(w, device=device, dtype=dtype)
    y, x = torch.meshgrid(rows, cols, indexing="ij")
    return torch.stack([x, y], dim=0).unsqueeze(0).expand(n, 2, h, w).clone()


def convex_upsample(flow: Tensor, mask: Tensor | None, factor: int = 8) -> Tensor:
    """Convex upsampling (Sec. 3.3): each fine pixel is a convex combination of its 3x3 coarse neighbours.

    The mask logits are soft-maxed over the 9 neighbours; flow vectors are multiplied by ``factor`` to be in
    full-resolution pixels. Channel layout of ``mask``: ``(9, factor, factor)`` flattened (official layout).

    Args:
        flow: coarse flow in 1/factor-resolution pixels.
        mask: upsampling weights (logits) from the update block's mask head.
        factor: upsampling factor.

    Returns:
        Full-resolution flow.

    Raises:
        InputError: if ``mask`` is None (the update block has no mask head).

    Shape:
        flow (N, 2, H, W), mask (N, 9*factor^2, H, W) -> (N, 2, factor*H, factor*W).
    """
    if mask is None:
        raise InputError(
            "convex_upsample needs the mask head's output; this update block has none (use bilinear_upsample)"
        )
    n, _, h, w = flow.shape
    weights = torch.softmax(mask.view(n, 1, 9, factor, factor, h, w), dim=2)
    neighbours = F.unfold(factor * flow, kernel_size=3, padding=1).view(n, 2, 9, 1, 1, h, w)
    up = torch.sum(weights * neighbours, dim=2)  # (N, 2, factor, factor, H, W)
    return up.permute(0, 1, 4, 2, 5, 3).reshape(n, 2, factor * h, factor * w)


def bilinear_upsample(flow: Tensor, mask: Tensor | None = None, factor: int = 8) -> Tensor:
    """RAFT-small's ``upflow8``: ``factor * interpolate(flow, bilinear, align_corners=True)``.

    Args:
        flow: coarse flow in 1/factor-resolution pixels.
        mask: ignored (accepted so that both upsamplers share the :data:`Upsampler` signature).
        factor: upsampling factor.

    Returns:
        Full-resolution flow.

    Shape:
        (N, 2, H, W) -> (N, 2, factor*H, factor*W).
    """
    h, w = flow.shape[-2:]
    return factor * F.interpolate(flow, size=(factor * h, factor * w), mode="bilinear", align_corners=True)


@dataclass(frozen=True)
class InputPadding:
    """Replicate padding to a multiple of 8, as the official ``InputPadder`` in its default ("sintel") mode.

    ``pad = (-size) % 8`` split as ``pad // 2`` before and ``pad - pad // 2`` after, on both axes.

    Attributes:
        left: columns added on the left; right, top, bottom likewise.
    """

    left: int
    right: int
    top: int
    bottom: int

    @classmethod
    def for_size(cls, height: int, width: int, multiple: int = 8) -> InputPadding:
        """The padding that makes (height, width) divisible by ``multiple``."""
        ph, pw = (-height) % multiple, (-width) % multiple
        return cls(left=pw // 2, right=pw - pw // 2, top=ph // 2, bottom=ph - ph // 2)

    def pad(self, images: Tensor) -> Tensor:
        """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), edge pixels replicated."""
        return F.pad(images, [self.left, self.right, self.top, self.bottom], mode="replicate")

    def unpad(self, images: Tensor) -> Tensor:
        """Crop what :meth:`pad` added: (N, C, H', W') -> (N, C, H, W)."""
        h, w = images.shape[-2:]
        return images[..., self.top : h - self.bottom, self.left : w - self.right]
