"""A temporal preconditioner for the pose stage: smooth trajectories as scaled DCT coefficients.

The pose stage (:mod:`flowpose.refinement.optimize`) optimises millimetre offsets theta (T, ...) of the joints
over time. Its smoothness terms make that problem stiff: high temporal frequencies are penalised far more
than low ones, and L-BFGS then needs hundreds of iterations. Writing theta = IDCT(S * u) and optimising u
instead, with per-frequency scales S_k (:func:`temporal_scales`), makes the Hessian close to a multiple of the
identity. This only changes the variables, not the minimum.
"""

from __future__ import annotations

import math

import torch


def idct(coeffs: torch.Tensor) -> torch.Tensor:
    """Orthonormal inverse DCT-II (a DCT-III) along dim 0 by a length-2T FFT, as scipy.fft.idct(norm="ortho").

    x_n = sum_k w_k c_k cos(pi k (2n + 1) / (2T)),  w_0 = sqrt(1/T), w_k = sqrt(2/T)
        = Re[ sum_k (w_k c_k e^{i pi k / 2T}) e^{2 pi i k n / 2T} ]

    Args:
        coeffs: (T, ...) real DCT coefficients.

    Returns:
        (T, ...) real signal, of ``coeffs``' dtype and device.

    Example:
        >>> idct(torch.tensor([2.0, 0.0, 0.0, 0.0]))  # the DC coefficient: a constant 2 / sqrt(4)
        tensor([1., 1., 1., 1.])
    """
    T = coeffs.shape[0]
    k = torch.arange(T, dtype=coeffs.dtype, device=coeffs.device)
    w = torch.full((T,), math.sqrt(2.0 / T), dtype=coeffs.dtype, device=coeffs.device)
    w[0] = math.sqrt(1.0 / T)
    twiddle = torch.polar(w, math.pi * k / (2 * T)).reshape(T, *([1] * (coeffs.ndim - 1)))
    return (2 * T * torch.fft.ifft(coeffs * twiddle, n=2 * T, dim=0)).real[:T]


def temporal_scales(
    num_frames: int,
    *,
    fps: float,
    px_per_mm: float,
    w_3d_rel: float,
    w_2d: float,
    w_vel: float,
    w_acc: float,
    w_flow: float,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Per-frequency scales S_k of the smooth parameterisation theta = IDCT(S * u).

    With h the data curvature per mm of offset, the acceleration term adds about mu_k^2 w_acc (1e-3 fps^2)^2
    at DCT frequency k, mu_k = 2 - 2 cos(pi k / T) the eigenvalues of the 1D Laplacian, i.e. up to ~16 x 100
    times h at 30 fps. Since the DCT nearly diagonalises these difference operators, scaling frequency k by

        S_k = sqrt(h / h_k),   h_k = h + mu_k (w_vel (1e-3 fps)^2 + w_flow s^2) + mu_k^2 w_acc (1e-3 fps^2)^2,

    where h = w_3d_rel + w_2d s^2 and s is ``px_per_mm`` (the flow acts like a velocity term in pixels), makes
    the Hessian close to a multiple of the identity. Weights are those of
    :class:`flowpose.refinement.pose_config.PoseStageConfig`.

    Args:
        num_frames: T.
        fps: frames per second.
        px_per_mm: s, image pixels per millimetre of motion at the body's depth (focal / depth * 1e-3).
        w_3d_rel: root-relative 3D weight, mm^-2.
        w_2d: 2D keypoint weight, px^-2.
        w_vel: velocity weight, (m/s)^-2.
        w_acc: acceleration weight, (m/s^2)^-2.
        w_flow: flow weight, px^-2; 0 when the flow term is off.
        device: of the result.
        dtype: of the result.

    Returns:
        (T, 1, 1) scales in (0, 1], 1 at k = 0, non-increasing in k.
    """
    T, s = num_frames, px_per_mm
    h = max(w_3d_rel + w_2d * s * s, 1e-12)
    mu = 2.0 - 2.0 * torch.cos(math.pi * torch.arange(T, device=device) / T)
    first = w_vel * (1e-3 * fps) ** 2 + w_flow * s * s
    second = w_acc * (1e-3 * fps**2) ** 2
    return torch.sqrt(h / (h + mu * first + mu * mu * second)).reshape(T, 1, 1).to(dtype)
