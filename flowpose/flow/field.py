"""The flow field of a video: forward flow per frame pair on a sampling grid that is either the full frame or
a person-centred crop.

Storing flow on crops is what keeps long, high-resolution videos affordable: a 1000-frame 1000x1000 video has 8 GB
of full-frame flow but 0.5 GB at a 256x256 crop. Every consumer (the pose stage, the sketch, the metrics) goes
through :meth:`FlowField.grid_coords` and :func:`sample_grid`, so it never needs to know which one it has. A
consumer that samples many times (the pose stage) uploads the arrays once with :meth:`FlowField.to_torch`.

Grid convention: grid pixel (i, j) of pair t sits at full-frame pixel ``origin[t] + scale[t] * (j, i)`` (x, y),
pixel centres as in DESIGN.md. Flow values are always displacements in full-frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from flowpose.errors import InputError, ShapeError
from flowpose.reprs import short_repr


@dataclass(frozen=True)
class FlowField:
    """Forward optical flow of a video, frame t -> t+1, for P = T-1 frame pairs.

    Attributes:
        flow: (P, h, w, 2) float32 displacement (u, v) in full-frame pixels.
        confidence: (P, h, w) float32 in [0, 1], e.g. from forward-backward consistency (1 = trusted).
        origin: (P, 2) float32 full-frame pixel (x, y) of grid pixel (0, 0).
        scale: (P,) float32 full-frame pixels per grid pixel.
        image_size: (H, W) of the full frame.
    """

    flow: np.ndarray
    confidence: np.ndarray
    origin: np.ndarray
    scale: np.ndarray
    image_size: tuple[int, int]
    reverse: "FlowField | None" = None
    """The backward flow (frame t+1 -> t) of the same pairs on the same grids, with its own forward-backward
    confidence, when the inference kept it (``keep_backward``); its points are in frame t+1."""

    __repr__ = short_repr

    def __post_init__(self) -> None:
        flow = np.asarray(self.flow, np.float32)
        if flow.ndim != 4 or flow.shape[-1] != 2:
            raise ShapeError("flow", "(P, h, w, 2)", flow.shape)
        P, h, w, _ = flow.shape
        conf = np.asarray(self.confidence, np.float32)
        if conf.shape != (P, h, w):
            raise ShapeError("confidence", f"({P}, {h}, {w})", conf.shape)
        origin = np.asarray(self.origin, np.float32)
        if origin.shape != (P, 2):
            raise ShapeError("origin", f"({P}, 2)", origin.shape)
        scale = np.asarray(self.scale, np.float32)
        if scale.shape != (P,):
            raise ShapeError("scale", f"({P},)", scale.shape)
        object.__setattr__(self, "flow", flow)
        object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "image_size", (int(self.image_size[0]), int(self.image_size[1])))
        r = self.reverse
        if r is not None and (
            r.flow.shape != flow.shape or not np.array_equal(r.origin, origin) or not np.array_equal(r.scale, scale)
        ):
            raise ShapeError("reverse", f"a flow field on the same grids {flow.shape}", r.flow.shape)

    @classmethod
    def full_frame(cls, flow: np.ndarray, confidence: np.ndarray | None = None) -> "FlowField":
        """Wrap full-frame flow (P, H, W, 2) px, with optional (P, H, W) confidence (default ones)."""
        flow = np.asarray(flow, np.float32)
        if flow.ndim != 4 or flow.shape[-1] != 2:
            raise ShapeError("flow", "(P, H, W, 2)", flow.shape)
        P, H, W, _ = flow.shape
        conf = np.ones((P, H, W), np.float32) if confidence is None else confidence
        return cls(flow, conf, np.zeros((P, 2), np.float32), np.ones(P, np.float32), (H, W))

    @property
    def num_pairs(self) -> int:
        """P = T - 1."""
        return int(self.flow.shape[0])

    @property
    def is_full_frame(self) -> bool:
        """True when every grid is the whole frame at scale 1."""
        return (
            self.flow.shape[1:3] == self.image_size
            and bool(np.all(self.origin == 0))
            and bool(np.all(self.scale == 1))
        )

    def grid_coords(self, points: torch.Tensor) -> torch.Tensor:
        """Full-frame pixels to grid pixels.

        Args:
            points: (P, N, 2) full-frame pixel (x, y) of N points for every pair.

        Returns:
            (P, N, 2) grid pixel (x, y).
        """
        origin = torch.as_tensor(self.origin, dtype=points.dtype, device=points.device)[:, None, :]
        scale = torch.as_tensor(self.scale, dtype=points.dtype, device=points.device)[:, None, None]
        return (points - origin) / scale

    def to_torch(self, device: torch.device | str, dtype: torch.dtype = torch.float32) -> "FlowTensors":
        """The arrays as tensors on ``device``, for sampling many times without converting them each time.

        Args:
            device: where the tensors live.
            dtype: of the tensors (the sampled points must have the same dtype).

        Returns:
            A :class:`FlowTensors` whose :meth:`~FlowTensors.sample` equals :meth:`sample`.
        """
        # Filled channel by channel: one copy of the field at a time beside this one (a long video's memory peak).
        P, h, w, _ = self.flow.shape
        values = torch.empty((P, 3, h, w), dtype=dtype, device=device)
        values[:, :2] = _shared(self.flow).permute(0, 3, 1, 2)
        values[:, 2] = _shared(self.confidence)
        return FlowTensors(
            values=values,
            origin=torch.as_tensor(self.origin, dtype=dtype, device=device)[:, None, :],
            scale=torch.as_tensor(self.scale, dtype=dtype, device=device)[:, None, None],
        )

    def sample(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Bilinearly sample flow and confidence at full-frame points, differentiably in ``points``.

        Converts the arrays to ``points``' dtype and device on every call; use :meth:`to_torch` once instead
        when sampling repeatedly.

        Args:
            points: (P, N, 2) full-frame pixel (x, y), one set per frame pair t (points in frame t).

        Returns:
            flow: (P, N, 2) displacement in full-frame pixels.
            confidence: (P, N) in [0, 1]; zero outside the grid.
        """
        return self.to_torch(points.device, points.dtype).sample(points)

    def pairs(self, start: int, stop: int) -> "FlowField":
        """The pairs ``start`` to ``stop - 1`` (views, no copy; the backward flow's too)."""
        if not 0 <= start < stop <= self.num_pairs:
            raise InputError(f"FlowField.pairs: expected 0 <= start < stop <= {self.num_pairs}, got {start}, {stop}")
        reverse = None if self.reverse is None else self.reverse.pairs(start, stop)
        return FlowField(self.flow[start:stop], self.confidence[start:stop], self.origin[start:stop],
                         self.scale[start:stop], self.image_size, reverse)

    def to_full_frame(self) -> tuple[np.ndarray, np.ndarray]:
        """Resample onto the full frame, for metrics against full-frame ground truth.

        Returns:
            flow: (P, H, W, 2) float32 px, zero where the grid does not cover the pixel.
            covered: (P, H, W) bool, True where the grid covers the pixel.
        """
        if self.is_full_frame:
            return self.flow, np.ones(self.flow.shape[:3], bool)
        H, W = self.image_size
        ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
        pts = torch.from_numpy(np.stack([xs, ys], -1).reshape(1, -1, 2)).expand(self.num_pairs, -1, -1)
        flow, _ = self.sample(pts.contiguous())
        covered = _inside(self.grid_coords(pts), self.flow.shape[1:3])
        flow = flow * covered[..., None].to(flow.dtype)
        return flow.reshape(-1, H, W, 2).numpy(), covered.reshape(-1, H, W).numpy()


@dataclass(frozen=True)
class FlowTensors:
    """A :class:`FlowField`'s arrays as tensors on one device (see :meth:`FlowField.to_torch`).

    Both sample the flow at points with the same ``sample`` method; the pose stage uses these tensors.

    Attributes:
        values: (P, 3, h, w) flow u, v (full-frame px) and confidence, channels first.
        origin: (P, 1, 2) full-frame pixel (x, y) of grid pixel (0, 0).
        scale: (P, 1, 1) full-frame pixels per grid pixel.
    """

    values: torch.Tensor
    origin: torch.Tensor
    scale: torch.Tensor

    __repr__ = short_repr

    def __post_init__(self) -> None:
        if self.values.ndim != 4 or self.values.shape[1] != 3:
            raise ShapeError("FlowTensors.values", "(P, 3, h, w)", tuple(self.values.shape))
        P = self.values.shape[0]
        if tuple(self.origin.shape) != (P, 1, 2):
            raise ShapeError("FlowTensors.origin", f"({P}, 1, 2)", tuple(self.origin.shape))
        if tuple(self.scale.shape) != (P, 1, 1):
            raise ShapeError("FlowTensors.scale", f"({P}, 1, 1)", tuple(self.scale.shape))

    @property
    def num_pairs(self) -> int:
        """P = T - 1."""
        return int(self.values.shape[0])

    def pairs(self, start: int, stop: int) -> "FlowTensors":
        """The pairs ``start`` to ``stop - 1`` (views, no copy), e.g. to sample pair t + s at points of frame t + s."""
        if not 0 <= start <= stop <= self.num_pairs:
            raise InputError(f"FlowTensors.pairs: expected 0 <= start <= stop <= {self.num_pairs}, got {start}, {stop}")
        return FlowTensors(self.values[start:stop], self.origin[start:stop], self.scale[start:stop])

    def sample(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Bilinearly sample flow and confidence at full-frame points, exactly as :meth:`FlowField.sample`.

        Args:
            points: (P, N, 2) full-frame pixel (x, y), of the tensors' dtype and device.

        Returns:
            flow: (P, N, 2) displacement in full-frame pixels (edge values repeated outside the grid).
            confidence: (P, N) in [0, 1]; zero outside the grid.
        """
        grid_xy = (points - self.origin) / self.scale
        values = sample_grid(self.values, grid_xy)
        inside = _inside(grid_xy, self.values.shape[-2:])
        return values[..., :2], values[..., 2] * inside.to(values.dtype)


def _shared(array: np.ndarray) -> torch.Tensor:
    """A CPU tensor on the array's memory (a copy only where torch cannot share it: reversed strides, read-only)."""
    array = np.ascontiguousarray(array)
    return torch.from_numpy(array if array.flags.writeable else array.copy())


def _inside(grid_xy: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(P, N) bool: grid coordinates (P, N, 2) within the outer pixel centres of a grid of ``size`` (h, w)."""
    h, w = size
    x, y = grid_xy[..., 0], grid_xy[..., 1]
    return (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def sample_grid(values: torch.Tensor, grid_xy: torch.Tensor) -> torch.Tensor:
    """Bilinear sampling at pixel coordinates (pixel centres at integers), edge values repeated outside.

    Repeating the edge (rather than fading to zero) keeps values exact up to the outermost pixel centre;
    callers that must ignore points outside the grid mask them (see :meth:`FlowField.sample`).

    Args:
        values: (P, C, h, w) maps.
        grid_xy: (P, N, 2) pixel (x, y) in the maps' own pixel grid.

    Returns:
        (P, N, C) sampled values.
    """
    h, w = values.shape[-2:]
    # align_corners=True maps -1/+1 to the centres of the corner pixels, matching our pixel-centre convention.
    norm = torch.stack(
        [2.0 * grid_xy[..., 0] / max(w - 1, 1) - 1.0, 2.0 * grid_xy[..., 1] / max(h - 1, 1) - 1.0], dim=-1
    )
    out = F.grid_sample(values, norm[:, :, None, :], mode="bilinear", padding_mode="border", align_corners=True)
    return out[..., 0].permute(0, 2, 1)
