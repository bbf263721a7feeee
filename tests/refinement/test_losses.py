"""Tests of flowpose.refinement.losses.

Each term's value on hand-computed cases, its optimum, missing data, shapes and float64 gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowpose.camera import project
from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
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


def constant_flow(T: int, u: float, v: float = 0.0, size: int = 64) -> FlowField:
    """A full-frame FlowField whose flow is (u, v) px everywhere, confidence 1."""
    flow = np.zeros((T - 1, size, size, 2), np.float32)
    flow[..., 0], flow[..., 1] = u, v
    return FlowField.full_frame(flow)


def ones(T: int, N: int) -> torch.Tensor:
    return torch.ones(T, N, dtype=torch.float64)


# ----------------------------------------------------------------------------------------------------
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


def test_weighted_mean_frames_sum_to_mean_and_zero_weights():
    v = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([[1.0, 0.0], [1.0, 2.0]])
    assert L.weighted_mean(v, w).item() == pytest.approx((1 + 3 + 8) / 4)
    torch.testing.assert_close(L.weighted_mean(v, w, "frame"), torch.tensor([0.25, 2.75]))
    assert L.weighted_mean(v, torch.zeros_like(w)).item() == 0.0
    with pytest.raises(InputError, match="unknown reduction 'sum'"):
        L.weighted_mean(v, w, "sum")


def test_root_of_joint_and_hip_midpoint():
    X = torch.arange(2 * 3 * 3, dtype=torch.float64).reshape(2, 3, 3)
    torch.testing.assert_close(L.root_of(X, 1), X[:, 1:2])
    torch.testing.assert_close(L.root_of(X, (0, 2)), 0.5 * (X[:, 0:1] + X[:, 2:3]))
    conf = torch.tensor([[1.0, 0.5, 0.2]])
    assert L.root_confidence(conf, (0, 1)).item() == 0.5


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


# -----------------------------------------------------------------------------------------------------------
# L_3D


class TestPose3D:
    def setup_method(self):
        self.X0 = (
            planar_video(T=3)
            + torch.tensor([0.0, 0.0, 0.1], dtype=torch.float64) * torch.arange(3.0)[:, None]
        )
        self.conf = ones(3, 3)

    def rel(self, X, X0=None, conf=None, **kw):
        X0 = self.X0 if X0 is None else X0
        conf = self.conf if conf is None else conf
        return L.pose3d_rel_loss(X, X0, conf, root=0, delta_mm=50.0, penalty=kw.pop("penalty", "l2"), **kw)

    def test_zero_at_optimum_and_translation_invariance(self):
        assert self.rel(self.X0).item() == 0.0
        moved = self.X0 + torch.tensor([0.3, -0.2, 1.0], dtype=torch.float64)
        assert self.rel(moved).item() == pytest.approx(0.0, abs=1e-9)
        assert L.root_position_loss(moved, self.X0, self.conf, root=0, delta_mm=50.0).item() > 0

    def test_hand_computed(self):
        # Joint 2 off by 10 mm in frame 0; weighted over the 2 non-root joints x 3 frames: 0.5 * 100 / 6.
        X = self.X0.clone()
        X[0, 2, 1] += 0.010
        assert self.rel(X).item() == pytest.approx(50.0 / 6.0)
        # The root off by 30 mm in depth: the relative offsets of both other joints change in that frame.
        Y = self.X0.clone()
        Y[1, 0, 2] += 0.030
        assert self.rel(Y).item() == pytest.approx(2 * 450.0 / 6.0)
        assert L.root_position_loss(Y, self.X0, self.conf, root=0, delta_mm=50.0, penalty="l2").item() == (
            pytest.approx(450.0 / 3.0)
        )

    def test_missing_joints_contribute_nothing(self):
        X0 = self.X0.clone()
        X0[1, 2] = float("nan")
        conf = self.conf.clone()
        conf[2, 1] = 0.0
        X = self.X0.clone()
        X[1, 2] += 0.5
        X[2, 1] += 0.5
        X.requires_grad_(True)
        loss = self.rel(X, X0, conf) + L.root_position_loss(X, X0, conf, root=0, delta_mm=50.0)
        loss.backward()
        assert torch.isfinite(loss) and loss.item() == pytest.approx(0.0, abs=1e-9)
        assert (X.grad[1, 2] == 0).all() and (X.grad[2, 1] == 0).all()

    def test_missing_root_drops_its_frame(self):
        X0 = self.X0.clone()
        X0[0, 0] = float("nan")
        X = self.X0.clone()
        X[0, 2] += 0.1
        assert self.rel(X, X0).item() == 0.0

    def test_hip_midpoint_root(self):
        X = self.X0 + 0.05
        assert L.pose3d_rel_loss(X, self.X0, self.conf, root=(1, 2), delta_mm=50.0).item() == pytest.approx(
            0, abs=1e-9
        )

    def test_combined(self):
        X = self.X0 + torch.randn(3, 3, 3, dtype=torch.float64) * 0.01
        kw = dict(root=0, delta_mm=50.0)
        expected = 2.0 * L.pose3d_rel_loss(X, self.X0, self.conf, **kw) + 0.5 * L.root_position_loss(
            X, self.X0, self.conf, **kw
        )
        got = L.pose3d_loss(X, self.X0, self.conf, w_rel=2.0, w_abs=0.5, **kw)
        torch.testing.assert_close(got, expected)

    def test_per_frame_sums_to_mean(self):
        X = self.X0 + torch.randn(3, 3, 3, dtype=torch.float64) * 0.05
        frames = self.rel(X, reduction="frame", penalty="pseudo_huber")
        assert frames.shape == (3,)
        assert frames.sum().item() == pytest.approx(self.rel(X, penalty="pseudo_huber").item())

    def test_exception(self):
        with pytest.raises(ShapeError, match="X_init"):
            self.rel(self.X0, self.X0[:2])
        with pytest.raises(ShapeError, match="conf"):
            self.rel(self.X0, conf=ones(3, 2))

    def test_gradcheck(self):
        X = (self.X0 + 0.03 * torch.randn(3, 3, 3, dtype=torch.float64)).requires_grad_(True)
        kw = dict(root=(0, 1), w_rel=1.0, w_abs=0.1, delta_mm=20.0)
        assert torch.autograd.gradcheck(lambda x: L.pose3d_loss(x, self.X0, self.conf, **kw), (X,))


# -----------------------------------------------------------------------------------------------------------
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


# -------------------------------------------------------------------------------------------------------
# L_temp


class TestTemporal:
    def test_constant_velocity(self):
        # 0.1 m per frame at 30 fps is 3 m/s: L_vel = 9, L_acc = 0.
        X = planar_video(T=5, shift_m=0.1)
        assert L.velocity_loss(X, fps=30.0).item() == pytest.approx(9.0)
        assert L.acceleration_loss(X, fps=30.0).item() == pytest.approx(0.0, abs=1e-9)
        assert L.temporal_loss(X, fps=30.0, w_vel=2.0, w_acc=5.0).item() == pytest.approx(18.0)

    def test_frame_rate_independent(self):
        # x(t) = 0.5 a t^2 with a = 4 m/s^2 sampled at 30 and at 60 fps: the same physical acceleration.
        for fps in (30.0, 60.0):
            t = torch.arange(int(fps), dtype=torch.float64) / fps
            X = torch.zeros(len(t), 1, 3, dtype=torch.float64)
            X[:, 0, 0] = 0.5 * 4.0 * t**2
            assert L.acceleration_loss(X, fps=fps).item() == pytest.approx(16.0)

    def test_short_videos_and_cardinality(self):
        X = torch.randn(2, 3, 3)
        assert L.acceleration_loss(X, fps=30.0).item() == 0.0
        assert L.velocity_loss(X[:1], fps=30.0).item() == 0.0
        assert L.velocity_loss(torch.randn(6, 3, 3), fps=30.0, reduction="frame").shape == (5,)
        assert L.acceleration_loss(torch.randn(6, 3, 3), fps=30.0, reduction="frame").shape == (4,)

    def test_gradcheck(self):
        X = torch.randn(5, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: L.temporal_loss(x, fps=25.0, w_vel=0.3, w_acc=0.01), (X,))


class TestBoneLength:
    def test_zero_for_a_rigid_motion(self):
        T = 6
        angle = torch.linspace(0, 1.0, T, dtype=torch.float64)
        c, s = torch.cos(angle), torch.sin(angle)
        R = torch.stack(
            [
                torch.stack([c, -s, 0 * c], -1),
                torch.stack([s, c, 0 * c], -1),
                torch.stack([0 * c, 0 * c, 1 + 0 * c], -1),
            ],
            -2,
        )
        X = torch.einsum("tij,nj->tni", R, planar_video(T=1)[0]) + torch.randn(T, 1, 3, dtype=torch.float64)
        assert L.bone_length_loss(X, CHAIN).item() == pytest.approx(0.0, abs=1e-9)

    def test_hand_computed(self):
        # Bone 0 alternates 100 / 120 mm (variance 100 mm^2), bone 1 is constant: mean over bones = 50.
        X = torch.zeros(4, 3, 3, dtype=torch.float64)
        X[:, 1, 0] = torch.tensor([0.1, 0.12, 0.1, 0.12], dtype=torch.float64)
        X[:, 2] = X[:, 1] + torch.tensor([0.0, 0.2, 0.0], dtype=torch.float64)
        assert L.bone_length_loss(X, CHAIN).item() == pytest.approx(50.0)
        torch.testing.assert_close(
            L.bone_lengths(X, CHAIN)[:2, 0], torch.tensor([100.0, 120.0], dtype=torch.float64)
        )
        assert L.bone_length_loss(X, CHAIN, reduction="frame").shape == (4,)

    def test_zero_length_bone_has_finite_gradient(self):
        X = torch.zeros(3, 3, 3, dtype=torch.float64, requires_grad=True)
        L.bone_length_loss(X, CHAIN).backward()
        assert torch.isfinite(X.grad).all()

    def test_gradcheck(self):
        X = torch.randn(4, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: L.bone_length_loss(x, CHAIN), (X,))
