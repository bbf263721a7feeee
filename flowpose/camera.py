"""Perspective cameras in the OpenCV convention (x right, y down, z forward, metres; pixel (0,0) is the
centre of the top-left pixel).

Every function is differentiable in torch and batched over leading dimensions; NumPy arrays are accepted by the
``*_np`` twins.
"""

from __future__ import annotations

import numpy as np
import torch

DEPTH_EPS = 1e-6
"""Smallest depth (m) divided by, so that points at or behind the camera do not produce inf/NaN."""


def project(points: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Pinhole projection ``x = K X / Z``.

    Args:
        points: (..., N, 3) camera-frame points in metres.
        K: (..., 3, 3) intrinsics, broadcast against the leading dimensions of ``points``.

    Returns:
        (..., N, 2) pixel coordinates.

    Example:
        >>> K = torch.tensor([[100., 0, 32], [0, 100., 32], [0, 0, 1]])
        >>> project(torch.tensor([[0., 0., 2.]]), K)
        tensor([[32., 32.]])
    """
    z = points[..., 2:3].clamp_min(DEPTH_EPS)
    xy = points[..., :2] / z
    fx = K[..., 0, 0].unsqueeze(-1)
    fy = K[..., 1, 1].unsqueeze(-1)
    cx = K[..., 0, 2].unsqueeze(-1)
    cy = K[..., 1, 2].unsqueeze(-1)
    skew = K[..., 0, 1].unsqueeze(-1)
    u = fx * xy[..., 0] + skew * xy[..., 1] + cx
    v = fy * xy[..., 1] + cy
    return torch.stack([u, v], dim=-1)


def project_np(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`project`: (..., N, 3) metres and (..., 3, 3) -> (..., N, 2) pixels."""
    out = project(torch.as_tensor(np.asarray(points, dtype=np.float64)), torch.as_tensor(np.asarray(K, dtype=np.float64)))
    return out.numpy()
