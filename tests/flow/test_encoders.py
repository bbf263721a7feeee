"""Tests of flowpose.flow.encoders: shapes, the aliased skip-path norm, hand-checked blocks, fixtures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from flowpose.errors import InputError
from flowpose.flow.encoders import BasicEncoder, BottleneckBlock, ResidualBlock, SmallEncoder, make_norm
from flowpose.flow.grids import normalize_images
from tests.conftest import shared_path


def _zero_convs(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)


@pytest.mark.parametrize(
    ("encoder", "channels"),
    [
        (BasicEncoder(output_dim=256, norm="instance"), 256),
        (BasicEncoder(output_dim=256, norm="batch"), 256),
        (SmallEncoder(output_dim=128, norm="instance"), 128),
        (SmallEncoder(output_dim=160, norm="none"), 160),
    ],
)
def test_cardinality_one_eighth_resolution(encoder: nn.Module, channels: int) -> None:
    out = encoder.eval()(torch.randn(2, 3, 64, 48))
    assert out.shape == (2, channels, 8, 6)


def test_residual_stride2_registers_one_norm_under_two_names() -> None:
    block = ResidualBlock(4, 8, norm="batch", stride=2)
    assert block.downsample is not None and block.downsample[1] is block.norm3
    sd = block.state_dict()
    assert sd["norm3.weight"].data_ptr() == sd["downsample.1.weight"].data_ptr()
    assert "downsample.1.running_var" in sd and "norm3.num_batches_tracked" in sd


def test_bottleneck_stride2_aliases_norm4_and_instance_norm_has_no_tensors() -> None:
    block = BottleneckBlock(8, 16, norm="instance", stride=2)
    assert block.downsample is not None and block.downsample[1] is block.norm4
    assert sorted(k for k in block.state_dict() if "norm" in k) == []
    assert block.conv1.out_channels == 4  # planes // 4 in the bottleneck


@pytest.mark.parametrize("block_type", [ResidualBlock, BottleneckBlock])
def test_block_with_zero_convs_is_relu_of_input(block_type: type[nn.Module]) -> None:
    # y = relu(x + relu(...(0)...)) = relu(x) when every convolution outputs 0 and there is no norm.
    block = block_type(8, 8, norm="none", stride=1)
    _zero_convs(block)
    x = torch.randn(1, 8, 5, 5)
    torch.testing.assert_close(block(x), torch.relu(x))


def test_block_stride2_halves_resolution() -> None:
    out = ResidualBlock(4, 6, norm="instance", stride=2)(torch.randn(1, 4, 10, 12))
    assert out.shape == (1, 6, 5, 6)


def test_exception_unknown_norm() -> None:
    with pytest.raises(InputError, match="instance, batch, group, none; got 'layer'"):
        make_norm("layer", 8)  # type: ignore[arg-type]


def test_group_norm_groups_of_eight() -> None:
    norm = make_norm("group", 32)
    assert isinstance(norm, nn.GroupNorm) and norm.num_groups == 4


def test_gradcheck_bottleneck_block() -> None:
    block = BottleneckBlock(4, 8, norm="instance", stride=2).double()
    x = torch.randn(1, 4, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(block, (x,), eps=1e-6, atol=1e-4)


def test_init_is_he_normal_fan_out() -> None:
    torch.manual_seed(0)
    conv = BasicEncoder(output_dim=256, norm="instance").layer3[0].conv2  # 128 -> 128, 3x3
    expected_std = (2.0 / (128 * 9)) ** 0.5
    assert abs(conv.weight.std().item() - expected_std) / expected_std < 0.05


def test_raft_small_encoders_reproduce_official_features() -> None:
    fixture = np.load(shared_path("fixtures", "flow_compat", "fixture_raft_small_seed0.npz"))
    weights = torch.load(shared_path("fixtures", "flow_compat", "raft_small_seed0.pt"), weights_only=True)
    fnet = SmallEncoder(output_dim=128, norm="instance").eval()
    cnet = SmallEncoder(output_dim=160, norm="none").eval()
    fnet.load_state_dict({k[5:]: v for k, v in weights.items() if k.startswith("fnet.")}, strict=True)
    cnet.load_state_dict({k[5:]: v for k, v in weights.items() if k.startswith("cnet.")}, strict=True)
    image1 = normalize_images(torch.from_numpy(fixture["image1"]))
    image2 = normalize_images(torch.from_numpy(fixture["image2"]))
    with torch.no_grad():
        fmaps = fnet(torch.cat([image1, image2]))
        context = cnet(image1)
    torch.testing.assert_close(fmaps[:1], torch.from_numpy(fixture["fmap1"]), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(fmaps[1:], torch.from_numpy(fixture["fmap2"]), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(context, torch.from_numpy(fixture["cnet_out"]), atol=1e-4, rtol=1e-5)
