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

DIS_PRESETS: dict[str, tuple[int, int | None]] = {
    "ultrafast": (cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, None),
    "fast": (cv2.DISOPTICAL_FLOW_PRESET_FAST, None),
    "medium": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, None),
    "fine": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 0),
}
"""DIS presets, from fastest to most accurate: OpenCV's preset and the finest pyramid level searched (None:
the preset's). OpenCV's presets stop the patch search at half resolution or coarser (``medium``: level 1), made
for full video frames. On a person crop of 128 px that is a 64 px image, and a limb is a few pixels wide; ``fine``
searches down to the crop's own resolution (level 0). On the held-out tuning clip's 128 px crops that lowers the
human-pixel EPE from 1.15 to 0.67 px for twice DIS's time, still about a second for 60 frame pairs both ways
(``benchmarks/RESULTS.md``)."""


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
        preset: one of :data:`DIS_PRESETS`: ``"fine"`` (default, most accurate), ``"medium"``, ``"fast"`` or
            ``"ultrafast"``.

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

    def __init__(self, preset: str = "fine") -> None:
        super().__init__()
        if preset not in DIS_PRESETS:
            raise InputError(f"DIS preset must be one of {list(DIS_PRESETS)}, got {preset!r}")
        self.preset = preset
        opencv_preset, finest_scale = DIS_PRESETS[preset]
        # OpenCV objects are not thread-safe nor picklable; one per module, created here.
        self._dis = cv2.DISOpticalFlow_create(opencv_preset)
        if finest_scale is not None:
            self._dis.setFinestScale(finest_scale)

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
