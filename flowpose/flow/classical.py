"""DIS optical flow (Kroeger et al., "Fast Optical Flow using Dense Inverse Search", ECCV 2016) via OpenCV.

A classical, training-free baseline behind the same interface as the flow networks, so that every consumer
(:func:`flowpose.flow.infer.compute_video_flow`, the benchmarks, the command line) can swap it in. It cannot
be fine-tuned (``trainable = False``).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn

from flowpose.errors import InputError, ShapeError

DIS_PRESETS: dict[str, int] = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
"""OpenCV's DIS presets, from fastest to most accurate."""


def rgb_to_gray_u8(image: torch.Tensor) -> np.ndarray:
    """One RGB image in [0, 255] to 8-bit grayscale, as DIS expects.

    Values are rounded and clipped to [0, 255], then converted with OpenCV's ITU-R BT.601 luma weights
    ``Y = 0.299 R + 0.587 G + 0.114 B`` (``cv2.COLOR_RGB2GRAY``). Channel order is RGB, as everywhere in
    flowpose.

    Args:
        image: (3, H, W) float RGB in [0, 255].

    Returns:
        (H, W) uint8 grayscale.
    """
    rgb = image.detach().permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).cpu().numpy()
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


class DISFlow(nn.Module):
    """Dense Inverse Search optical flow, a classical flow backend with the flow networks' interface.

    It is an ``nn.Module`` without parameters only so that ``.to(device)`` and ``.eval()`` work as for the
    networks; the computation runs on the CPU in OpenCV, and results are moved back to the inputs' device.

    Args:
        preset: ``"medium"`` (default, most accurate), ``"fast"`` or ``"ultrafast"``.

    Raises:
        InputError: for an unknown preset.

    Example:
        >>> dis = DISFlow("fast")
        >>> img = torch.rand(1, 3, 32, 32) * 255
        >>> dis.predict(img, img).shape
        torch.Size([1, 2, 32, 32])
    """

    name = "dis"
    trainable = False

    def __init__(self, preset: str = "medium") -> None:
        super().__init__()
        if preset not in DIS_PRESETS:
            raise InputError(f"DIS preset must be one of {list(DIS_PRESETS)}, got {preset!r}")
        self.preset = preset
        # OpenCV objects are not thread-safe nor picklable; one per module, created here.
        self._dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])

    @torch.no_grad()
    def predict(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> torch.Tensor:
        """Forward flow from ``image1`` to ``image2``.

        Args:
            image1: (N, 3, H, W) float RGB in [0, 255], any size.
            image2: (N, 3, H, W) float RGB in [0, 255].
            iters: ignored; DIS has no recurrent iterations (kept for the networks' interface).

        Returns:
            (N, 2, H, W) flow (u, v) in pixels, float32, on the inputs' device.

        Raises:
            ShapeError: if the images are not (N, 3, H, W) of equal shape.
        """
        del iters  # DIS's effort is set by its preset instead.
        if image1.ndim != 4 or image1.shape[1] != 3:
            raise ShapeError("image1", "(N, 3, H, W)", image1.shape)
        if image2.shape != image1.shape:
            raise ShapeError("image2", str(tuple(image1.shape)), image2.shape)
        flows = [
            self._dis.calc(rgb_to_gray_u8(a), rgb_to_gray_u8(b), None)
            for a, b in zip(image1, image2, strict=True)
        ]
        out = torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2).contiguous()
        return out.to(image1.device)

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> torch.Tensor:
        """Same as :meth:`predict` (DIS has no training-time outputs)."""
        return self.predict(image1, image2, iters=iters)

    def extra_repr(self) -> str:
        """Show the preset in ``repr``."""
        return f"preset={self.preset!r}"
