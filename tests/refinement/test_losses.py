"""Tests of flowpose.refinement.losses: the robust penalties, weighted means and roots every term shares.

The helpers at the top (a camera, a joint chain, a planar test video) are shared with test_image_losses.py
and test_body_losses.py.
"""

from __future__ import annotations

import pytest
import torch

from flowpose.errors import InputError, ShapeError
from flowpose.refinement import losses as L

F_PX = 100.0
K = torch.tensor([[F_PX, 0.0, 32.0], [0.0, F_PX, 32.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
CHAIN = torch.tensor([[0, 1], [1, 2]])  # a 3-joint chain: 0 -> 1 -> 2


def planar_video(T: int = 4, J: int = 3, shift_m: float = 0.02, depth: float = 2.0) -> torch.Tensor:
    """(T, J, 3) joints on the plane z = depth, translating by shift_m along x per frame (float64)."""
    base = torch.tensor([[0.0, 0.0], [0.1, 0.05], [0.15, 0.2], [-0.1, 0.1]], dtype=torch.float64)[:J]
    t = torch.arange(T, dtype=torch.float64)[:, None]
    xy = base[None] + torch.stack([shift_m * t, 0.0 * t], -1)
    return torch.cat([xy, torch.full((T, J, 1), depth, dtype=torch.float64)], -1)


def ones(T: int, N: int) -> torch.Tensor:
    return torch.ones(T, N, dtype=torch.float64)


# ----------------------------------------------------------------------------------------------------------
# building blocks


class TestRobustPenalty:
    def test_hand_values(self):
        sq = torch.tensor([0.0, 0.25, 9.0], dtype=torch.float64)
        torch.testing.assert_close(
            L.robust_penalty(sq, 1.0, "huber"), torch.tensor([0.0, 0.125, 2.5], dtype=torch.float64)
        )
        torch.testing.assert_close(L.robust_penalty(sq, 2.0, "l2"), 0.5 * sq)
        # pseudo-Huber: delta^2 (sqrt(1 + r^2/delta^2) - 1); r^2 = 3 delta^2 -> delta^2.
        assert L.robust_penalty(torch.tensor(12.0), 2.0, "pseudo_huber").item() == pytest.approx(4.0)
        # Geman-McClure at r = delta: 0.5 delta^2 delta^2 / (2 delta^2) = delta^2 / 4, and bounded by delta^2
        # / 2.
        assert L.robust_penalty(torch.tensor(4.0), 2.0, "geman_mcclure").item() == pytest.approx(1.0)
        assert L.robust_penalty(torch.tensor(1e4), 2.0, "geman_mcclure").item() < 2.0

    @pytest.mark.parametrize("kind", ["pseudo_huber", "huber", "geman_mcclure", "l2"])
    def test_quadratic_near_zero_and_finite_gradient_at_zero(self, kind):
        sq = torch.tensor([1e-6, 0.0], dtype=torch.float64, requires_grad=True)
        value = L.robust_penalty(sq, 3.0, kind)
        assert value[0].item() == pytest.approx(0.5e-6, rel=1e-3)
        value.sum().backward()
        assert torch.isfinite(sq.grad).all()

    def test_linear_tail(self):
        # Huber and pseudo-Huber grow like delta * r for r >> delta.
        for kind in ("huber", "pseudo_huber"):
            a, b = (L.robust_penalty(torch.tensor(r * r), 1.0, kind).item() for r in (1000.0, 2000.0))
            assert b - a == pytest.approx(1000.0, rel=1e-2)

    def test_exception(self):
        with pytest.raises(InputError, match="unknown robust penalty 'cauchy'"):
            L.robust_penalty(torch.tensor(1.0), 1.0, "cauchy")
        with pytest.raises(InputError, match="delta must be > 0, got 0"):
            L.robust_penalty(torch.tensor(1.0), 0.0, "huber")


def test_weighted_mean_and_zero_weights():
    v = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([[1.0, 0.0], [1.0, 2.0]])
    assert L.weighted_mean(v, w).item() == pytest.approx((1 + 3 + 8) / 4)
    assert L.weighted_mean(v, torch.zeros_like(w)).item() == 0.0


def test_robust_mean_of_residual_vectors():
    # Residuals (3, 4) and (0, 0): norms 5 and 0; Huber(2) of 5 is 2 (5 - 1) = 8; weights 1 and 3.
    r = torch.tensor([[[3.0, 4.0], [0.0, 0.0]]])
    w = torch.tensor([[1.0, 3.0]])
    assert L.robust_mean(r, w, 2.0, "huber").item() == pytest.approx(8.0 / 4.0)
    assert L.robust_mean(r, w, 2.0, "l2").item() == pytest.approx(12.5 / 4.0)


def test_root_of_joint_and_hip_midpoint():
    X = torch.arange(2 * 3 * 3, dtype=torch.float64).reshape(2, 3, 3)
    torch.testing.assert_close(L.root_of(X, 1), X[:, 1:2])
    torch.testing.assert_close(L.root_of(X, (0, 2)), 0.5 * (X[:, 0:1] + X[:, 2:3]))
    conf = torch.tensor([[1.0, 0.5, 0.2]])
    assert L.root_confidence(conf, (0, 1)).item() == 0.5


def test_mask_missing_zeroes_weights_and_values_of_non_finite_joints():
    ref = torch.tensor([[[1.0, 2.0], [float("nan"), 0.0], [3.0, float("inf")]]])
    conf = torch.tensor([[0.5, 1.0, 1.0]])
    ref_out, conf_out = L.mask_missing(ref, conf)
    torch.testing.assert_close(ref_out, torch.tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]]))
    torch.testing.assert_close(conf_out, torch.tensor([[0.5, 0.0, 0.0]]))
    _, conf_nan = L.mask_missing(torch.zeros(1, 2, 3), torch.tensor([[float("nan"), 1.0]]))
    torch.testing.assert_close(conf_nan, torch.tensor([[0.0, 1.0]]))


def test_shape_checks_name_the_argument():
    L.check_joints(torch.zeros(2, 4, 3))
    L.check_shape(torch.zeros(2, 4), (2, 4), "conf")
    with pytest.raises(ShapeError, match=r"X_init must have shape \(T, J, 3\), got \(2, 4\)"):
        L.check_joints(torch.zeros(2, 4), "X_init")
    with pytest.raises(ShapeError, match=r"conf must have shape \(2, 4\), got \(2, 3\)"):
        L.check_shape(torch.zeros(2, 3), (2, 4), "conf")


def test_lag_band_forgives_motion_up_to_the_band_beyond_the_flow_only_along_it():
    flow = torch.tensor([[[10.0, 0.0], [0.0, 4.0]]])
    motion = torch.tensor([[[13.0, 2.0], [0.0, 1.0]]])  # 1.3x the flow plus 2 px across; a quarter of it
    r = L.lag_band(motion - flow, flow, 0.5)
    assert torch.allclose(r[0, 0], torch.tensor([0.0, 2.0]))  # inside the band: only the cross-flow part stays
    assert torch.allclose(r[0, 1], torch.tensor([0.0, -3.0]))  # short of the flow: the full residual
    far = L.lag_band(torch.tensor([[[8.0, 0.0]]]), torch.tensor([[[10.0, 0.0]]]), 0.5)
    assert torch.allclose(far, torch.tensor([[[3.0, 0.0]]]))  # 1.8x the flow: 0.3 |F| past the band
    assert torch.equal(L.lag_band(motion - flow, flow, 0.0), motion - flow)
    still = L.lag_band(torch.tensor([[[0.5, -0.5]]]), torch.zeros(1, 1, 2), 0.5)
    assert torch.allclose(still, torch.tensor([[[0.5, -0.5]]]))  # no flow, no direction: unchanged
