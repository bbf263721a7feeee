"""Feature and context encoders of RAFT (Teed & Deng, ECCV 2020, Sec. 3.1 "Feature Extraction").

Two convolutional encoders map an image to features at 1/8 resolution: the *feature encoder* g_theta is
applied to both frames (its outputs are correlated), the *context encoder* h_theta only to the first frame
(its output initialises the GRU hidden state and feeds every update). RAFT (large) uses six residual blocks
(:class:`BasicEncoder`), RAFT-small six bottleneck blocks (:class:`SmallEncoder`); paper Sec. 4 and the
supplementary network diagram.

Submodule and attribute names (``conv1``, ``norm1``, ``layer1.0.conv2``, ``downsample.1`` ...) and their
registration order follow the official checkpoints (princeton-vl/RAFT) exactly, so that ``raft-things.pth``
and friends load with ``strict=True``; see ``architecture_facts.json`` in the compatibility fixtures.
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from flowpose.errors import InputError

NormKind = Literal["instance", "batch", "group", "none"]
"""Normalisation of an encoder: InstanceNorm (feature encoders), BatchNorm (RAFT's context encoder), GroupNorm
(available upstream, unused by released weights) or none (RAFT-small's context encoder)."""


def make_norm(kind: NormKind, channels: int) -> nn.Module:
    """The normalisation layer of one encoder stage.

    Args:
        kind: which normalisation (see :data:`NormKind`).
        channels: number of channels C normalised.

    Returns:
        ``InstanceNorm2d(C)`` without affine parameters or running statistics, ``BatchNorm2d(C)``,
        ``GroupNorm(C // 8, C)`` or an identity; only BatchNorm and GroupNorm hold state-dict tensors.

    Raises:
        InputError: for an unknown ``kind``.
    """
    if kind == "instance":
        return nn.InstanceNorm2d(channels)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(num_groups=channels // 8, num_channels=channels)
    if kind == "none":
        return nn.Identity()
    raise InputError(f"encoder norm must be one of instance, batch, group, none; got {kind!r}")


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with a skip connection, the residual unit of the RAFT feature/context encoders.

    ``y = relu(x' + relu(norm2(conv2(relu(norm1(conv1(x)))))))`` with ``x' = downsample(x)`` (a strided 1x1
    convolution + norm) when ``stride != 1`` and ``x' = x`` otherwise.

    The norm of the skip path is registered twice, as ``norm3`` and as ``downsample[1]`` (one module, two
    names), because the official code does so and its checkpoints hold both names.

    Args:
        in_planes: input channels.
        planes: output channels.
        norm: normalisation kind.
        stride: 1 or 2; 2 halves the resolution.

    Shape:
        (N, in_planes, H, W) -> (N, planes, H / stride, W / stride).
    """

    def __init__(self, in_planes: int, planes: int, *, norm: NormKind, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.norm1 = make_norm(norm, planes)
        self.norm2 = make_norm(norm, planes)
        self.downsample: nn.Sequential | None = None
        if stride != 1:
            self.norm3 = make_norm(norm, planes)
            skip_conv = nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride)
            self.downsample = nn.Sequential(skip_conv, self.norm3)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block; see the class docstring for shapes."""
        y = self.relu(self.norm1(self.conv1(x)))
        y = self.relu(self.norm2(self.conv2(y)))
        if self.downsample is not None:
            x = self.downsample(x)
        return self.relu(x + y)


class BottleneckBlock(nn.Module):
    """1x1 -> 3x3 -> 1x1 bottleneck (planes/4 inner channels) with a skip, the unit of RAFT-small's encoders.

    The skip-path norm is registered as ``norm4`` and as ``downsample[1]`` (see :class:`ResidualBlock`).

    Args:
        in_planes: input channels.
        planes: output channels (the bottleneck has ``planes // 4``).
        norm: normalisation kind.
        stride: 1 or 2, applied by the 3x3 convolution and the skip path.

    Shape:
        (N, in_planes, H, W) -> (N, planes, H / stride, W / stride).
    """

    def __init__(self, in_planes: int, planes: int, *, norm: NormKind, stride: int = 1) -> None:
        super().__init__()
        inner = planes // 4
        self.conv1 = nn.Conv2d(in_planes, inner, kernel_size=1, padding=0)
        self.conv2 = nn.Conv2d(inner, inner, kernel_size=3, padding=1, stride=stride)
        self.conv3 = nn.Conv2d(inner, planes, kernel_size=1, padding=0)
        self.relu = nn.ReLU(inplace=True)
        self.norm1 = make_norm(norm, inner)
        self.norm2 = make_norm(norm, inner)
        self.norm3 = make_norm(norm, planes)
        self.downsample: nn.Sequential | None = None
        if stride != 1:
            self.norm4 = make_norm(norm, planes)
            skip_conv = nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride)
            self.downsample = nn.Sequential(skip_conv, self.norm4)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block; see the class docstring for shapes."""
        y = self.relu(self.norm1(self.conv1(x)))
        y = self.relu(self.norm2(self.conv2(y)))
        y = self.relu(self.norm3(self.conv3(y)))
        if self.downsample is not None:
            x = self.downsample(x)
        return self.relu(x + y)


class _Encoder(nn.Module):
    """Stem (7x7 stride-2 conv) + three stages of two blocks (strides 1, 2, 2) + 1x1 output projection."""

    def __init__(
        self, *, block: type[nn.Module], widths: tuple[int, int, int, int], output_dim: int, norm: NormKind
    ) -> None:
        super().__init__()
        stem, w1, w2, w3 = widths
        # Registration order (norm1 before conv1) reproduces the official state_dict order.
        self.norm1 = make_norm(norm, stem)
        self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3)
        self.relu1 = nn.ReLU(inplace=True)
        self.layer1 = self._stage(block, stem, w1, norm, stride=1)
        self.layer2 = self._stage(block, w1, w2, norm, stride=2)
        self.layer3 = self._stage(block, w2, w3, norm, stride=2)
        self.conv2 = nn.Conv2d(w3, output_dim, kernel_size=1)
        self.output_dim = output_dim
        self._init_weights()

    @staticmethod
    def _stage(
        block: type[nn.Module], in_planes: int, planes: int, norm: NormKind, stride: int
    ) -> nn.Sequential:
        return nn.Sequential(
            block(in_planes, planes, norm=norm, stride=stride), block(planes, planes, norm=norm, stride=1)
        )

    def _init_weights(self) -> None:
        # Official initialisation (architecture_facts "init"): He-normal convolutions, unit/zero norms.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm)) and m.weight is not None:
                nn.init.constant_(m.weight, 1.0)
                nn.init.constant_(m.bias, 0.0)

    def forward(self, x: Tensor) -> Tensor:
        """Encode images.

        Args:
            x: images normalised to [-1, 1].

        Returns:
            Features at 1/8 resolution.

        Shape:
            (N, 3, H, W) -> (N, output_dim, ceil(H/8), ceil(W/8)).
        """
        x = self.relu1(self.norm1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.conv2(x)


class BasicEncoder(_Encoder):
    """The residual encoder of RAFT (large) and GMA, used as feature or context encoder.

    Widths 64 (stem, stage 1), 96 (stage 2), 128 (stage 3), then a 1x1 convolution to ``output_dim``
    (256 for both released encoders).

    Args:
        output_dim: channels of the output features.
        norm: ``"instance"`` for the feature encoder, ``"batch"`` for the context encoder.

    Shape:
        (N, 3, H, W) in [-1, 1] -> (N, output_dim, H/8, W/8).

    Example:
        >>> import torch
        >>> BasicEncoder(output_dim=256, norm="instance")(torch.zeros(1, 3, 64, 64)).shape
        torch.Size([1, 256, 8, 8])
    """

    def __init__(self, *, output_dim: int = 256, norm: NormKind = "batch") -> None:
        super().__init__(block=ResidualBlock, widths=(64, 64, 96, 128), output_dim=output_dim, norm=norm)


class SmallEncoder(_Encoder):
    """The bottleneck encoder of RAFT-small.

    Widths 32 (stem, stage 1), 64 (stage 2), 96 (stage 3), then a 1x1 convolution to ``output_dim``
    (128 for the feature encoder, 160 = 96 hidden + 64 context for the context encoder).

    Args:
        output_dim: channels of the output features.
        norm: ``"instance"`` for the feature encoder, ``"none"`` for the context encoder.

    Shape:
        (N, 3, H, W) in [-1, 1] -> (N, output_dim, H/8, W/8).

    Example:
        >>> import torch
        >>> SmallEncoder(output_dim=128, norm="instance")(torch.zeros(1, 3, 64, 64)).shape
        torch.Size([1, 128, 8, 8])
    """

    def __init__(self, *, output_dim: int = 128, norm: NormKind = "none") -> None:
        super().__init__(block=BottleneckBlock, widths=(32, 32, 64, 96), output_dim=output_dim, norm=norm)
