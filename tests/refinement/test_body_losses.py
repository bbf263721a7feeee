"""Tests of flowpose.refinement.body_losses: L_3D, the temporal terms and L_bone.

Each term's value on hand-computed cases, its optimum, missing data, shapes and float64 gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowpose.errors import ShapeError
from flowpose.refinement import body_losses as L
from tests.refinement.test_losses import CHAIN, ones, planar_video

# ----------------------------------------------------------------------------------------------------------
# L_3D


def part(name: str):
    """One part of pose3d_losses as a function (X, X_init, conf, *, root, delta_mm, penalty="pseudo_huber")."""

    def term(X, X_init, conf, *, root, delta_mm, penalty="pseudo_huber"):
        return getattr(L.pose3d_losses(X, X_init, conf, root=root, delta_mm=delta_mm, penalty=penalty), name)

    return term


position, lateral = part("position"), part("lateral")


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
        return part("rel")(X, X0, conf, root=0, delta_mm=50.0, penalty=kw.pop("penalty", "l2"))

    def test_zero_at_optimum_and_translation_invariance(self):
        assert self.rel(self.X0).item() == 0.0
        moved = self.X0 + torch.tensor([0.3, -0.2, 1.0], dtype=torch.float64)
        assert self.rel(moved).item() == pytest.approx(0.0, abs=1e-9)
        assert position(moved, self.X0, self.conf, root=0, delta_mm=50.0).item() > 0

    def test_hand_computed(self):
        # Joint 2 off by 10 mm in frame 0; weighted over the 2 non-root joints x 3 frames: 0.5 * 100 / 6.
        X = self.X0.clone()
        X[0, 2, 1] += 0.010
        assert self.rel(X).item() == pytest.approx(50.0 / 6.0)
        # The root off by 30 mm in depth: the relative offsets of both other joints change in that frame.
        Y = self.X0.clone()
        Y[1, 0, 2] += 0.030
        assert self.rel(Y).item() == pytest.approx(2 * 450.0 / 6.0)
        assert position(Y, self.X0, self.conf, root=0, delta_mm=50.0, penalty="l2").item() == (
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
        loss = self.rel(X, X0, conf) + position(X, X0, conf, root=0, delta_mm=50.0)
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
        assert part("rel")(X, self.X0, self.conf, root=(1, 2), delta_mm=50.0).item() == pytest.approx(
            0, abs=1e-9
        )

    def test_centroid_hand_computed(self):
        # About the centroid of the 3 joints, joint 2 off by 30 mm in frame 0 moves the centroid by 10 mm: the
        # offsets are -10, -10 and +20 mm, so L = 0.5 (100 + 100 + 400) / 9 over 3 joints x 3 frames.
        X = self.X0.clone()
        X[0, 2, 1] += 0.030
        rel = part("rel")(X, self.X0, self.conf, root=None, delta_mm=50.0, penalty="l2")
        assert rel.item() == pytest.approx(300.0 / 9.0)
        moved = self.X0 + torch.tensor([0.3, -0.2, 1.0], dtype=torch.float64)
        assert part("rel")(moved, self.X0, self.conf, root=None, delta_mm=50.0).item() == pytest.approx(0, abs=1e-9)
        # The body's position: the centroid moved 10 mm in frame 0.
        assert position(X, self.X0, self.conf, root=None, delta_mm=50.0, penalty="l2").item() == (
            pytest.approx(50.0 / 3.0)
        )

    def test_centroid_gives_the_root_joint_no_leverage(self):
        # The root joint off by 30 mm costs what any other joint's 30 mm costs about the centroid, but twice that
        # about the root, where it moves the offsets of both others: pulled by every joint's anchor, a root held
        # by other terms too comes apart from its neighbours (the pelvis from the hips on real video).
        kw = dict(delta_mm=50.0, penalty="l2")
        root_moved, other_moved = self.X0.clone(), self.X0.clone()
        root_moved[1, 0, 0] += 0.030
        other_moved[1, 2, 0] += 0.030
        rel = part("rel")
        about_centroid = [rel(X, self.X0, self.conf, root=None, **kw).item() for X in (root_moved, other_moved)]
        about_root = [rel(X, self.X0, self.conf, root=0, **kw).item() for X in (root_moved, other_moved)]
        assert about_centroid[0] == pytest.approx(about_centroid[1])
        assert about_root[0] == pytest.approx(2 * about_root[1])

    def test_centroid_of_the_observed_joints(self):
        # Frame 1 lacks joint 2: its centroid is that of joints 0 and 1, in X and X0 alike, so moving joint 2
        # there costs nothing, and a frame with no joint at all drops out.
        X0 = self.X0.clone()
        X0[1, 2] = float("nan")
        conf = self.conf.clone()
        conf[2] = 0.0
        shifted = self.X0 + torch.tensor([0.1, 0.0, 0.0], dtype=torch.float64)
        X = shifted.clone()
        X[1, 2] += 0.5
        X[2] += torch.randn(3, 3, dtype=torch.float64)
        for name in ("rel", "position", "lateral"):
            term = part(name)
            assert term(X, X0, conf, root=None, delta_mm=50.0).item() == pytest.approx(
                term(shifted, X0, conf, root=None, delta_mm=50.0).item()
            )
        assert part("rel")(X, X0, conf, root=None, delta_mm=50.0).item() == pytest.approx(0.0, abs=1e-9)
        assert lateral(X, X0, conf, root=None, delta_mm=50.0).item() > 0

    def test_root_lateral_ignores_depth_along_the_ray_and_charges_the_rest(self):
        kw = dict(root=0, delta_mm=50.0, penalty="l2")
        X0 = self.X0.clone()
        X0[:, :, 2] += 3.0  # roots about 3 m in front of the camera
        ray = X0[:, 0] / X0[:, 0].norm(dim=-1, keepdim=True)
        along = X0 + 0.4 * ray[:, None]  # 40 cm deeper along each frame's own ray
        assert lateral(along, X0, self.conf, **kw).item() == pytest.approx(0.0, abs=1e-9)
        assert position(along, X0, self.conf, **kw).item() > 0
        # 20 mm across the ray in frame 0 only: 0.5 * 20^2 over 3 frames (that ray is the optical axis).
        across = X0.clone()
        across[0, :, 0] += 0.020
        assert ray[0, :2].abs().max().item() < 1e-12
        assert lateral(across, X0, self.conf, **kw).item() == pytest.approx(200.0 / 3.0)
        missing = X0.clone()
        missing[0, 0] = float("nan")
        assert lateral(across, missing, self.conf, **kw).item() == pytest.approx(0.0, abs=1e-9)

    def test_position_takes_its_own_robust_scale_where_few_joints_are_seen(self):
        # The whole body 2 m nearer the camera: the position residual is 2000 mm in every frame. Frame 0 sees its
        # joints at confidence 0.3 (0.9 of 3 joints: under half), the others at 1.
        X0 = self.X0 + torch.tensor([0.0, 0.0, 3.0], dtype=torch.float64)
        X = X0 - torch.tensor([0.0, 0.0, 2.0], dtype=torch.float64)
        conf = self.conf.clone()
        conf[0] = 0.3

        def parts(**kw):
            return L.pose3d_losses(X, X0, conf, root=None, delta_mm=100.0, penalty="pseudo_huber", **kw)

        robust = 100.0**2 * (np.sqrt(401.0) - 1.0)  # pseudo-Huber at 100 mm: a tenth of 0.5 * 2000^2
        quadratic = 0.5 * 2000.0**2
        shared, own = parts(), parts(position_delta_mm=1e5, sparse_share=0.5)
        assert shared.position.item() == pytest.approx(robust)
        assert parts(position_delta_mm=1e5).position.item() == pytest.approx(robust)  # no frame is sparse
        # Weighted by the centre's confidence: 0.3 for frame 0, 1 for the others.
        assert own.position.item() == pytest.approx((0.3 * quadratic + 2.0 * robust) / 2.3, rel=1e-3)
        assert own.rel.item() == shared.rel.item() and own.lateral.item() == shared.lateral.item()

    def test_exception(self):
        with pytest.raises(ShapeError, match="X_init"):
            self.rel(self.X0, self.X0[:2])
        with pytest.raises(ShapeError, match="conf"):
            self.rel(self.X0, conf=ones(3, 2))

    def test_gradcheck(self):
        X = (self.X0 + 0.03 * torch.randn(3, 3, 3, dtype=torch.float64)).requires_grad_(True)
        for root in ((0, 1), None):
            kw = dict(root=root, delta_mm=20.0)
            for term in (part("rel"), position, lateral):
                assert torch.autograd.gradcheck(lambda x, term=term, kw=kw: term(x, self.X0 + 2.0, self.conf, **kw), (X,))


# ----------------------------------------------------------------------------------------------------------
# L_temp


def even(T: int, fps: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(T - 1,) intervals of frames evenly spaced at ``fps``, seconds."""
    return torch.full((max(T - 1, 0),), 1.0 / fps, dtype=dtype)


class TestTemporal:
    def test_constant_velocity(self):
        # 0.1 m per frame at 30 fps is 3 m/s: L_vel = 9, L_acc = 0.
        X = planar_video(T=5, shift_m=0.1)
        assert L.velocity_loss(X, dt=even(5, 30.0)).item() == pytest.approx(9.0)
        assert L.acceleration_loss(X, dt=even(5, 30.0)).item() == pytest.approx(0.0, abs=1e-9)

    def test_frame_rate_independent(self):
        # x(t) = 0.5 a t^2 with a = 4 m/s^2 sampled at 30 and at 60 fps: the same physical acceleration.
        for fps in (30.0, 60.0):
            t = torch.arange(int(fps), dtype=torch.float64) / fps
            X = torch.zeros(len(t), 1, 3, dtype=torch.float64)
            X[:, 0, 0] = 0.5 * 4.0 * t**2
            assert L.acceleration_loss(X, dt=even(len(t), fps, torch.float64)).item() == pytest.approx(16.0)

    def test_even_intervals_give_the_frame_rate_second_difference(self):
        X = torch.randn(7, 3, 3, dtype=torch.float64)
        a = (X[2:] - 2 * X[1:-1] + X[:-2]) * 25.0**2
        expected = (a * a).sum(-1).mean().item()
        assert L.acceleration_loss(X, dt=even(7, 25.0, torch.float64)).item() == pytest.approx(expected, rel=1e-12)

    def test_unequal_intervals_are_each_their_own_length(self):
        # A variable frame rate: frames at uneven times of x(t) = 0.5 a t^2 + u t. The velocity of each interval
        # is its own mean, u + a (t_t + t_{t+1}) / 2, and the acceleration is a everywhere, as with even frames;
        # taking the frames as evenly spaced at their mean rate gets both wrong.
        t = torch.tensor([0.0, 1 / 30, 2 / 30, 4 / 30, 5 / 30, 8 / 30, 9 / 30], dtype=torch.float64)
        X = torch.zeros(len(t), 1, 3, dtype=torch.float64)
        X[:, 0, 0] = 0.5 * 4.0 * t**2 + 1.5 * t
        dt = t[1:] - t[:-1]
        v = 1.5 + 4.0 * (t[1:] + t[:-1]) / 2
        assert L.velocity_loss(X, dt=dt).item() == pytest.approx(float((v * v).mean()), rel=1e-12)
        assert L.acceleration_loss(X, dt=dt).item() == pytest.approx(16.0, rel=1e-9)
        mean_rate = (len(t) - 1) / float(t[-1])
        assert L.acceleration_loss(X, dt=even(len(t), mean_rate, torch.float64)).item() > 100.0

    def test_short_videos_and_cardinality(self):
        X = torch.randn(2, 3, 3)
        assert L.acceleration_loss(X, dt=even(2, 30.0)).item() == 0.0
        assert L.velocity_loss(X[:1], dt=even(1, 30.0)).item() == 0.0
        with pytest.raises(ShapeError, match="dt"):
            L.velocity_loss(X, dt=even(3, 30.0))

    def test_gradcheck(self):
        X = torch.randn(5, 3, 3, dtype=torch.float64, requires_grad=True)
        dt = torch.tensor([0.04, 0.03, 0.05, 0.04], dtype=torch.float64)
        assert torch.autograd.gradcheck(lambda x: L.velocity_loss(x, dt=dt), (X,))
        assert torch.autograd.gradcheck(lambda x: L.acceleration_loss(x, dt=dt), (X,))


class TestStillness:
    def test_mean_of_the_weighted_squared_speed(self):
        # 0.1 m per frame at 30 fps is 3 m/s (9 (m/s)^2) for every joint; joint 1 moves twice as fast (36). The mean
        # is over all 3 pairs x 3 joints, so that joints not still cost nothing.
        X = planar_video(T=4, shift_m=0.1)
        X[:, 1, 0] += torch.arange(4, dtype=X.dtype) * 0.1
        still = torch.zeros(3, 3)
        still[:, 0] = 1.0
        assert L.stillness_loss(X, dt=even(4, 30.0), still=still).item() == pytest.approx(3 * 9.0 / 9, rel=1e-6)
        still[:, 1] = 3.0
        assert L.stillness_loss(X, dt=even(4, 30.0), still=still).item() == pytest.approx((27 + 9 * 36) / 9, rel=1e-6)

    def test_no_still_joint_costs_nothing(self):
        X = planar_video(T=4, shift_m=0.1)
        assert L.stillness_loss(X, dt=even(4, 30.0), still=torch.zeros(3, 3)).item() == 0.0
        assert L.stillness_loss(X[:1], dt=even(1, 30.0), still=torch.zeros(0, 3)).item() == 0.0
        with pytest.raises(ShapeError, match="still"):
            L.stillness_loss(X, dt=even(4, 30.0), still=torch.zeros(4, 3))

    def test_gradcheck(self):
        X = torch.randn(5, 3, 3, dtype=torch.float64, requires_grad=True)
        dt = torch.tensor([0.04, 0.03, 0.05, 0.04], dtype=torch.float64)
        still = torch.rand(4, 3, dtype=torch.float64)
        assert torch.autograd.gradcheck(lambda x: L.stillness_loss(x, dt=dt, still=still), (X,))


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

    def test_zero_length_bone_has_finite_gradient(self):
        X = torch.zeros(3, 3, 3, dtype=torch.float64, requires_grad=True)
        L.bone_length_loss(X, CHAIN).backward()
        assert torch.isfinite(X.grad).all()

    def test_gradcheck(self):
        X = torch.randn(4, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: L.bone_length_loss(x, CHAIN), (X,))


# ----------------------------------------------------------------------------------------------------------
# L_contact

LEVEL = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, -1.0, 2.0], [0.0, 1.0, 0.0, 0.0]], dtype=torch.float64)
"""[R | t] of a level camera 2 m above the floor, looking along the world's +y: a camera point's world height is
2 - y (camera y down)."""
ANKLES = (3, 6)


def feet(heights: list[tuple[float, float]]) -> torch.Tensor:
    """(T, 17, 3) camera metres: everything 3 m ahead at 1 m up, the two ankles at the given world heights."""
    X = torch.zeros(len(heights), 17, 3, dtype=torch.float64)
    X[..., 2], X[..., 1] = 3.0, 1.0
    for t, (a, b) in enumerate(heights):
        X[t, ANKLES[0], 1], X[t, ANKLES[1], 1] = 2.0 - a, 2.0 - b
    return X


class TestContact:
    def loss(self, X, weights=None, penalty="l2"):
        w = torch.ones(X.shape[0], dtype=torch.float64) if weights is None else weights
        return L.contact_loss(X, LEVEL, ANKLES, 0.07, w, delta_mm=30.0, penalty=penalty)

    def test_zero_with_the_lower_ankle_at_its_height_whatever_the_other(self):
        assert self.loss(feet([(0.07, 0.07), (0.07, 0.40), (0.35, 0.07)])).item() == pytest.approx(0.0, abs=1e-9)

    def test_hand_computed(self):
        # frames 10 mm down and 30 mm up: (100 + 900) / 2 / 2 with l2, rho = r^2 / 2
        assert self.loss(feet([(0.06, 0.5), (0.2, 0.10)])).item() == pytest.approx(250.0)
        assert self.loss(feet([(0.1, 0.1)]), penalty="pseudo_huber").item() == pytest.approx(
            30.0**2 * (np.sqrt(2.0) - 1.0))

    def test_a_frame_of_weight_zero_says_nothing(self):
        X = feet([(0.07, 0.2), (0.5, 0.6)])
        assert self.loss(X, torch.tensor([1.0, 0.0], dtype=torch.float64)).item() == pytest.approx(0.0, abs=1e-9)
        assert self.loss(X, torch.zeros(2, dtype=torch.float64)).item() == 0.0

    def test_the_gradient_lowers_the_whole_body_alike(self):
        X = feet([(0.2, 0.3)]).requires_grad_()
        self.loss(X).backward()
        assert (X.grad[0, :, 1] < 0).all()  # down the gradient: camera y grows, every joint goes down
        torch.testing.assert_close(X.grad[0], X.grad[0, :1].expand(17, 3))  # alike: the pose is not bent
