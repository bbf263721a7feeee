"""The iterative update operator of RAFT (Teed & Deng 2020, Sec. 3.3): motion encoder, ConvGRU, flow head
and the convex-upsampling mask head.

One update step, for hidden state h, context features c, correlation features C(x') and current flow f:

* motion features ``m = MotionEncoder(f, C(x'))`` (two conv branches, concatenated with f itself);
* ``x_t = [c, m]`` (GMA appends an aggregated copy of m, see :mod:`flowpose.flow.gma`);
* ConvGRU, Sec. 3.3::

      z_t = sigma(Conv([h_{t-1}, x_t], W_z))
      r_t = sigma(Conv([h_{t-1}, x_t], W_r))
      q_t = tanh(Conv([r_t * h_{t-1}, x_t], W_h))
      h_t = (1 - z_t) * h_{t-1} + z_t * q_t

  RAFT (large) runs it twice with separable 1x5 then 5x1 kernels (:class:`SepConvGRU`), RAFT-small once
  with 3x3 kernels (:class:`ConvGRU`);
* ``delta_f = FlowHead(h_t)`` (two 3x3 convs), and, for convex upsampling, a mask
  ``M = 0.25 * MaskHead(h_t)``.

Module names follow the official checkpoints (``encoder.convc1``, ``gru.convz1``, ``mask.0`` ...).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from flowpose.errors import InputError


class UpdateOutput(NamedTuple):
    """Result of one update step.

    Attributes:
        hidden: (N, hidden_dim, H, W) the new GRU state h_t.
        mask: (N, 9 * 8 * 8, H, W) convex-upsampling weights (logits), or None for blocks without a mask head.
        delta_flow: (N, 2, H, W) flow increment in 1/8-resolution pixels.
    """

    hidden: Tensor
    mask: Tensor | None
    delta_flow: Tensor


def conv_gru_step(h: Tensor, x: Tensor, convz: nn.Conv2d, convr: nn.Conv2d, convq: nn.Conv2d) -> Tensor:
    """One convolutional GRU update (RAFT Sec. 3.3, the four equations in the module docstring).

    Args:
        h: hidden state h_{t-1}.
        x: input x_t.
        convz: update-gate convolution W_z, (Ch + Cx) -> Ch.
        convr: reset-gate convolution W_r, (Ch + Cx) -> Ch.
        convq: candidate convolution W_h, (Ch + Cx) -> Ch.

    Returns:
        h_t.

    Shape:
        h (N, Ch, H, W), x (N, Cx, H, W) -> (N, Ch, H, W).
    """
    hx = torch.cat([h, x], dim=1)
    z = torch.sigmoid(convz(hx))
    r = torch.sigmoid(convr(hx))
    q = torch.tanh(convq(torch.cat([r * h, x], dim=1)))
    return (1 - z) * h + z * q


class ConvGRU(nn.Module):
    """The 3x3 convolutional GRU, part of RAFT-small's update block.

    Args:
        hidden_dim: channels of h.
        input_dim: channels of x.

    Shape:
        h (N, hidden_dim, H, W), x (N, input_dim, H, W) -> (N, hidden_dim, H, W).
    """

    def __init__(self, *, hidden_dim: int, input_dim: int) -> None:
        super().__init__()
        self.convz = nn.Conv2d(hidden_dim + input_dim, hidden_dim, 3, padding=1)
        self.convr = nn.Conv2d(hidden_dim + input_dim, hidden_dim, 3, padding=1)
        self.convq = nn.Conv2d(hidden_dim + input_dim, hidden_dim, 3, padding=1)

    def forward(self, h: Tensor, x: Tensor) -> Tensor:
        """h_t from h_{t-1} and x_t; see :func:`conv_gru_step`."""
        return conv_gru_step(h, x, self.convz, self.convr, self.convq)


class SepConvGRU(nn.Module):
    """Two GRU updates, 1x5 (horizontal) then 5x1 (vertical), part of RAFT's and GMA's update blocks.

    Sec. 3.3: replacing the 3x3 convolutions by a separable pair enlarges the receptive field cheaply.

    Args:
        hidden_dim: channels of h.
        input_dim: channels of x.

    Shape:
        h (N, hidden_dim, H, W), x (N, input_dim, H, W) -> (N, hidden_dim, H, W).
    """

    def __init__(self, *, hidden_dim: int, input_dim: int) -> None:
        super().__init__()
        c = hidden_dim + input_dim
        self.convz1 = nn.Conv2d(c, hidden_dim, (1, 5), padding=(0, 2))
        self.convr1 = nn.Conv2d(c, hidden_dim, (1, 5), padding=(0, 2))
        self.convq1 = nn.Conv2d(c, hidden_dim, (1, 5), padding=(0, 2))
        self.convz2 = nn.Conv2d(c, hidden_dim, (5, 1), padding=(2, 0))
        self.convr2 = nn.Conv2d(c, hidden_dim, (5, 1), padding=(2, 0))
        self.convq2 = nn.Conv2d(c, hidden_dim, (5, 1), padding=(2, 0))

    def forward(self, h: Tensor, x: Tensor) -> Tensor:
        """h_t from h_{t-1} and x_t: the horizontal then the vertical GRU update."""
        h = conv_gru_step(h, x, self.convz1, self.convr1, self.convq1)
        return conv_gru_step(h, x, self.convz2, self.convr2, self.convq2)


class FlowHead(nn.Module):
    """Two 3x3 convolutions mapping the GRU state to a flow increment, part of the update block.

    Args:
        input_dim: channels of h.
        hidden_dim: channels between the two convolutions (256 for RAFT, 128 for RAFT-small).

    Shape:
        (N, input_dim, H, W) -> (N, 2, H, W).
    """

    def __init__(self, *, input_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(input_dim, hidden_dim, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden_dim, 2, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, h: Tensor) -> Tensor:
        """delta_f = conv2(relu(conv1(h)))."""
        return self.conv2(self.relu(self.conv1(h)))


class BasicMotionEncoder(nn.Module):
    """Encodes correlation features and the current flow (128 channels), part of RAFT's update block.

    ``m = [relu(conv([relu(convc2(relu(convc1(C)))), relu(convf2(relu(convf1(f))))])), f]``: 126 learned
    channels plus the flow itself.

    Args:
        corr_channels: channels of the correlation lookup, ``L*(2r+1)^2`` (324).

    Shape:
        flow (N, 2, H, W), corr (N, corr_channels, H, W) -> (N, 128, H, W).
    """

    out_channels = 128

    def __init__(self, *, corr_channels: int) -> None:
        super().__init__()
        self.convc1 = nn.Conv2d(corr_channels, 256, 1, padding=0)
        self.convc2 = nn.Conv2d(256, 192, 3, padding=1)
        self.convf1 = nn.Conv2d(2, 128, 7, padding=3)
        self.convf2 = nn.Conv2d(128, 64, 3, padding=1)
        self.conv = nn.Conv2d(64 + 192, 128 - 2, 3, padding=1)

    def forward(self, flow: Tensor, corr: Tensor) -> Tensor:
        """Motion features; see the class docstring."""
        cor = F.relu(self.convc2(F.relu(self.convc1(corr))))
        flo = F.relu(self.convf2(F.relu(self.convf1(flow))))
        out = F.relu(self.conv(torch.cat([cor, flo], dim=1)))
        return torch.cat([out, flow], dim=1)


class SmallMotionEncoder(nn.Module):
    """The motion encoder of RAFT-small: one correlation conv, two flow convs, 80 + 2 output channels.

    Args:
        corr_channels: channels of the correlation lookup, ``L*(2r+1)^2`` (196).

    Shape:
        flow (N, 2, H, W), corr (N, corr_channels, H, W) -> (N, 82, H, W).
    """

    out_channels = 82

    def __init__(self, *, corr_channels: int) -> None:
        super().__init__()
        self.convc1 = nn.Conv2d(corr_channels, 96, 1, padding=0)
        self.convf1 = nn.Conv2d(2, 64, 7, padding=3)
        self.convf2 = nn.Conv2d(64, 32, 3, padding=1)
        self.conv = nn.Conv2d(128, 80, 3, padding=1)

    def forward(self, flow: Tensor, corr: Tensor) -> Tensor:
        """Motion features; see the class docstring."""
        cor = F.relu(self.convc1(corr))
        flo = F.relu(self.convf2(F.relu(self.convf1(flow))))
        out = F.relu(self.conv(torch.cat([cor, flo], dim=1)))
        return torch.cat([out, flow], dim=1)


MASK_SCALE = 0.25
"""Factor on the mask-head output. Not in the paper: the official code multiplies by 0.25 "to balance
gradients" (https://github.com/princeton-vl/RAFT/issues/119); the released weights expect it."""


def make_mask_head(*, hidden_dim: int, factor: int = 8) -> nn.Sequential:
    """The mask head predicting convex-upsampling weights (Sec. 3.3, "Upsampling"), part of the update block.

    Two convolutions: 3x3 to 256 channels, ReLU, 1x1 to ``9 * factor^2`` (the 3x3 neighbourhood weights of
    every one of the factor x factor sub-pixels). A Sequential so that the keys are ``mask.0`` / ``mask.2``.

    Args:
        hidden_dim: channels of the GRU state.
        factor: upsampling factor (8).

    Returns:
        The head: (N, hidden_dim, H, W) -> (N, 9 * factor^2, H, W).
    """
    return nn.Sequential(
        nn.Conv2d(hidden_dim, 256, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(256, 9 * factor**2, 1, padding=0),
    )


def _no_attention(block: str, attention: Tensor | None) -> None:
    if attention is not None:
        raise InputError(f"{block} takes no attention (only GMA's update block does); got a tensor")


class BasicUpdateBlock(nn.Module):
    """The update operator of RAFT (large): motion encoder, separable ConvGRU, flow head and mask head.

    Args:
        corr_channels: channels of the correlation lookup (324).
        hidden_dim: channels of the GRU state (128).
        context_dim: channels of the context features (128).

    Shape:
        hidden (N, hidden_dim, H, W), context (N, context_dim, H, W), corr (N, corr_channels, H, W),
        flow (N, 2, H, W) -> :class:`UpdateOutput`.
    """

    def __init__(self, *, corr_channels: int = 324, hidden_dim: int = 128, context_dim: int = 128) -> None:
        super().__init__()
        self.encoder = BasicMotionEncoder(corr_channels=corr_channels)
        self.gru = SepConvGRU(hidden_dim=hidden_dim, input_dim=context_dim + BasicMotionEncoder.out_channels)
        self.flow_head = FlowHead(input_dim=hidden_dim, hidden_dim=256)
        self.mask = make_mask_head(hidden_dim=hidden_dim)

    def forward(
        self, hidden: Tensor, context: Tensor, corr: Tensor, flow: Tensor, attention: Tensor | None = None
    ) -> UpdateOutput:
        """One update step (module docstring); ``attention`` must be None."""
        _no_attention("BasicUpdateBlock", attention)
        motion = self.encoder(flow, corr)
        hidden = self.gru(hidden, torch.cat([context, motion], dim=1))
        return UpdateOutput(hidden, MASK_SCALE * self.mask(hidden), self.flow_head(hidden))


class SmallUpdateBlock(nn.Module):
    """The update operator of RAFT-small: small motion encoder, 3x3 ConvGRU, flow head; no mask head.

    Args:
        corr_channels: channels of the correlation lookup (196).
        hidden_dim: channels of the GRU state (96).
        context_dim: channels of the context features (64).

    Shape:
        hidden (N, hidden_dim, H, W), context (N, context_dim, H, W), corr (N, corr_channels, H, W),
        flow (N, 2, H, W) -> :class:`UpdateOutput` with ``mask=None``.
    """

    def __init__(self, *, corr_channels: int = 196, hidden_dim: int = 96, context_dim: int = 64) -> None:
        super().__init__()
        self.encoder = SmallMotionEncoder(corr_channels=corr_channels)
        self.gru = ConvGRU(hidden_dim=hidden_dim, input_dim=context_dim + SmallMotionEncoder.out_channels)
        self.flow_head = FlowHead(input_dim=hidden_dim, hidden_dim=128)

    def forward(
        self, hidden: Tensor, context: Tensor, corr: Tensor, flow: Tensor, attention: Tensor | None = None
    ) -> UpdateOutput:
        """One update step (module docstring); ``attention`` must be None."""
        _no_attention("SmallUpdateBlock", attention)
        motion = self.encoder(flow, corr)
        hidden = self.gru(hidden, torch.cat([context, motion], dim=1))
        return UpdateOutput(hidden, None, self.flow_head(hidden))
