"""Tests of flowpose.refinement.objective: L_pose as the optimiser runs it.

The flow and keypoint terms on hand-computed cases, their optimum, pair weights, the flow grid's edge, the
gradient through the sampling location, float64 gradients; the whole objective against its terms; gap filling.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from flowpose.camera import project, project_np
from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.pose import PoseSequence
from flowpose.refinement import body_losses as B
from flowpose.refinement.bone_points import bone_point_matrix
from flowpose.refinement.objective import (
    TERMS,
    PoseProblem,
    build_pose_problem,
    fill_missing_joints,
    flow_target,
    pose_objective,
    pose_terms,
)
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.skeleton import H36M17
from tests.conftest import standing_pose
from tests.refinement.test_losses import CHAIN, F_PX, K, ones, planar_video

OFF = dict(w_flow=0.0, w_3d_rel=0.0, w_3d_abs=0.0, w_3d_lateral=0.0, w_2d=0.0, w_vel=0.0, w_still=0.0, w_acc=0.0, w_bone=0.0)
"""Every term off: a test turns on the one it checks."""


def chain_problem(
    X: torch.Tensor, samples: int = 2, point_weights: torch.Tensor | None = None, times: torch.Tensor | None = None
) -> PoseProblem:
    """The problem of the 3-joint chain video X (float64), observed exactly, every weight 1, its frames at
    ``times`` (s; None: 30 fps)."""
    T, J, _ = X.shape
    N = J + CHAIN.shape[0] * samples
    return PoseProblem(
        X0=X.detach(),
        X_ref=X.detach(),
        conf3d=ones(T, J),
        x2d=project(X.detach(), K),
        conf2d=ones(T, J),
        K=K.expand(T, 3, 3),
        bones=CHAIN,
        root=0,
        point_matrix=bone_point_matrix(J, CHAIN, samples, torch.float64),
        point_weights=ones(T, N) if point_weights is None else point_weights,
        fps=30.0,
        dt=torch.full((T - 1,), 1 / 30.0, dtype=torch.float64) if times is None else times[1:] - times[:-1],
    )


def constant_flow(T: int, u: float, v: float = 0.0, size: int = 64) -> FlowField:
    """A full-frame FlowField whose flow is (u, v) px everywhere, confidence 1."""
    flow = np.zeros((T - 1, size, size, 2), np.float32)
    flow[..., 0], flow[..., 1] = u, v
    return FlowField.full_frame(flow)


def flow_term(X, field: FlowField, problem: PoseProblem | None = None, **config) -> torch.Tensor:
    """L_opt through pose_terms: weight 1, robust scale 1 px, target sampled at X."""
    problem = chain_problem(X) if problem is None else problem
    cfg = PoseStageConfig(**{**OFF, "w_flow": 1.0, "flow_delta_px": 1.0, **config})
    tensors = field.to_torch("cpu", torch.float64)
    return pose_terms(X, problem, cfg, flow_target(X.detach(), problem, cfg, tensors))["flow"]


# ----------------------------------------------------------------------------------------------------------
# L_opt


class TestFlowTerm:
    def test_zero_at_optimum(self):
        # A plane at 2 m translating 2 cm per frame moves every point by f * 0.02 / 2 = 1 px per frame.
        X = planar_video(shift_m=0.02)
        assert flow_term(X, constant_flow(4, 1.0)).item() == pytest.approx(0.0, abs=1e-6)

    def test_hand_computed(self):
        # Motion 1 px/frame against a flow of (4, 0) px: |r| = 3 px, Huber(1): 1 * (3 - 0.5) = 2.5 per point.
        X = planar_video(shift_m=0.02)
        assert flow_term(X, constant_flow(4, 4.0), penalty="huber").item() == pytest.approx(2.5, rel=1e-5)
        assert flow_term(X, constant_flow(4, 4.0), penalty="l2").item() == pytest.approx(4.5, rel=1e-5)
        assert flow_term(X, constant_flow(4, 4.0), penalty="l2", w_flow=0.5).item() == pytest.approx(2.25)

    def test_pair_weight_is_the_lower_frame(self):
        X = planar_video(T=3, shift_m=0.02)
        flow = constant_flow(3, 1.0)
        flow.flow[1] = [4.0, 0.0]  # pair 1 is off by 3 px, pair 0 exact: l2 gives 4.5 over half the points
        assert flow_term(X, flow, penalty="l2").item() == pytest.approx(2.25, rel=1e-5)
        w = ones(3, 7)
        w[2] = 0.0  # zeroing frame 2 removes pair 1
        assert flow_term(X, flow, chain_problem(X, point_weights=w)).item() == pytest.approx(0.0, abs=1e-6)

    def test_outside_the_grid_contributes_nothing(self):
        X = planar_video(shift_m=0.02)
        X[..., 0] += 5.0  # projects far right of a 64 px wide grid
        X = X.requires_grad_(True)
        loss = flow_term(X, constant_flow(4, 9.0))
        loss.backward()
        assert loss.item() == 0.0 and (X.grad == 0).all()

    def test_independent_of_video_length(self):
        short, long = planar_video(T=4), planar_video(T=12)
        assert flow_term(short, constant_flow(4, 3.0)).item() == pytest.approx(
            flow_term(long, constant_flow(12, 3.0)).item(), rel=1e-6
        )

    def test_symmetric_term_averages_both_directions(self):
        X = planar_video(shift_m=0.02)  # 1 px per frame to the right
        cfg = PoseStageConfig(**{**OFF, "w_flow": 1.0, "flow_delta_px": 1.0, "penalty": "l2"})
        problem = chain_problem(X)

        def term(forward_u: float, backward_u: float) -> float:
            fwd = constant_flow(4, forward_u).to_torch("cpu", torch.float64)
            bwd = constant_flow(4, backward_u).to_torch("cpu", torch.float64)
            return pose_terms(X, problem, cfg, flow_target(X, problem, cfg, fwd, bwd))["flow"].item()

        assert term(1.0, -1.0) == pytest.approx(0.0, abs=1e-9)  # both directions agree with the motion
        # forward exact, backward off by 3 px (l2: 4.5 per point): the mean of 0 and 4.5
        assert term(1.0, 2.0) == pytest.approx(2.25, rel=1e-6)
        assert term(4.0, -1.0) == pytest.approx(2.25, rel=1e-6)

    def test_long_range_spans_compare_frames_k_apart(self):
        X = planar_video(T=6, shift_m=0.02)  # 1 px per frame
        assert flow_term(X, constant_flow(6, 1.0), long_range_strides=(2, 4)).item() == pytest.approx(0.0, abs=1e-9)
        # Flow 4 px against 1 px of motion, l2: pairs |r| = 3 -> 4.5; span 2 chains 8 px against 2, |r| = 6 -> 18,
        # weighted 1/2: 4.5 + 9.
        value = flow_term(X, constant_flow(6, 4.0), long_range_strides=(2,), penalty="l2").item()
        assert value == pytest.approx(13.5, rel=1e-6)
        # A span as long as the video has no pair of frames: ignored.
        assert flow_term(X, constant_flow(6, 4.0), long_range_strides=(6,), penalty="l2").item() == pytest.approx(4.5)

    def test_lag_band_forgives_a_flow_that_lags_in_every_term(self):
        X = planar_video(T=6, shift_m=0.02)  # 1 px per frame
        lagging = constant_flow(6, 0.8)  # the flow says 0.8 px: the motion is 1.25 times it
        assert flow_term(X, lagging, penalty="l2").item() > 0
        assert flow_term(X, lagging, penalty="l2", flow_lag_band=0.5).item() == pytest.approx(0.0, abs=1e-9)
        spans = {"penalty": "l2", "long_range_strides": (2, 4), "flow_lag_band": 0.5}
        assert flow_term(X, lagging, **spans).item() == pytest.approx(0.0, abs=1e-9)
        # Ahead of the motion, the flow is not forgiven: 4 px against 1, |r| = 3 -> l2 4.5, band or not.
        assert flow_term(X, constant_flow(6, 4.0), penalty="l2", flow_lag_band=0.5).item() == pytest.approx(4.5)

    def test_long_range_follows_a_drifting_point(self):
        # The chained flow differs from k single steps where the flow varies in space: u = 0.1 x.
        T, size = 3, 64
        xs = np.arange(size, dtype=np.float32)
        flow = np.zeros((T - 1, size, size, 2), np.float32)
        flow[..., 0] = 0.1 * xs[None, None, :]
        X = planar_video(T=T, shift_m=0.0)
        x0 = project(X, K)[0, :, 0]
        cfg = PoseStageConfig(**{**OFF, "w_flow": 1.0, "penalty": "l2", "long_range_strides": (2,)})
        target = flow_target(X, chain_problem(X), cfg, FlowField.full_frame(flow).to_torch("cpu", torch.float64))
        chained = target.chains[0].displacement[0, :3, 0]  # the joints' tracks from frame 0
        torch.testing.assert_close(chained, x0 * (1.1**2 - 1), rtol=1e-5, atol=1e-4)
        assert not torch.allclose(chained, 2 * 0.1 * x0, rtol=1e-2)  # not two steps of the start's flow

    def test_off_without_target_and_for_one_frame(self):
        X = planar_video(T=4)
        cfg = PoseStageConfig(**{**OFF, "w_flow": 1.0})
        assert pose_terms(X, chain_problem(X), cfg)["flow"].item() == 0.0
        tensors = constant_flow(2, 1.0).to_torch("cpu", torch.float64)
        assert flow_target(X[:1], chain_problem(X[:1]), cfg, tensors) is None

    def test_location_gradient_option(self):
        # Flow u = 0.1 x (a spatial gradient): only the through-location variant sees dF/dx.
        T, size = 2, 64
        xs = np.arange(size, dtype=np.float32)
        flow = np.zeros((T - 1, size, size, 2), np.float32)
        flow[..., 0] = 0.1 * xs[None, None, :]
        field = FlowField.full_frame(flow)
        X = planar_video(T=T).requires_grad_(True)
        grads = []
        for through in (False, True):
            X.grad = None
            flow_term(X, field, chain_problem(X, samples=0), penalty="l2", flow_through_location=through).backward()
            grads.append(X.grad[0, 0, 0].item())
        # r = p1 - p0 - 0.1 p0 (u only): dL/dp0 = -r (1 + 0.1 [through]) / 3 joints; d p0 / dX = f / z.
        p = project(X.detach(), K)[:, 0, 0]
        r = (p[1] - p[0] - 0.1 * p[0]).item()
        assert grads[0] == pytest.approx(-r * F_PX / 2.0 / 3, rel=1e-4)
        assert grads[1] == pytest.approx(-r * 1.1 * F_PX / 2.0 / 3, rel=1e-4)

    def test_gradcheck(self):
        # Through the location, with a linear flow field: bilinear sampling is then exact and smooth, so finite
        # differences apply. (The detached variant is not the derivative of its own value, by design.)
        size = 64
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        field = FlowField.full_frame(np.stack([0.05 * xs + 1.0, -0.03 * ys], -1)[None].repeat(2, 0))
        X = (planar_video(T=3) + 0.01 * torch.randn(3, 3, 3, dtype=torch.float64)).requires_grad_(True)
        problem = chain_problem(X)
        assert torch.autograd.gradcheck(
            lambda x: flow_term(x, field, problem, flow_through_location=True), (X,)
        )


# ----------------------------------------------------------------------------------------------------------
# L_2D


class TestKeypointTerm:
    def _term(self, X, problem, **config):
        cfg = PoseStageConfig(**{**OFF, "w_2d": 1.0, "keypoint_delta_px": 2.0, **config})
        return pose_terms(X, problem, cfg)["2d"]

    def test_zero_at_optimum_and_hand_computed(self):
        X = planar_video(T=2)
        problem = chain_problem(X)
        assert self._term(X, problem).item() == 0.0
        x2d = problem.x2d.clone()
        x2d[0, 1] += torch.tensor([3.0, 4.0], dtype=torch.float64)  # 5 px off; Huber(2): 2 (5 - 1) = 8
        conf = ones(2, 3)
        conf[1, 2] = 0.5
        shifted = PoseProblem(**{**problem.__dict__, "x2d": x2d, "conf2d": conf})
        assert self._term(X, shifted, penalty="huber").item() == pytest.approx(8.0 / 5.5)

    def test_nan_keypoints_contribute_nothing(self):
        X = planar_video(T=2).requires_grad_(True)
        problem = chain_problem(X)
        x2d = problem.x2d.clone()
        x2d[1, 0] = float("nan")
        loss = self._term(X, PoseProblem(**{**problem.__dict__, "x2d": x2d}))
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(X.grad).all()

    def test_gradcheck(self):
        X = planar_video(T=2).requires_grad_(True)
        problem = chain_problem(X)
        noisy = PoseProblem(**{**problem.__dict__, "x2d": problem.x2d + torch.randn(2, 3, 2, dtype=torch.float64) * 3})
        assert torch.autograd.gradcheck(lambda x: self._term(x, noisy), (X,))


# ----------------------------------------------------------------------------------------------------------
# The whole objective


def camera_pose(depth_m: float) -> np.ndarray:
    """(17, 3) the standing pose in camera metres (y down), its pelvis depth_m in front of the camera."""
    pose = standing_pose() * np.array([1.0, -1.0, 1.0], np.float32)
    return pose + np.array([0.0, 0.95, depth_m], np.float32)


def test_objective_is_the_weighted_sum_of_its_terms():
    rng = np.random.default_rng(0)
    T = 6
    truth = camera_pose(3.5)[None]
    joints = truth + rng.normal(0, 0.02, (T, 17, 3)).astype(np.float32)
    K_np = np.array([[500.0, 0, 128], [0, 500.0, 128], [0, 0, 1]], np.float32)
    seq = PoseSequence(joints3d=joints, K=K_np, fps=25.0)
    config = PoseStageConfig(w_vel=0.1)
    problem = build_pose_problem(seq, config, torch.device("cpu"))
    X = problem.X0 + 0.01 * torch.randn(T, 17, 3, generator=torch.Generator().manual_seed(1))
    terms = pose_terms(X, problem, config)
    assert set(terms) == set(TERMS)
    kw = dict(root=None, delta_mm=config.pose3d_delta_mm, penalty=config.penalty)  # about the centroid
    l3d = B.pose3d_losses(X, problem.X_ref, problem.conf3d, **kw)
    expected = {
        "flow": 0.0,
        "3d_rel": config.w_3d_rel * l3d.rel,
        "3d_abs": config.w_3d_abs * l3d.position + config.w_3d_lateral * l3d.lateral,
        "vel": 0.1 * B.velocity_loss(X, dt=torch.full((T - 1,), 1 / 25.0)),
        "acc": config.w_acc * B.acceleration_loss(X, dt=torch.full((T - 1,), 1 / 25.0)),
        "bone": config.w_bone * B.bone_length_loss(X, problem.bones),
    }
    for name, value in expected.items():
        assert terms[name].item() == pytest.approx(float(value), rel=1e-5), name
    # Without keypoints, L_2D compares with the initial estimate's own projection.
    assert terms["2d"].item() > 0
    assert pose_terms(problem.X0, problem, config)["2d"].item() == pytest.approx(0.0, abs=1e-6)
    assert pose_objective(X, problem, config).item() == pytest.approx(sum(float(v) for v in terms.values()))
    rooted = replace(config, pose3d_centre="root")
    l3d_root = B.pose3d_losses(X, problem.X_ref, problem.conf3d, **{**kw, "root": H36M17.root})
    assert pose_terms(X, problem, rooted)["3d_rel"].item() == pytest.approx(config.w_3d_rel * l3d_root.rel.item())
    assert l3d_root.rel.item() != pytest.approx(l3d.rel.item(), rel=1e-3)


def test_the_contact_term_is_part_of_the_body_s_place_and_needs_the_poses_world():
    T = 4
    joints = np.repeat(camera_pose(3.5)[None], T, 0)
    conf = np.ones((T, 17), np.float32)
    conf[1, 3], conf[2, 6] = 0.4, 0.0  # frame 1's right ankle unsure, frame 2's left one missed
    lower = float(joints[0, [3, 6], 1].max())  # camera y down: the lower ankle's
    world = np.array([[1.0, 0, 0, 0], [0, 0, -1.0, lower + 0.17], [0, 1.0, 0, 0]])  # level; the feet 17 cm up
    K_np = np.diag([500.0, 500.0, 1.0]).astype(np.float32)
    seq = PoseSequence(joints, K_np, conf=conf, fps=25.0, world=world)
    config = PoseStageConfig(w_contact=1 / 20.0**2, contact_floor_z=0.05)  # a platform 5 cm up: 5 cm too high
    problem = build_pose_problem(seq, config, torch.device("cpu"))
    np.testing.assert_allclose(problem.contact_weights.numpy(), [1.0, 0.4, 0.0, 1.0])
    off = pose_terms(problem.X0, problem, replace(config, w_contact=0.0))["3d_abs"]
    on = pose_terms(problem.X0, problem, config)["3d_abs"]
    contact = B.contact_loss(problem.X0, problem.world, (3, 6), 0.12, problem.contact_weights, delta_mm=30.0,
                             penalty=config.penalty)
    assert contact.item() == pytest.approx(30.0**2 * (np.sqrt(1 + (50 / 30.0) ** 2) - 1), rel=1e-4)
    assert (on - off).item() == pytest.approx(contact.item() / 20.0**2, rel=1e-5)
    assert build_pose_problem(replace(seq, world=None), PoseStageConfig(), torch.device("cpu")).world is None
    with pytest.raises(InputError, match=r"w_contact holds a foot on the floor of the poses' world: expected "
                                         r"Human3\.6M-17 poses with a world \(refine --floor\), got h36m17 poses without one"):
        build_pose_problem(replace(seq, world=None), config, torch.device("cpu"))
    # A frame whose estimate stands in the air is left free: frame 3 lifted 0.3 m (0.42 m above its place on the
    # floor, more than contact_flight_m's 0.2), frame 0's ankles unknown in 3D but seen in 2D (kept: not known to be
    # up).
    lifted = joints.copy()
    lifted[3, :, 1] -= 0.3  # camera y down: up
    lifted[0, [3, 6]] = np.nan
    seen = replace(seq, joints3d=lifted, joints2d=(500.0 * joints[..., :2] / joints[..., 2:]).astype(np.float32))
    flying = build_pose_problem(seen, config, torch.device("cpu"))
    np.testing.assert_allclose(flying.contact_weights.numpy(), [1.0, 0.4, 0.0, 0.0])
    every = build_pose_problem(seen, replace(config, contact_flight_m=None), torch.device("cpu"))
    np.testing.assert_allclose(every.contact_weights.numpy(), [1.0, 0.4, 0.0, 1.0])


def test_build_pose_problem_takes_the_intervals_of_the_poses():
    joints = np.repeat(camera_pose(3.5)[None], 4, 0)
    K_np = np.diag([500.0, 500.0, 1.0]).astype(np.float32)
    even = build_pose_problem(PoseSequence(joints, K_np, fps=25.0), PoseStageConfig(), torch.device("cpu"))
    np.testing.assert_allclose(even.dt.numpy(), [0.04, 0.04, 0.04], rtol=1e-6)
    timed = PoseSequence(joints, K_np, fps=25.0, times=np.array([1.0, 1.04, 1.12, 1.16]))
    uneven = build_pose_problem(timed, PoseStageConfig(), torch.device("cpu"))
    np.testing.assert_allclose(uneven.dt.numpy(), [0.04, 0.08, 0.04], rtol=1e-5)
    assert even.fps == 25.0 and uneven.fps == pytest.approx(3 / 0.16)  # the mean rate of the frames' own times
    single = build_pose_problem(timed.slice(0, 1), PoseStageConfig(), torch.device("cpu"))  # no interval at all
    assert single.fps == 25.0 and single.dt.shape == (0,)


def test_build_pose_problem_weights_missing_data_zero():
    joints = camera_pose(3.0)[None].repeat(3, 0)
    joints[1, 5] = np.nan
    conf = np.ones((3, 17), np.float32)
    conf[2, 3] = 0.2
    seq = PoseSequence(joints3d=joints, K=np.diag([400.0, 400.0, 1.0]).astype(np.float32), fps=30.0,
                       conf=conf)
    problem = build_pose_problem(seq, PoseStageConfig(bone_samples=2, flow_conf_floor=0.3), torch.device("cpu"))
    assert torch.isfinite(problem.X0).all() and torch.isnan(problem.X_ref[1, 5]).all()
    assert problem.conf3d[1, 5] == 0 and problem.conf3d[2, 3] == pytest.approx(0.2)
    assert problem.point_weights.shape == (3, 17 + 16 * 2)
    # L_opt's detection weights are floored at flow_conf_floor, so gap-filled joints still follow the flow.
    assert problem.point_weights[2, 3] == pytest.approx(0.3) and problem.point_weights[1, 5] == pytest.approx(0.3)
    assert problem.point_weights[0].min() == 1.0


def test_a_joint_observed_nowhere_is_tied_to_its_placement_and_has_no_flow_weight():
    joints = camera_pose(3.0)[None].repeat(3, 0)
    joints[:, 10] = np.nan  # the head top, as MediaPipe, COCO and SMPL have it: in no frame
    K_np = np.diag([400.0, 400.0, 1.0]).astype(np.float32)
    cfg = PoseStageConfig(bone_samples=2, flow_conf_floor=0.3)
    problem = build_pose_problem(PoseSequence(joints, K_np, fps=30.0), cfg, torch.device("cpu"))
    expected = np.eye(17, dtype=np.float32)
    expected[10] = np.eye(17)[9]  # on the neck, its parent
    np.testing.assert_array_equal(problem.tied.numpy(), expected)
    head_bone = [i for i, (a, b) in enumerate(H36M17.bones) if 10 in (a, b)][0]
    points = problem.point_weights.numpy()
    assert (points[:, 10] == 0).all() and (points[:, 17 + 2 * head_bone: 17 + 2 * head_bone + 2] == 0).all()
    assert (points[:, 9] == 1).all()
    # Its 2D alone makes it observed: L_2D moves it, so it is not tied, and the flow sees it again.
    x2d = project_np(camera_pose(3.0)[None].repeat(3, 0), K_np)  # every joint's, the head's too
    seen = build_pose_problem(PoseSequence(joints, K_np, joints2d=x2d.astype(np.float32), fps=30.0), cfg,
                              torch.device("cpu"))
    assert seen.tied is None and (seen.point_weights[:, 10] == 1).all()
    observed = build_pose_problem(PoseSequence(camera_pose(3.0)[None].repeat(3, 0), K_np, fps=30.0), cfg,
                                  torch.device("cpu"))
    assert observed.tied is None


def test_fill_missing_joints():
    X = np.zeros((5, 17, 3), np.float32)
    X[:, 0, 0] = [0.0, np.nan, np.nan, 3.0, np.nan]  # interior: linear; after the end: the last value
    X[0, 1] = np.nan
    X[:, 5] = np.nan  # l_knee never seen: placed on its parent, the l_hip
    X[:, 4] = [1.0, 2.0, 3.0]
    filled, missing = fill_missing_joints(X, H36M17.parents)
    np.testing.assert_allclose(filled[:, 0, 0], [0.0, 1.0, 2.0, 3.0, 3.0])
    np.testing.assert_allclose(filled[:, 5], filled[:, 4])
    assert not np.isnan(filled).any() and missing.sum() == 3 + 1 + 5
    with pytest.raises(InputError, match="every joint is NaN"):
        fill_missing_joints(np.full((2, 17, 3), np.nan), H36M17.parents)


def test_a_joint_without_observed_ancestor_goes_to_the_mean_joint():
    X = np.random.default_rng(0).normal(size=(4, 17, 3)).astype(np.float32)
    X[:, 0] = np.nan  # the root, never seen
    filled, _ = fill_missing_joints(X, H36M17.parents)
    np.testing.assert_allclose(filled[:, 0], X[:, 1:].mean(1), rtol=1e-6)


# ----------------------------------------------------------------------------------------------------------
# The acceleration prior centred on the flow's motion


def accelerating_video(
    T: int = 6, a: float = 4.0, fps: float = 30.0, depth: float = 2.0, times: torch.Tensor | None = None
) -> torch.Tensor:
    """(T, 3, 3) the chain's joints at ``depth``, accelerating along x at a m/s^2 from rest (float64), at frames
    evenly spaced at ``fps`` or at ``times`` (s)."""
    X = planar_video(T=T, shift_m=0.0, depth=depth)
    t = torch.arange(T, dtype=torch.float64) / fps if times is None else times
    X[..., 0] += (0.5 * a * t**2)[:, None]
    return X


def exact_flow(X: torch.Tensor) -> FlowField:
    """Full-frame flow whose pair t moves everything by the joints' projected motion (the same for all)."""
    p = project(X, K)[:, 0].numpy()
    flow = np.zeros((X.shape[0] - 1, 64, 64, 2), np.float32)
    flow[...] = (p[1:] - p[:-1])[:, None, None, :]
    return FlowField.full_frame(flow)


class TestFlowAwareAcceleration:
    def terms(self, X, field, times=None, **config):
        problem = chain_problem(X, times=times)
        cfg = PoseStageConfig(**{**OFF, "w_acc": 1.0, "w_flow": 1.0, **config})
        return pose_terms(X, problem, cfg, flow_target(X, problem, cfg, field.to_torch("cpu", torch.float64)))

    def test_observed_motion_is_not_penalised(self):
        X = accelerating_video()
        assert self.terms(X, exact_flow(X))["acc"].item() == pytest.approx(16.0, rel=1e-6)  # plain: |4|^2
        assert self.terms(X, exact_flow(X), flow_aware_acc=True)["acc"].item() == pytest.approx(0.0, abs=1e-6)

    def test_observed_motion_at_uneven_times_is_not_penalised(self):
        # A variable frame rate: the flow of each pair spans that pair's own interval.
        times = torch.tensor([0.0, 1, 2, 4, 5, 8], dtype=torch.float64) / 30.0
        X = accelerating_video(times=times)
        assert self.terms(X, exact_flow(X), times)["acc"].item() == pytest.approx(16.0, rel=1e-6)
        assert self.terms(X, exact_flow(X), times, flow_aware_acc=True)["acc"].item() == pytest.approx(0.0, abs=1e-6)
        # taken as evenly spaced, neither the motion nor the flow's account of it is a steady 4 m/s^2
        assert self.terms(X, exact_flow(X))["acc"].item() > 100.0

    def test_unreliable_flow_leaves_the_plain_prior(self):
        X = accelerating_video()
        field = exact_flow(X)
        field.confidence[:] = 0.0
        assert self.terms(X, field, flow_aware_acc=True)["acc"].item() == pytest.approx(16.0, rel=1e-6)
        field.confidence[:] = 0.5  # half trusted: the prior's centre is half the observed acceleration
        assert self.terms(X, field, flow_aware_acc=True)["acc"].item() == pytest.approx(4.0, rel=1e-5)

    def test_depth_acceleration_stays_under_the_prior(self):
        X = accelerating_video(a=0.0)
        t = torch.arange(X.shape[0], dtype=torch.float64) / 30.0
        X[..., 2] += (0.5 * 4.0 * t**2)[:, None]  # accelerating away from the camera, invisible to flow
        field = FlowField.full_frame(np.zeros((X.shape[0] - 1, 64, 64, 2), np.float32))
        value = self.terms(X, field, flow_aware_acc=True, w_flow=1e-9)["acc"].item()
        assert value == pytest.approx(16.0, rel=1e-6)

    def test_without_flow_the_prior_is_plain(self):
        X = accelerating_video()
        cfg = PoseStageConfig(**{**OFF, "w_acc": 1.0, "flow_aware_acc": True})
        assert pose_terms(X, chain_problem(X), cfg)["acc"].item() == pytest.approx(16.0, rel=1e-6)


# ----------------------------------------------------------------------------------------------------------
# Joints the flow shows still, held still in depth too


class TestStillness:
    def terms(self, X, field, **config):
        problem = chain_problem(X)
        cfg = PoseStageConfig(**{**OFF, "w_flow": 1e-9, "w_still": 1.0, **config})
        return pose_terms(X, problem, cfg, flow_target(X, problem, cfg, field.to_torch("cpu", torch.float64)))

    def test_a_joint_unmoved_in_the_image_is_held_in_depth(self):
        X = accelerating_video(a=0.0)
        X[..., 2] += (torch.arange(X.shape[0], dtype=torch.float64) * 0.1)[:, None]  # 3 m/s away from the camera
        unmoved = FlowField.full_frame(np.zeros((X.shape[0] - 1, 64, 64, 2), np.float32))
        assert self.terms(X, unmoved)["vel"].item() == pytest.approx(9.0, rel=1e-6)
        assert self.terms(X, unmoved, w_still=0.0)["vel"].item() == 0.0

    def test_a_joint_the_flow_shows_moving_is_free(self):
        X = accelerating_video(a=0.0)
        X[..., 0] += (torch.arange(X.shape[0], dtype=torch.float64) * 0.1)[:, None]
        moving = exact_flow(X)  # 0.1 m at 2 m is several px a frame: stillness exp(-(|F| / 0.5)^2) ~ 0
        assert self.terms(X, moving)["vel"].item() < 1e-6
        assert self.terms(X, moving, still_px=1e6)["vel"].item() == pytest.approx(9.0, rel=1e-6)

    def test_unreliable_flow_says_nothing(self):
        X = accelerating_video(a=0.0)
        X[..., 2] += (torch.arange(X.shape[0], dtype=torch.float64) * 0.1)[:, None]
        unmoved = FlowField.full_frame(np.zeros((X.shape[0] - 1, 64, 64, 2), np.float32))
        unmoved.confidence[:] = 0.0
        assert self.terms(X, unmoved)["vel"].item() == 0.0
