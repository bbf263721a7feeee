"""Tests of flowpose.flow.update: GRU equations, motion encoders, heads and update blocks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from flowpose.errors import InputError
from flowpose.flow.update import (
    MASK_SCALE,
    BasicMotionEncoder,
    BasicUpdateBlock,
    ConvGRU,
    FlowHead,
    SepConvGRU,
    SmallMotionEncoder,
    SmallUpdateBlock,
    conv_gru_step,
    make_mask_head,
)


def _constant_conv(conv: nn.Conv2d, bias: float) -> nn.Conv2d:
    nn.init.zeros_(conv.weight)
    nn.init.constant_(conv.bias, bias)
    return conv


def test_gru_closed_update_gate_keeps_state() -> None:
    convz = _constant_conv(nn.Conv2d(5, 3, 3, padding=1), -100.0)  # z = 0
    convr = nn.Conv2d(5, 3, 3, padding=1)
    convq = nn.Conv2d(5, 3, 3, padding=1)
    h, x = torch.randn(1, 3, 4, 4), torch.randn(1, 2, 4, 4)
    torch.testing.assert_close(conv_gru_step(h, x, convz, convr, convq), h)


def test_gru_open_gates_hand_computed() -> None:
    # z = 1, r = sigmoid(0) = 1/2, q = tanh(W_q [h/2, x]) with W_q summing its inputs over a 1x1 window.
    convz = _constant_conv(nn.Conv2d(3, 1, 1), 100.0)
    convr = _constant_conv(nn.Conv2d(3, 1, 1), 0.0)
    convq = nn.Conv2d(3, 1, 1)
    nn.init.ones_(convq.weight)
    nn.init.zeros_(convq.bias)
    h, x = torch.randn(1, 1, 2, 2), torch.randn(1, 2, 2, 2)
    expected = torch.tanh(h / 2 + x.sum(dim=1, keepdim=True))
    torch.testing.assert_close(conv_gru_step(h, x, convz, convr, convq), expected)


def test_sep_gru_is_horizontal_then_vertical_step() -> None:
    gru = SepConvGRU(hidden_dim=4, input_dim=3)
    h, x = torch.randn(1, 4, 6, 7), torch.randn(1, 3, 6, 7)
    h1 = conv_gru_step(h, x, gru.convz1, gru.convr1, gru.convq1)
    torch.testing.assert_close(gru(h, x), conv_gru_step(h1, x, gru.convz2, gru.convr2, gru.convq2))
    assert gru.convz1.kernel_size == (1, 5) and gru.convq2.kernel_size == (5, 1)


def test_conv_gru_cardinality_and_bounded_state() -> None:
    out = ConvGRU(hidden_dim=96, input_dim=146)(torch.zeros(1, 96, 3, 5), torch.randn(1, 146, 3, 5))
    assert out.shape == (1, 96, 3, 5) and out.abs().max() <= 1.0  # convex mix of 0 and tanh


@pytest.mark.parametrize(("encoder", "channels"), [(BasicMotionEncoder(corr_channels=324), 128),
                                                   (SmallMotionEncoder(corr_channels=196), 82)])
def test_motion_encoder_appends_flow(encoder: nn.Module, channels: int) -> None:
    corr_channels = encoder.convc1.in_channels
    flow = torch.randn(2, 2, 4, 6)
    out = encoder(flow, torch.randn(2, corr_channels, 4, 6))
    assert out.shape == (2, channels, 4, 6)
    torch.testing.assert_close(out[:, -2:], flow)
    assert (out[:, :-2] >= 0).all()  # ReLU features


def test_flow_head_and_mask_head_shapes() -> None:
    assert FlowHead(input_dim=128, hidden_dim=256)(torch.randn(1, 128, 3, 4)).shape == (1, 2, 3, 4)
    head = make_mask_head(hidden_dim=128)
    assert head(torch.randn(1, 128, 3, 4)).shape == (1, 576, 3, 4)
    assert [type(m) for m in head] == [nn.Conv2d, nn.ReLU, nn.Conv2d]


def test_basic_update_block_scales_mask_and_returns_delta() -> None:
    block = BasicUpdateBlock(corr_channels=324, hidden_dim=128, context_dim=128)
    hidden, context = torch.tanh(torch.randn(1, 128, 3, 4)), torch.relu(torch.randn(1, 128, 3, 4))
    out = block(hidden, context, torch.randn(1, 324, 3, 4), torch.randn(1, 2, 3, 4))
    assert out.hidden.shape == (1, 128, 3, 4) and out.delta_flow.shape == (1, 2, 3, 4)
    torch.testing.assert_close(out.mask, MASK_SCALE * block.mask(out.hidden))
    torch.testing.assert_close(out.delta_flow, block.flow_head(out.hidden))


def test_small_update_block_has_no_mask() -> None:
    block = SmallUpdateBlock(corr_channels=196, hidden_dim=96, context_dim=64)
    hidden, context = torch.zeros(1, 96, 3, 4), torch.zeros(1, 64, 3, 4)
    out = block(hidden, context, torch.randn(1, 196, 3, 4), torch.zeros(1, 2, 3, 4))
    assert out.mask is None and out.hidden.shape == (1, 96, 3, 4)


def test_exception_attention_given_to_raft_block() -> None:
    block = SmallUpdateBlock()
    with pytest.raises(InputError, match="takes no attention"):
        block(torch.zeros(1, 96, 2, 2), torch.zeros(1, 64, 2, 2), torch.zeros(1, 196, 2, 2),
              torch.zeros(1, 2, 2, 2), torch.zeros(1, 1, 4, 4))


def test_gradcheck_conv_gru() -> None:
    gru = ConvGRU(hidden_dim=2, input_dim=3).double()
    h = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(gru, (h, x))
