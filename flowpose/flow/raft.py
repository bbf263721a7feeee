"""RAFT: Recurrent All-Pairs Field Transforms (Teed & Deng, ECCV 2020), composed from injected parts.

    image1, image2 ──► feature encoder g ──► correlation pyramid (corr.py)
    image1 ─────────► context encoder h ──► h_0 = tanh(.), context c = relu(.)
    f_0 = 0 (or flow_init); for t = 0..iters-1:
        C_t = lookup(pyramid, x + f_t);  (h, M, delta) = update_block(h, c, C_t, f_t)
        f_{t+1} = f_t + delta                      # Sec. 3.3, F(t+1) = F(t) + Delta(t)
        full-resolution flow_t = upsample(f_{t+1}, M)   (convex, Sec. 3.3 "Upsampling", or bilinear x8)

:class:`RAFT` holds the parts under the official attribute names (``fnet``, ``cnet``, ``update_block`` and,
for GMA, ``att``), so its ``state_dict`` equals the official checkpoints' key for key (without the
``module.`` prefix; :mod:`flowpose.flow.checkpoint` strips it). Builders: :func:`raft_large`,
:func:`raft_small`; GMA is :func:`flowpose.flow.gma.gma`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import Tensor, nn

from flowpose.errors import InputError, ShapeError
from flowpose.flow.corr import CorrBlock
from flowpose.flow.encoders import BasicEncoder, SmallEncoder
from flowpose.flow.grids import (
    InputPadding,
    Upsampler,
    bilinear_upsample,
    convex_upsample,
    coords_grid,
    normalize_images,
)
from flowpose.flow.update import BasicUpdateBlock, SmallUpdateBlock


@dataclass
class RAFTOutput:
    """Everything one RAFT run produces.

    Attributes:
        flow_predictions: full-resolution flow (N, 2, H, W) in pixels after each iteration, first to last.
        flow_low: (N, 2, H/8, W/8) the last flow at 1/8 resolution, in 1/8-resolution pixels (the official
            ``test_mode`` first output; the warm start for the next frame pair).
    """

    flow_predictions: list[Tensor]
    flow_low: Tensor


@dataclass
class Encoded:
    """One batch of frame pairs after RAFT's encoders: what every iteration reads.

    Attributes:
        pyramid: correlation pyramid levels, (N*h*w, 1, h/2^l, w/2^l) (see :mod:`flowpose.flow.corr`).
        hidden: (N, hidden_dim, h, w) initial GRU state, tanh of the context encoder's first part.
        context: (N, context_dim, h, w) context features, ReLU of its second part.
        attention: GMA's attention over the context, or None for RAFT.
    """

    pyramid: list[Tensor]
    hidden: Tensor
    context: Tensor
    attention: Tensor | None


@contextmanager
def _eval_mode(module: nn.Module) -> Iterator[None]:
    """Put every submodule in eval mode and afterwards restore each one's own flag (e.g. frozen BatchNorm)."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


class RAFT(nn.Module):
    """RAFT optical flow, assembled from its parts (STYLE #3); also hosts GMA through ``attention``.

    Args:
        feature_encoder: g, applied to both frames -> (N, D, H/8, W/8); stored as ``fnet``.
        context_encoder: h, applied to frame 1 -> (N, hidden_dim + context_dim, H/8, W/8); stored as ``cnet``.
        corr_block: correlation pyramid configuration (levels and radius).
        update_block: the update operator, ``(h, c, corr, flow, attention) -> UpdateOutput``.
        hidden_dim: channels of the GRU state (first part of the context encoder's output, tanh).
        context_dim: channels of the context features (second part, ReLU).
        upsampler: 1/8 -> full resolution, :func:`convex_upsample` or :func:`bilinear_upsample`.
        attention: GMA's attention over context features (stored as ``att``), computed once per pair and
            passed to the update block; None for RAFT.
        name: registry name, e.g. ``"raft"``.

    Attributes:
        name: registry name.
        trainable: True (the refinement loop may fine-tune it).

    Shape:
        image1, image2 (N, 3, H, W) float in [0, 255] -> list of (N, 2, H, W) flows in pixels.
    """

    trainable = True

    def __init__(
        self,
        *,
        feature_encoder: nn.Module,
        context_encoder: nn.Module,
        corr_block: CorrBlock,
        update_block: nn.Module,
        hidden_dim: int,
        context_dim: int,
        upsampler: Upsampler,
        attention: nn.Module | None = None,
        name: str = "raft",
    ) -> None:
        super().__init__()
        # Registration order fnet, cnet, update_block, att = official state_dict order.
        self.fnet = feature_encoder
        self.cnet = context_encoder
        self.update_block = update_block
        self.att = attention
        self.corr_block = corr_block
        self.hidden_dim = hidden_dim
        self.context_dim = context_dim
        self.upsampler = upsampler
        self.name = name

    def _check_pair(self, image1: Tensor, image2: Tensor) -> None:
        if image1.dim() != 4 or image1.shape[1] != 3:
            raise ShapeError("image1", "(N, 3, H, W)", image1.shape, self.name)
        if image2.shape != image1.shape:
            raise ShapeError("image2", f"equal to image1 {tuple(image1.shape)}", image2.shape, self.name)

    def _check_size(self, h: int, w: int) -> None:
        if h % 8 or w % 8:
            raise InputError(
                f"{self.name}: image height and width must be divisible by 8, got {h} (h) and {w} (w);"
                " use predict(), which pads"
            )
        smallest = 8 * 2 ** (self.corr_block.num_levels - 1)
        if min(h, w) < smallest:
            raise InputError(
                f"{self.name}: images must be at least {smallest} px on each side (after padding) for a "
                f"{self.corr_block.num_levels}-level correlation pyramid, got {h}x{w}"
            )

    def forward_with_low(
        self, image1: Tensor, image2: Tensor, *, iters: int = 12, flow_init: Tensor | None = None
    ) -> RAFTOutput:
        """Run RAFT and return every iteration's full-resolution flow and the final 1/8-resolution flow.

        Args:
            image1: first frames, float RGB in [0, 255].
            image2: second frames.
            iters: number of update iterations (>= 1).
            flow_init: optional warm start at 1/8 resolution, in 1/8-resolution pixels.

        Returns:
            :class:`RAFTOutput`.

        Raises:
            ShapeError: if the images are not (N, 3, H, W) of equal shape, or flow_init is not
                (N, 2, H/8, W/8).
            InputError: if H or W is not divisible by 8, the images are too small, or iters < 1.

        Shape:
            (N, 3, H, W), (N, 3, H, W) -> flow_predictions [(N, 2, H, W)] * iters, flow_low (N, 2, H/8, W/8).
        """
        return self._run(image1, image2, iters=iters, flow_init=flow_init, upsample_all=True)

    def forward(
        self, image1: Tensor, image2: Tensor, *, iters: int = 12, flow_init: Tensor | None = None
    ) -> list[Tensor]:
        """The full-resolution flow (N, 2, H, W) after each iteration (the sequence-loss input).

        Same arguments, shapes and errors as :meth:`forward_with_low`.
        """
        return self.forward_with_low(image1, image2, iters=iters, flow_init=flow_init).flow_predictions

    def encode(self, image1: Tensor, image2: Tensor) -> "Encoded":
        """The per-pair work before the iterations: features of both frames, context and (GMA) attention of
        the first, and the correlation pyramid.

        Shape:
            (N, 3, H, W) float RGB in [0, 255] twice, H and W divisible by 8 -> :class:`Encoded` at H/8, W/8.
        """
        self._check_pair(image1, image2)
        self._check_size(*image1.shape[-2:])
        n = image1.shape[0]
        image1, image2 = normalize_images(image1).contiguous(), normalize_images(image2).contiguous()
        # Both frames go through g as one batch, as upstream (identical for instance norm, and faster).
        fmap1, fmap2 = torch.split(self.fnet(torch.cat([image1, image2], dim=0)), [n, n], dim=0)
        hidden, context = torch.split(self.cnet(image1), [self.hidden_dim, self.context_dim], dim=1)
        return self.encoded_from(fmap1, fmap2, hidden, context)

    def encoded_from(self, fmap1: Tensor, fmap2: Tensor, hidden: Tensor, context: Tensor) -> "Encoded":
        """:class:`Encoded` from raw encoder outputs (``hidden``, ``context``: the context encoder's split
        output before tanh / ReLU), e.g. cached ones; builds the pyramid and GMA's attention."""
        hidden, context = torch.tanh(hidden), torch.relu(context)
        attention = self.att(context) if self.att is not None else None
        return Encoded(self.corr_block.pyramid(fmap1, fmap2), hidden, context, attention)

    def decode(
        self, encoded: "Encoded", *, iters: int, flow_init: Tensor | None = None, upsample_all: bool = True
    ) -> RAFTOutput:
        """The iterations of Sec. 3.3 from an :class:`Encoded` pair (see :meth:`forward_with_low`).

        Args:
            encoded: from :meth:`encode` or :meth:`encoded_from`.
            iters: update iterations (>= 1).
            flow_init: warm start (N, 2, H/8, W/8) in 1/8-resolution pixels, or None for zero flow.
            upsample_all: upsample every iteration's flow (training) or only the last (inference).
        """
        if iters < 1:
            raise InputError(f"{self.name}: iters must be >= 1, got {iters}")
        hidden, context, attention = encoded.hidden, encoded.context, encoded.attention
        n, _, h8, w8 = hidden.shape
        coords0 = coords_grid(n, h8, w8, device=hidden.device, dtype=hidden.dtype)
        coords1 = coords0.clone()
        if flow_init is not None:
            if flow_init.shape != coords0.shape:
                expected = f"(N, 2, H/8, W/8) = {tuple(coords0.shape)}"
                raise ShapeError("flow_init", expected, flow_init.shape, self.name)
            coords1 = coords1 + flow_init
        predictions: list[Tensor] = []
        for t in range(iters):
            coords1 = coords1.detach()  # gradients flow through delta only, as in the paper's training
            corr = self.corr_block.lookup(encoded.pyramid, coords1)
            step = self.update_block(hidden, context, corr, coords1 - coords0, attention)
            hidden = step.hidden
            coords1 = coords1 + step.delta_flow  # F(t+1) = F(t) + Delta(t)
            if upsample_all or t == iters - 1:
                predictions.append(self.upsampler(coords1 - coords0, step.mask))
        return RAFTOutput(flow_predictions=predictions, flow_low=coords1 - coords0)

    def _run(
        self, image1: Tensor, image2: Tensor, *, iters: int, flow_init: Tensor | None, upsample_all: bool
    ) -> RAFTOutput:
        return self.decode(self.encode(image1, image2), iters=iters, flow_init=flow_init, upsample_all=upsample_all)

    def predict(self, image1: Tensor, image2: Tensor, *, iters: int = 12) -> Tensor:
        """Flow for image pairs of any size, in inference mode.

        Pads to a multiple of 8 by edge replication, split evenly (the official ``InputPadder`` default,
        "sintel" mode), runs without gradients with every submodule in eval mode (the previous train/eval
        flags are restored afterwards), and crops the padding off. Integer images are cast to float.

        Args:
            image1: first frames, RGB in [0, 255].
            image2: second frames.
            iters: number of update iterations.

        Returns:
            The final flow in pixels of the input images (channel 0 = x/u, 1 = y/v).

        Raises:
            ShapeError: if the images are not (N, 3, H, W) of equal shape.
            InputError: if they are smaller than 64 px per side after padding, or iters < 1.

        Shape:
            (N, 3, H, W), (N, 3, H, W) -> (N, 2, H, W).
        """
        self._check_pair(image1, image2)
        dtype = next(self.parameters()).dtype
        if not image1.is_floating_point():
            image1, image2 = image1.to(dtype), image2.to(dtype)
        padding = InputPadding.for_size(*image1.shape[-2:])
        with torch.no_grad(), _eval_mode(self):
            image1, image2 = padding.pad(image1), padding.pad(image2)
            out = self._run(image1, image2, iters=iters, flow_init=None, upsample_all=False)
        return padding.unpad(out.flow_predictions[-1])


def raft_large() -> RAFT:
    """RAFT (5.3M parameters), the architecture of ``raft-things.pth`` / ``raft-sintel.pth``; random weights.

    Feature encoder: BasicEncoder(256, instance norm); context: BasicEncoder(256, batch norm) split 128/128;
    correlation 4 levels, radius 4 (324 channels); BasicUpdateBlock; convex upsampling.

    Example:
        >>> raft_large()(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64), iters=1)[0].shape
        torch.Size([1, 2, 64, 64])
    """
    corr = CorrBlock(num_levels=4, radius=4)
    return RAFT(
        feature_encoder=BasicEncoder(output_dim=256, norm="instance"),
        context_encoder=BasicEncoder(output_dim=256, norm="batch"),
        corr_block=corr,
        update_block=BasicUpdateBlock(corr_channels=corr.out_channels, hidden_dim=128, context_dim=128),
        hidden_dim=128,
        context_dim=128,
        upsampler=convex_upsample,
        name="raft",
    )


def raft_small() -> RAFT:
    """RAFT-small (1.0M parameters), the architecture of ``raft-small.pth``; random weights.

    Feature encoder: SmallEncoder(128, instance norm); context: SmallEncoder(160, no norm) split 96/64;
    correlation 4 levels, radius 3 (196 channels); SmallUpdateBlock; bilinear x8 upsampling.

    Example:
        >>> raft_small()(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64), iters=1)[0].shape
        torch.Size([1, 2, 64, 64])
    """
    corr = CorrBlock(num_levels=4, radius=3)
    return RAFT(
        feature_encoder=SmallEncoder(output_dim=128, norm="instance"),
        context_encoder=SmallEncoder(output_dim=96 + 64, norm="none"),
        corr_block=corr,
        update_block=SmallUpdateBlock(corr_channels=corr.out_channels, hidden_dim=96, context_dim=64),
        hidden_dim=96,
        context_dim=64,
        upsampler=bilinear_upsample,
        name="raft-small",
    )
