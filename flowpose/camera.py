"""Perspective cameras in the OpenCV convention (x right, y down, z forward, metres; pixel (0,0) is the
centre of the top-left pixel).

Projection and unprojection are differentiable in torch and batched over leading dimensions; NumPy arrays are
accepted by the ``*_np`` twins. Building intrinsics and converting METRO/HMR-style weak-perspective output
(:func:`weak_perspective_to_camera`) are NumPy, as they run once when poses are imported.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import torch

from flowpose.errors import InputError, ShapeError

ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)

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
    points_t, K_t = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in (points, K))
    out = project(points_t, K_t)
    return out.numpy()


def unproject(pixels: torch.Tensor, depth: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`project`: lift pixels at known depths, ``X = Z K^{-1} [u, v, 1]^T``.

    Args:
        pixels: (..., N, 2) pixel coordinates.
        depth: (..., N) depth Z of each point in metres (distance along the optical axis, not the ray).
        K: (..., 3, 3) intrinsics, broadcast against the leading dimensions of ``pixels``.

    Returns:
        (..., N, 3) camera-frame points in metres.

    Example:
        >>> K = torch.tensor([[100., 0, 32], [0, 100., 32], [0, 0, 1]])
        >>> unproject(torch.tensor([[42., 32.]]), torch.tensor([2.]), K)
        tensor([[0.2000, 0.0000, 2.0000]])
    """
    fx = K[..., 0, 0].unsqueeze(-1)
    fy = K[..., 1, 1].unsqueeze(-1)
    cx = K[..., 0, 2].unsqueeze(-1)
    cy = K[..., 1, 2].unsqueeze(-1)
    skew = K[..., 0, 1].unsqueeze(-1)
    y = (pixels[..., 1] - cy) / fy
    x = (pixels[..., 0] - cx - skew * y) / fx
    return torch.stack([x * depth, y * depth, depth], dim=-1)


def unproject_np(pixels: np.ndarray, depth: np.ndarray, K: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`unproject`: (..., N, 2) pixels, (..., N) metres, (..., 3, 3) -> (..., N, 3)."""
    pixels_t, depth_t, K_t = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in (pixels, depth, K))
    return unproject(pixels_t, depth_t, K_t).numpy()


def intrinsics_from_fov(width: int, height: int, fov_deg: float) -> np.ndarray:
    """Intrinsics of a square-pixel camera with a given horizontal field of view.

    The field of view spans the image's full width, from the left edge of the first pixel column to the right
    edge of the last, so ``f = (W / 2) / tan(fov / 2)``; the principal point is the image centre in the
    pixel-centre convention, ``((W - 1) / 2, (H - 1) / 2)``.

    Args:
        width: image width W in pixels.
        height: image height H in pixels.
        fov_deg: horizontal field of view in degrees, in (0, 180).

    Returns:
        (3, 3) float64 intrinsics.

    Raises:
        InputError: for a non-positive size or a field of view outside (0, 180).

    Example:
        >>> intrinsics_from_fov(64, 48, 90.0)[0].round(6).tolist()
        [32.0, 0.0, 31.5]
    """
    if width <= 0 or height <= 0:
        raise InputError(f"image size must be positive, got width={width}, height={height}")
    if not 0.0 < fov_deg < 180.0:
        raise InputError(f"fov_deg must lie in (0, 180) degrees, got {fov_deg}")
    f = 0.5 * width / math.tan(math.radians(fov_deg) / 2.0)
    return np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def project_weak_perspective(joints_rootrel: ArrayT, cam: ArrayT) -> ArrayT:
    """METRO/HMR weak-perspective projection into normalised crop coordinates, ``x_n = s (X + t)``.

    Args:
        joints_rootrel: (..., J, 3) root-relative joints in metres, axes as the camera's (x right, y down).
        cam: (..., 3) weak-perspective camera ``[s, tx, ty]``.

    Returns:
        (..., J, 2) crop coordinates, -1 and 1 at the crop's edges (same type as the inputs; differentiable
        for tensors).

    Example:
        >>> project_weak_perspective(np.array([[0.5, -0.5, 3.0]]), np.array([2.0, 0.1, 0.0]))
        array([[ 1.2, -1. ]])
    """
    s = cam[..., None, 0:1]
    t = cam[..., None, 1:3]
    return s * (joints_rootrel[..., :2] + t)


def crop_to_image(points: np.ndarray, crop_box: np.ndarray) -> np.ndarray:
    """Map normalised crop coordinates (-1 and 1 at the crop's edges) to full-image pixels.

    ``u = x0 + side (x_n + 1) / 2``: the crop covers the square ``[x0, x0 + side] x [y0, y0 + side]`` of the
    full image in the pixel coordinates of K, so its centre is ``(x0 + side / 2, y0 + side / 2)``.
    (A box given as the index of its first pixel instead, as in ``img[y0:y0 + side]``, has its edge half a
    pixel earlier; the difference is at most 0.5 px.) The crop's resolution cancels out and is not needed.

    Args:
        points: (..., N, 2) normalised crop coordinates.
        crop_box: (..., 3) ``[x0, y0, side]`` or (..., 4) ``[x0, y0, w, h]`` with ``w == h``, in pixels,
            broadcast against the leading dimensions of ``points``.

    Returns:
        (..., N, 2) float64 full-image pixel coordinates.

    Raises:
        InputError: for a box that is not square or whose side is not positive.
    """
    box = _square_box(crop_box)
    corner, side = box[..., None, 0:2], box[..., None, 2:3]
    return corner + side * (np.asarray(points, dtype=np.float64) + 1.0) / 2.0


def weak_perspective_to_camera(
    joints_rootrel: np.ndarray, cam: np.ndarray, crop_box: np.ndarray, K: np.ndarray
) -> np.ndarray:
    """Place METRO/HMR-style weak-perspective joints in the camera frame of the full image.

    Weak perspective on a square crop of side ``a`` px says a root-relative point X lands at normalised crop
    coordinates ``x_n = s (X + t)``, i.e. at full-image pixel (see :func:`crop_to_image`)::

        u = c_u + (a s / 2) (X + t_x),        c_u = x0 + a / 2                                    (1)

    A perspective camera with the root at depth Z_r gives, for a body shallow next to Z_r,
    ``u ~= f_x (X_r + X) / Z_r + c_x``: image size scales by ``f_x / Z_r``. Matching that scale with the
    ``a s / 2`` of (1) gives the root depth::

        Z_r = 2 f / (s a),        f = (f_x + f_y) / 2                                               (2)

    (SPIN's ``2 f_crop / (R s)`` with crop focal ``f_crop = f a / R`` for an R-pixel crop: R cancels.)
    The root-relative origin projects by (1) to ``u_r = crop_to_image(s t)``, so the root is unprojected
    there, ``X_r = Z_r K^{-1} [u_r, v_r, 1]^T`` (3), and every joint is ``X_r + X``. The root then projects
    exactly to its weak-perspective pixel; other joints differ by about ``(Z / Z_r)`` of their offset from it,
    the weak-perspective approximation itself. With ``f_x != f_y`` (2) uses the mean focal length.

    Args:
        joints_rootrel: (T, J, 3) root-relative joints in metres, camera axes (x right, y down, z forward).
        cam: (T, 3) ``[s, tx, ty]`` per frame, ``s > 0``.
        crop_box: (T, 3) or (3,) ``[x0, y0, side]``, or (T, 4) or (4,) ``[x0, y0, w, h]`` with ``w == h``:
            each frame's crop in full-image pixels.
        K: (3, 3) or (T, 3, 3) full-image intrinsics.

    Returns:
        (T, J, 3) float64 joints in metres in the OpenCV camera frame.

    Raises:
        ShapeError: for inputs of the wrong shape.
        InputError: for a non-positive scale, a non-square box or a non-positive side.

    Example:
        >>> K = np.array([[500.0, 0, 100], [0, 500.0, 100], [0, 0, 1]])
        >>> box = np.array([50.0, 50.0, 100.0])  # the crop's centre is the principal point
        >>> weak_perspective_to_camera(np.zeros((1, 1, 3)), np.array([[1.0, 0, 0]]), box, K)
        array([[[ 0.,  0., 10.]]])
    """
    joints_rootrel = np.asarray(joints_rootrel, dtype=np.float64)
    if joints_rootrel.ndim != 3 or joints_rootrel.shape[-1] != 3:
        raise ShapeError("joints_rootrel", "(T, J, 3)", joints_rootrel.shape)
    T = joints_rootrel.shape[0]
    cam = np.asarray(cam, dtype=np.float64)
    if cam.shape != (T, 3):
        raise ShapeError("cam", f"({T}, 3)", cam.shape)
    box = np.asarray(crop_box, dtype=np.float64)
    if box.shape not in ((3,), (4,), (T, 3), (T, 4)):
        raise ShapeError("crop_box", f"(3,), (4,), ({T}, 3) or ({T}, 4)", box.shape)
    K = np.asarray(K, dtype=np.float64)
    if K.shape not in ((3, 3), (T, 3, 3)):
        raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", K.shape)
    s = cam[:, 0]
    if not (np.isfinite(s) & (s > 0)).all():
        raise InputError(f"weak-perspective scale s must be positive, got min {np.nanmin(s):.4g}")
    side = np.broadcast_to(_square_box(box)[..., 2], (T,))
    Kt = np.broadcast_to(K, (T, 3, 3))
    focal = 0.5 * (Kt[:, 0, 0] + Kt[:, 1, 1])
    depth = 2.0 * focal / (s * side)  # (2)
    root_px = crop_to_image(s[:, None, None] * cam[:, None, 1:3], box)  # (1) at X = 0
    root = unproject_np(root_px, depth[:, None], K)  # (3), (T, 1, 3)
    return root + joints_rootrel


def _square_box(crop_box: np.ndarray) -> np.ndarray:
    """(..., 3) ``[x0, y0, side]`` from a (..., 3) or square (..., 4) ``[x0, y0, w, h]`` box."""
    box = np.asarray(crop_box, dtype=np.float64)
    if box.shape[-1:] == (4,):
        w, h = box[..., 2], box[..., 3]
        if not np.allclose(w, h, rtol=1e-3, atol=1e-6):
            raise InputError(f"crop_box [x0, y0, w, h] must be square (w == h), got w={w} and h={h}")
        box = box[..., :3]
    elif box.shape[-1:] != (3,):
        raise ShapeError("crop_box", "(..., 3) [x0, y0, side] or (..., 4) [x0, y0, w, h]", box.shape)
    if not (box[..., 2] > 0).all():
        raise InputError(f"crop_box side must be positive, got {box[..., 2]}")
    return box
