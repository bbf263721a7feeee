"""Tests of flowpose.refinement.image_losses: bone points, L_opt and L_2D.

Each term's value on hand-computed cases, its optimum, missing data, shapes and float64 gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowpose.camera import project
from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.refinement import image_losses as L
from tests.refinement.test_losses import CHAIN, F_PX, K, ones, planar_video


def constant_flow(T: int, u: float, v: float = 0.0, size: int = 64) -> FlowField:
    """A full-frame FlowField whose flow is (u, v) px everywhere, confidence 1."""
    flow = np.zeros((T - 1, size, size, 2), np.float32)
    flow[..., 0], flow[..., 1] = u, v
    return FlowField.full_frame(flow)



# ----------------------------------------------------------------------------------------------------------
# Bone points


class TestBonePoints:
    def test_smoke_and_cardinality(self):
        X = torch.randn(5, 3, 3)
        assert L.bone_points(X, CHAIN, 4).shape == (5, 3 + 2 * 4, 3)
        assert L.bone_points(X, CHAIN, 0) is X

    def test_hand_values(self):
        X = torch.tensor([[[0.0, 0, 0], [3.0, 0, 0], [3.0, 6.0, 0]]])
        P = L.bone_points(X, CHAIN, 2)
        expected = torch.tensor([[1.0, 0, 0], [2.0, 0, 0], [3.0, 2.0, 0], [3.0, 4.0, 0]])
        torch.testing.assert_close(P[0, 3:], expected)
        torch.testing.assert_close(P[0, :3], X[0])

    def test_weights_take_the_lower_end(self):
        conf = torch.tensor([[1.0, 0.5, 0.0]])
        w = L.bone_point_weights(conf, CHAIN, 2)
        torch.testing.assert_close(w, torch.tensor([[1.0, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0]]))

    def test_exception(self):
        with pytest.raises(ShapeError, match=r"X must have shape \(T, J, 3\), got \(3, 3\)"):
            L.bone_points(torch.zeros(3, 3), CHAIN, 1)
        with pytest.raises(ShapeError, match="bones"):
            L.bone_points(torch.zeros(1, 3, 3), torch.tensor([0, 1]), 1)
        with pytest.raises(InputError, match="bone samples must be >= 0, got -1"):
            L.bone_points(torch.zeros(1, 3, 3), CHAIN, -1)

    def test_gradcheck(self):
        X = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: L.bone_points(x, CHAIN, 3), (X,))


# ----------------------------------------------------------------------------------------------------------
# L_opt


class TestOpticalFlowLoss:
    def _loss(self, X, flow, **kw):
        N = 3 + 2 * 2
        return L.optical_flow_loss(
            X, K, flow, bones=CHAIN, samples=2, point_weights=ones(X.shape[0], N), delta_px=1.0, **kw
        )

    def test_zero_at_optimum(self):
        # A plane at 2 m translating 2 cm per frame moves every point by f * 0.02 / 2 = 1 px per frame.
        X = planar_video(shift_m=0.02)
        assert self._loss(X, constant_flow(4, 1.0)).item() == pytest.approx(0.0, abs=1e-6)

    def test_hand_computed(self):
        # Motion 1 px/frame against a flow of (4, 0) px: |r| = 3 px, Huber(1): 1 * (3 - 0.5) = 2.5 for every
        # point.
        X = planar_video(shift_m=0.02)
        assert self._loss(X, constant_flow(4, 4.0), penalty="huber").item() == pytest.approx(2.5, rel=1e-5)
        assert self._loss(X, constant_flow(4, 4.0), penalty="l2").item() == pytest.approx(4.5, rel=1e-5)

    def test_weights_and_per_frame(self):
        X = planar_video(T=3, shift_m=0.02)
        flow = constant_flow(3, 1.0)
        flow.flow[1] = [4.0, 0.0]  # pair 1 is off by 3 px, pair 0 exact
        N = 7
        w = ones(3, N)
        per_frame = L.optical_flow_loss(
            X, K, flow, bones=CHAIN, samples=2, point_weights=w, delta_px=1.0, penalty="l2", reduction="frame"
        )
        torch.testing.assert_close(
            per_frame, torch.tensor([0.0, 2.25], dtype=torch.float64), atol=1e-5, rtol=1e-5
        )
        # A pair's weight is the lower of its two frames' detection weights: zeroing frame 2 removes pair 1.
        w[2] = 0.0
        value = L.optical_flow_loss(X, K, flow, bones=CHAIN, samples=2, point_weights=w, delta_px=1.0)
        assert value.item() == pytest.approx(0.0, abs=1e-6)

    def test_outside_the_grid_contributes_nothing(self):
        X = planar_video(shift_m=0.02)
        X[..., 0] += 5.0  # projects far right of a 64 px wide grid
        X = X.requires_grad_(True)
        loss = self._loss(X, constant_flow(4, 9.0))
        loss.backward()
        assert loss.item() == 0.0 and (X.grad == 0).all()

    def test_independent_of_video_length(self):
        short, long = planar_video(T=4), planar_video(T=12)
        assert self._loss(short, constant_flow(4, 3.0)).item() == pytest.approx(
            self._loss(long, constant_flow(12, 3.0)).item(), rel=1e-6
        )

    def test_location_gradient_option(self):
        # Flow u = 0.1 x (a spatial gradient): only the through-location variant sees dF/dx.
        T, size = 2, 64
        xs = np.arange(size, dtype=np.float32)
        flow = np.zeros((T - 1, size, size, 2), np.float32)
        flow[..., 0] = 0.1 * xs[None, None, :]
        field = FlowField.full_frame(flow)
        X = planar_video(T=T, J=1).requires_grad_(True)
        w = ones(T, 1)
        grads = []
        for through in (False, True):
            X.grad = None
            L.optical_flow_loss(
                X,
                K,
                field,
                bones=torch.zeros(0, 2, dtype=torch.long),
                samples=0,
                point_weights=w,
                delta_px=1.0,
                penalty="l2",
                through_location=through,
            ).backward()
            grads.append(X.grad[0, 0, 0].item())
        # r = p1 - p0 - 0.1 p0 (u only): dL/dp0 = -r (1 + 0.1 [through]); d p0 / dX = f / z.
        p = project(X.detach(), K)[:, 0, 0]
        r = (p[1] - p[0] - 0.1 * p[0]).item()
        assert grads[0] == pytest.approx(-r * F_PX / 2.0, rel=1e-4)
        assert grads[1] == pytest.approx(-r * 1.1 * F_PX / 2.0, rel=1e-4)

    def test_cardinality_and_short_videos(self):
        X = planar_video(T=4)
        assert self._loss(X, constant_flow(4, 1.0), reduction="frame").shape == (3,)
        assert self._loss(X[:1], constant_flow(2, 1.0)).item() == 0.0

    def test_exception(self):
        X = planar_video(T=4)
        with pytest.raises(ShapeError, match="flow must have shape 3 frame pairs for 4 frames"):
            self._loss(X, constant_flow(3, 1.0))
        with pytest.raises(ShapeError, match="point_weights"):
            L.optical_flow_loss(
                X, K, constant_flow(4, 1.0), bones=CHAIN, samples=2, point_weights=ones(4, 3), delta_px=1.0
            )

    def test_gradcheck(self):
        # Through the location, with a linear flow field: bilinear sampling is then exact and smooth, so
        # finite
        # differences apply. (The detached variant is not the derivative of its own value, by design.)
        size = 64
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        flow = np.stack([0.05 * xs + 1.0, -0.03 * ys], -1)[None].repeat(2, 0)
        X = (planar_video(T=3) + 0.01 * torch.randn(3, 3, 3, dtype=torch.float64)).requires_grad_(True)
        assert torch.autograd.gradcheck(
            lambda x: self._loss(x, FlowField.full_frame(flow), through_location=True), (X,)
        )

    def test_residual_form_gradcheck(self):
        points = torch.randn(3, 5, 2, dtype=torch.float64, requires_grad=True)
        flow, w = torch.randn(2, 5, 2, dtype=torch.float64), torch.rand(2, 5, dtype=torch.float64)
        assert torch.autograd.gradcheck(lambda p: L.flow_residual_loss(p, flow, w, delta_px=0.7), (points,))


# ----------------------------------------------------------------------------------------------------------
# L_2D


class TestKeypoint2D:
    def test_zero_at_optimum_and_hand_computed(self):
        X = planar_video(T=2)
        x2d = project(X, K)
        conf = ones(2, 3)
        assert L.keypoint2d_loss(X, K, x2d, conf, delta_px=2.0).item() == 0.0
        shifted = x2d.clone()
        shifted[0, 1] += torch.tensor([3.0, 4.0], dtype=torch.float64)  # 5 px off; Huber(2): 2 (5 - 1) = 8
        conf[1, 2] = 0.5
        value = L.keypoint2d_loss(X, K, shifted, conf, delta_px=2.0, penalty="huber")
        assert value.item() == pytest.approx(8.0 / 5.5)

    def test_nan_keypoints_contribute_nothing(self):
        X = planar_video(T=2).requires_grad_(True)
        x2d = project(X.detach(), K)
        x2d[1, 0] = float("nan")
        loss = L.keypoint2d_loss(X, K, x2d, ones(2, 3), delta_px=2.0, reduction="frame")
        loss.sum().backward()
        assert torch.isfinite(loss).all() and torch.isfinite(X.grad).all()

    def test_exception(self):
        with pytest.raises(ShapeError, match=r"x2d must have shape \(2, 3, 2\)"):
            L.keypoint2d_loss(planar_video(T=2), K, torch.zeros(2, 3, 3), ones(2, 3), delta_px=1.0)

    def test_gradcheck(self):
        X = planar_video(T=2).requires_grad_(True)
        x2d = project(X.detach(), K) + torch.randn(2, 3, 2, dtype=torch.float64) * 3
        assert torch.autograd.gradcheck(
            lambda x: L.keypoint2d_loss(x, K, x2d, ones(2, 3), delta_px=2.0), (X,)
        )


def test_flow_tensors_are_a_flow_sampler():
    # The pose stage samples the flow through FlowField.to_torch: the loss must not depend on which is given.
    X = planar_video(T=3, shift_m=0.03)
    X[..., 0] += 0.3  # part of the bone points project off the 64 px grid (confidence 0 there)
    ys, xs = np.mgrid[0:64, 0:64].astype(np.float32)
    field = FlowField.full_frame(np.stack([0.05 * xs + 1.0, -0.03 * ys], -1)[None].repeat(2, 0))
    kw = dict(bones=CHAIN, samples=2, point_weights=ones(3, 7), delta_px=1.0, reduction="frame")
    expected = L.optical_flow_loss(X, K, field, **kw)
    got = L.optical_flow_loss(X, K, field.to_torch("cpu", torch.float64), **kw)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    assert expected.sum() > 0
