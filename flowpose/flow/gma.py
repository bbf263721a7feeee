"""GMA: Global Motion Aggregation (Jiang et al., ICCV 2021, "Learning to Estimate Hidden Motions with Global
Motion Aggregation"), on top of RAFT.

Sec. 3.2 of the paper: self-attention over the *context* features of frame 1 decides which pixels move
together; the motion features of those pixels are aggregated, so occluded pixels borrow the motion of
visible ones with similar appearance::

    attn  = softmax_j( (W_q c_i)^T (W_k c_j) / sqrt(D) )          (Eq. 1-2, computed once per image pair)
    m^_i  = m_i + alpha * sum_j attn_ij W_v m_j                    (Eq. 3, alpha = learned ``gamma``, init 0)
    x_t   = [c, m, m^]  -> SepConvGRU                              (Fig. 2)

Only the released configuration is implemented: content-only attention (``position_only=False``,
``position_and_content=False``), one head, ``dim_head = 128``. The relative position embedding of the
other modes (``att.pos_emb``) is still registered, unused, because the official checkpoints contain it.
Module names and order follow zacjiang/GMA so that ``gma-things.pth`` loads with ``strict=True``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from flowpose.errors import InputError
from flowpose.flow.corr import CorrBlock
from flowpose.flow.encoders import BasicEncoder
from flowpose.flow.grids import convex_upsample
from flowpose.flow.raft import RAFT
from flowpose.flow.update import (
    MASK_SCALE,
    BasicMotionEncoder,
    FlowHead,
    SepConvGRU,
    UpdateOutput,
    make_mask_head,
)


class RelPosEmb(nn.Module):
    """Relative position embeddings (GMA's position modes), part of :class:`Attention`; unused here.

    Kept for checkpoint compatibility: ``rel_height``/``rel_width`` embed the offsets -(P-1)..P-1 and the
    buffer ``rel_ind[i, j] = j - i + P - 1`` indexes them.

    Args:
        max_pos_size: P, the largest feature-map side supported by the position modes (160).
        dim_head: embedding width.
    """

    def __init__(self, *, max_pos_size: int, dim_head: int) -> None:
        super().__init__()
        self.rel_height = nn.Embedding(2 * max_pos_size - 1, dim_head)
        self.rel_width = nn.Embedding(2 * max_pos_size - 1, dim_head)
        pos = torch.arange(max_pos_size)
        self.register_buffer("rel_ind", pos.view(1, -1) - pos.view(-1, 1) + max_pos_size - 1)


class Attention(nn.Module):
    """Content self-attention over context features (GMA Eq. 1-2), the ``att`` part of GMA.

    Args:
        dim: channels of the context features (128).
        heads: attention heads (1 in the released models).
        dim_head: channels per head of queries and keys (128).
        max_pos_size: size of the (unused) relative position tables (160).

    Shape:
        (N, dim, H, W) -> (N, heads, H*W, H*W) rows summing to 1; pixels flattened row-major (i*W + j).
    """

    def __init__(
        self, *, dim: int = 128, heads: int = 1, dim_head: int = 128, max_pos_size: int = 160
    ) -> None:
        super().__init__()
        self.heads = heads
        self.dim_head = dim_head
        self.scale = dim_head**-0.5
        self.to_qk = nn.Conv2d(dim, 2 * heads * dim_head, 1, bias=False)
        self.pos_emb = RelPosEmb(max_pos_size=max_pos_size, dim_head=dim_head)

    def forward(self, context: Tensor) -> Tensor:
        """The attention matrix; see the class docstring."""
        n, _, h, w = context.shape
        q, k = self.to_qk(context).chunk(2, dim=1)
        q = q.reshape(n, self.heads, self.dim_head, h * w).transpose(-1, -2) * self.scale  # (N, heads, HW, d)
        k = k.reshape(n, self.heads, self.dim_head, h * w)  # (N, heads, d, HW)
        return torch.softmax(torch.matmul(q, k), dim=-1)


class Aggregate(nn.Module):
    """Global motion aggregation (GMA Eq. 3), part of GMA's update block.

    ``out = m + gamma * (attn @ W_v m)``; ``gamma`` starts at 0 so training begins from RAFT's behaviour.

    Args:
        dim: channels of the motion features (128).
        heads: attention heads (1).
        dim_head: channels per head of the values (128).

    Shape:
        attn (N, heads, H*W, H*W), motion (N, dim, H, W) -> (N, dim, H, W).
    """

    def __init__(self, *, dim: int = 128, heads: int = 1, dim_head: int = 128) -> None:
        super().__init__()
        self.heads = heads
        self.dim_head = dim_head
        inner = heads * dim_head
        self.gamma = nn.Parameter(torch.zeros(1))
        self.to_v = nn.Conv2d(dim, inner, 1, bias=False)
        # A 1x1 projection back to ``dim`` exists upstream only when dim != heads*dim_head (not released).
        self.project = nn.Conv2d(inner, dim, 1, bias=False) if inner != dim else None

    def forward(self, attn: Tensor, motion: Tensor) -> Tensor:
        """Aggregated motion features; see the class docstring."""
        n, _, h, w = motion.shape
        v = self.to_v(motion).reshape(n, self.heads, self.dim_head, h * w)
        v = v.transpose(-1, -2)  # (N, heads, HW, d)
        out = torch.matmul(attn, v).transpose(-1, -2).reshape(n, self.heads * self.dim_head, h, w)
        if self.project is not None:
            out = self.project(out)
        return motion + self.gamma * out


class GMAUpdateBlock(nn.Module):
    """GMA's update operator: RAFT's motion encoder, aggregation, a SepConvGRU fed [c, m, m^], heads.

    Args:
        corr_channels: channels of the correlation lookup (324).
        hidden_dim: channels of the GRU state (128).
        context_dim: channels of the context features (128).
        heads: attention heads (1).

    Shape:
        hidden (N, hidden_dim, H, W), context (N, context_dim, H, W), corr (N, corr_channels, H, W),
        flow (N, 2, H, W), attention (N, heads, H*W, H*W) -> :class:`UpdateOutput`.
    """

    def __init__(
        self, *, corr_channels: int = 324, hidden_dim: int = 128, context_dim: int = 128, heads: int = 1
    ) -> None:
        super().__init__()
        motion_dim = BasicMotionEncoder.out_channels
        self.encoder = BasicMotionEncoder(corr_channels=corr_channels)
        self.gru = SepConvGRU(hidden_dim=hidden_dim, input_dim=context_dim + 2 * motion_dim)
        self.flow_head = FlowHead(input_dim=hidden_dim, hidden_dim=256)
        self.mask = make_mask_head(hidden_dim=hidden_dim)
        self.aggregator = Aggregate(dim=motion_dim, heads=heads, dim_head=motion_dim)

    def forward(
        self, hidden: Tensor, context: Tensor, corr: Tensor, flow: Tensor, attention: Tensor | None = None
    ) -> UpdateOutput:
        """One update step with global motion aggregation.

        Raises:
            InputError: if ``attention`` is None.
        """
        if attention is None:
            raise InputError("GMAUpdateBlock needs the attention matrix of the context features; got None")
        motion = self.encoder(flow, corr)
        motion_global = self.aggregator(attention, motion)
        hidden = self.gru(hidden, torch.cat([context, motion, motion_global], dim=1))
        return UpdateOutput(hidden, MASK_SCALE * self.mask(hidden), self.flow_head(hidden))


def gma() -> RAFT:
    """GMA (5.9M parameters), the architecture of ``gma-things.pth`` / ``gma-sintel.pth``; random weights.

    RAFT (large) encoders, correlation (4 levels, radius 4) and convex upsampling, with
    :class:`GMAUpdateBlock` and :class:`Attention` (1 head) injected.

    Example:
        >>> gma()(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64), iters=1)[0].shape
        torch.Size([1, 2, 64, 64])
    """
    corr = CorrBlock(num_levels=4, radius=4)
    return RAFT(
        feature_encoder=BasicEncoder(output_dim=256, norm="instance"),
        context_encoder=BasicEncoder(output_dim=256, norm="batch"),
        corr_block=corr,
        update_block=GMAUpdateBlock(
            corr_channels=corr.out_channels, hidden_dim=128, context_dim=128, heads=1
        ),
        hidden_dim=128,
        context_dim=128,
        upsampler=convex_upsample,
        attention=Attention(dim=128, heads=1, dim_head=128, max_pos_size=160),
        name="gma",
    )
