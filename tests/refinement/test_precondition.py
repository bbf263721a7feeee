"""Tests of flowpose.refinement.precondition: the orthonormal IDCT and the per-frequency scales."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.fft
import torch

from flowpose.refinement.precondition import idct, temporal_scales

WEIGHTS = dict(w_3d_rel=1.0 / 60.0**2, w_2d=1.0 / 2.0**2, w_vel=0.0, w_acc=1.0 / 20.0**2, w_flow=1.0)


@pytest.mark.parametrize("shape", [(1,), (2,), (7,), (16, 3), (9, 4, 3)])
def test_idct_matches_scipy_ortho_in_float64(shape):
    coeffs = np.random.default_rng(0).normal(size=shape)
    got = idct(torch.from_numpy(coeffs))
    assert got.dtype == torch.float64 and got.shape == shape
    np.testing.assert_allclose(got.numpy(), scipy.fft.idct(coeffs, norm="ortho", axis=0), rtol=0, atol=1e-12)


def test_idct_hand_values_and_orthonormality():
    # The DC coefficient c_0 gives the constant c_0 / sqrt(T); the transform keeps the norm (orthonormal).
    dc = idct(torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64))
    np.testing.assert_allclose(dc.numpy(), math.sqrt(3.0))
    # k = 1 of T = 2: sqrt(2/2) cos(pi (2n + 1) / 4) = +-1/sqrt(2).
    np.testing.assert_allclose(
        idct(torch.tensor([0.0, 1.0], dtype=torch.float64)).numpy(), [0.5**0.5, -(0.5**0.5)], atol=1e-15
    )
    c = torch.randn(12, 5, dtype=torch.float64)
    torch.testing.assert_close(idct(c).norm(dim=0), c.norm(dim=0))


def test_idct_gradcheck():
    c = torch.randn(6, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(idct, (c,))


def test_scales_are_one_at_dc_and_decrease_with_frequency():
    S = temporal_scales(50, fps=30.0, px_per_mm=0.15, **WEIGHTS)
    assert S.shape == (50, 1, 1) and S.dtype == torch.float32
    s = S.flatten()
    assert s[0].item() == 1.0
    assert (s[1:] < s[:-1]).all() and (s > 0).all()


def test_scales_hand_value():
    # T = 2: mu_1 = 2 - 2 cos(pi / 2) = 2. With only w_3d_rel = 1 and w_acc: h = 1, h_1 = 1 + 4 w_acc (1e-3
    # fps^2)^2; at fps = 10 and w_acc = 1e4: (1e-1)^2 * 1e4 = 100, so S_1 = sqrt(1 / 401).
    weights = dict(w_3d_rel=1.0, w_2d=0.0, w_vel=0.0, w_acc=1e4, w_flow=0.0)
    S = temporal_scales(2, fps=10.0, px_per_mm=1.0, **weights, dtype=torch.float64)
    # mu_k is computed in torch's default float32 (cos(pi / 2) ~ -4e-8 there), hence the tolerance.
    np.testing.assert_allclose(S.flatten().numpy(), [1.0, math.sqrt(1.0 / 401.0)], rtol=1e-6)


def test_scales_without_smoothness_are_one_and_flow_stiffens():
    no_smoothing = dict(w_3d_rel=1.0, w_2d=1.0, w_vel=0.0, w_acc=0.0, w_flow=0.0)
    flat = temporal_scales(8, fps=30.0, px_per_mm=0.1, **no_smoothing)
    torch.testing.assert_close(flat, torch.ones(8, 1, 1))
    off = temporal_scales(8, fps=30.0, px_per_mm=0.1, **{**WEIGHTS, "w_flow": 0.0})
    on = temporal_scales(8, fps=30.0, px_per_mm=0.1, **WEIGHTS)
    assert (on[1:] < off[1:]).all() and on[0].item() == off[0].item() == 1.0
