"""L_pose, the objective of the pose stage, in full (DESIGN.md, "The losses"). This is the code that runs.

Over the 3D joints X (T, J, 3) of the whole video, metres, camera frame:

    L_pose(X) = w_flow L_opt(X; F)                                  flow consistency         [px^2]
              + w_3d_rel L_3D,rel(X; X0)                            relative 3D              [mm^2]
              + w_3d_abs L_3D,abs(X; X0) + w_3d_lateral L_3D,lat(X; X0)   body position      [mm^2]
              + w_contact L_contact(X; W)                           a foot on the floor      [mm^2]
              + w_2d L_2D(X; x)                                     2D keypoints             [px^2]
              + w_vel L_vel(X) + w_acc L_acc(X)                     temporal                 [(m/s)^2, (m/s^2)^2]
              + w_still L_still(X; F)                               still joints held        [(m/s)^2]
              + w_bone L_bone(X)                                    bone-length constancy    [mm^2]

with, for the projection pi and the points P_t = A X_t (the joints, then ``bone_samples`` points on each bone,
:func:`flowpose.refinement.bone_points.bone_point_matrix`), p_t = pi(P_t):

    L_opt   = sum_{t,n} w_{t,n} rho(|p_{t+1,n} - p_{t,n} - F_t(p_{t,n})|) / sum w,
              w_{t,n} = c^F_t(p_{t,n}) max(min(c_{t,n}, c_{t+1,n}), floor)   (0 at a joint observed in no frame,
              which stays where it was placed: ``PoseProblem.tied``)
              or, with ``symmetric_flow`` and the backward flow B (frame t+1 -> t, arXiv 2402.02736), the mean of
              that and the same sum with the roles swapped: rho(|p_{t,n} - p_{t+1,n} - B_t(p_{t+1,n})|),
              weighted by c^B_t(p_{t+1,n}) instead.
              With ``long_range_strides`` (item 1 of "make flow pay"), for each span k the same residual between
              frames t and t+k against the flow chained along a track, D^k_t(p_{t,n}) (:mod:`flowpose.flow.tracks`),
              weighted by its chained confidence: L_opt += (1/k) sum w^k rho_{sqrt(k) delta}(|p_{t+k} - p_t - D^k_t|) / sum w^k
              With ``flow_lag_band`` b > 0, every residual r against a flow target G (F, B or D^k) is first replaced by
              r + (min(a, 0) + max(a - b|G|, 0) - a) u, u = G / |G|, a = r . u: motion along the flow between 1 and
              1 + b times the target's is free (:func:`flowpose.refinement.losses.lag_band`).
    L_3D,rel = sum c rho(1000 |(X_j - R(X)) - (X0_j - R(X0))|) / sum c
    L_3D,abs = sum_t c_R rho(1000 |R(X_t) - R(X0_t)|) / sum c_R
    L_3D,lat = the same with the offset's component along R(X0_t)'s viewing ray removed
    L_contact = sum_t w_t rho(1000 (zbar_t + sg(min_a z_{t,a} - zbar_t) - h)) / sum w_t   (``w_contact`` > 0, poses
              with a world W: the lower ankle's height z in W at h, the floor's plus the ankle's above the sole, the
              gradient on the centroid's height zbar (the body moved whole); w_t the lower of the ankles'
              confidences, 0 where the initial estimate's lower ankle stands more than ``contact_flight_m`` above h
              (in the air); :func:`~flowpose.refinement.body_losses.contact_loss`)
    L_2D    = sum c rho(|pi(X_{t,j}) - x_{t,j}|) / sum c
    L_vel   = mean |(X_{t+1} - X_t) fps|^2,   L_acc = mean |(X_{t+1} - 2 X_t + X_{t-1}) fps^2 - a^obs_t|^2
              (for a variable frame rate, with each interval's own length dt_t: v_t = (X_{t+1} - X_t) / dt_t and
              a_t = 2 (v_t - v_{t-1}) / (dt_{t-1} + dt_t), :func:`~flowpose.refinement.body_losses.acceleration_loss`;
              a^obs likewise, from the flow's rates F_t / dt_t)

a^obs = 0 (plain smoothness) unless ``flow_aware_acc`` (item 3): then, at joint j, the flow's own image-plane
acceleration, unprojected at the joint's depth Z and scaled by how much L_opt trusts it there,

    a^obs_{t,j} = r_{t,j} (Z_{t,j} fps^2 / (f_x, f_y)) (F_t(p_{t,j}) - F_{t-1}(p_{t-1,j})),  0 in depth,
    r_{t,j} = min(w_{t-1,j}, w_{t,j})

so that where the flow is reliable the prior penalises departures from the observed motion rather than all
motion, and where it is not (r -> 0) it is the plain prior. (The lateral relation X = Z (u - c) / f is
differentiated at constant depth: the depth's own acceleration is left out, and the flow says nothing of the
acceleration along the ray, which stays under the plain prior.)
    L_bone  = mean_{t,b} (l_{t,b} - mean_t l_{t,b})^2
    L_still = mean s_{t,j} |(X_{t+1,j} - X_{t,j}) fps|^2,   s_{t,j} = w_{t,j} exp(-(|F_t(p_{t,j})| / still_px)^2)
              (``w_still`` > 0, with the flow): a joint the flow shows unmoved in the image of a still camera is
              unmoved in depth too, which L_opt and L_2D cannot see (:func:`~flowpose.refinement.body_losses.stillness_loss`)

rho is the robust penalty (:func:`flowpose.refinement.losses.robust_penalty`), R the centre (the centroid of the
joints X0 observes at t, c_R their mean confidence; or, with ``pose3d_centre="root"``, the root joint or hip
midpoint), c the detection confidence, X0 the initial estimate, x the 2D keypoints (the initial estimate's
projection when the video has none). Each term is implemented once: L_opt and L_2D in :func:`pose_terms`, the
body terms in :mod:`~flowpose.refinement.body_losses`; :func:`pose_terms` weights them and
:func:`pose_objective` sums them.

Deviations from the seed (BMVC 2022): L_3D about the centroid, not the pelvis (which it pulled off the hips on
real video, :func:`~flowpose.refinement.body_losses.pose3d_losses`); the lateral term (the seed had no absolute term); robust penalties
on every data term (the position's scale 1 m in frames that see few joints, ``PoseStageConfig.position_delta_mm``);
weights as inverse variances in physical units; the flow sampled at fixed locations per round (:func:`flow_target`).

The flow term. F_t and c^F_t are bilinear samples of the flow field at the current projections (c^F = 0
outside its grid). Within one solve they are a fixed target, F_t(sg[p_t]), as in Lucas-Kanade-style tracking:
the optimiser moves points so that their motion matches the flow found where they are, and cannot lower the
loss by sliding points along the flow's spatial gradient, which on human flow is dominated by the jumps at limb
boundaries and by flow texture. ``PoseStageConfig.flow_through_location`` lets the gradient through the
sampling location instead (dF/dp through the bilinear weights). The confidence c^F is always a constant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from flowpose.camera import project, project_np
from flowpose.coverage import placement_matrix, unseen_joints
from flowpose.errors import InputError
from flowpose.floor import ANKLE_HEIGHT_M, in_the_air
from flowpose.flow.field import FlowTensors
from flowpose.flow.tracks import chain_flow
from flowpose.io.world_frame import ANKLES, WorldFrame
from flowpose.pose import PoseSequence
from flowpose.refinement.body_losses import (
    acceleration_loss,
    bone_length_loss,
    contact_loss,
    pose3d_losses,
    rate_change,
    stillness_loss,
    velocity_loss,
)
from flowpose.refinement.bone_points import bone_point_matrix, bone_point_weights
from flowpose.refinement.losses import Root, lag_band, mask_missing, robust_mean
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.skeleton import H36M17

TERMS = ("flow", "3d_rel", "3d_abs", "2d", "vel", "acc", "bone")
"""Names of the weighted terms :func:`pose_terms` returns (``"3d_abs"`` holds the lateral and contact terms too)."""



@dataclass(frozen=True)
class ChainTarget:
    """One long-range span of L_opt (:func:`flowpose.flow.tracks.chain_flow`).

    Attributes:
        stride: k, the frames a track spans.
        displacement: (T-k, N, 2) D^k_t(p_t), px (a constant).
        weights: (T-k, N) chained flow confidence times the lower detection weight of frames t and t+k.
    """

    stride: int
    displacement: torch.Tensor
    weights: torch.Tensor


@dataclass(frozen=True)
class FlowTarget:
    """The flow term's data for one solve (:func:`flow_target`).

    Attributes:
        flow_px: (T-1, N, 2) forward flow F_t(p_t) sampled at the points' projections, px (a constant).
        weights: (T-1, N) pair weights w_{t,n} (constants).
        field: the flow tensors, resampled at every evaluation with ``flow_through_location``.
        back_px: (T-1, N, 2) backward flow B_t(p_{t+1}), px, or None (forward only).
        back_weights: (T-1, N) its pair weights, or None.
        back_field: the backward flow tensors, or None.
        chains: the long-range spans (``long_range_strides``), empty when off.
        acc_centre: (T-2, J, 3) a^obs, m/s^2, the acceleration prior's centre (``flow_aware_acc``), or None.
        still: (T-1, J) the joints' stillness s_{t,j} (``w_still``), or None.
    """

    flow_px: torch.Tensor
    weights: torch.Tensor
    field: FlowTensors
    back_px: torch.Tensor | None = None
    back_weights: torch.Tensor | None = None
    back_field: FlowTensors | None = None
    chains: tuple[ChainTarget, ...] = ()
    acc_centre: torch.Tensor | None = None
    still: torch.Tensor | None = None


def fill_missing_joints(joints3d: np.ndarray, parents: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaN joints by linear interpolation in time, per joint and coordinate.

    Before the first and after the last observation a joint holds its nearest observed position. A joint
    missing in every frame is placed by :func:`placement_matrix` (on its nearest observed ancestor, a zero-length
    bone): MediaPipe, COCO and SMPL have no head top, for example. :func:`flowpose.refine` names such joints
    (:func:`flowpose.coverage.absent_joints_note`).

    Args:
        joints3d: (T, J, 3) metres, NaN where missing.
        parents: parent index of each joint, -1 for the root.

    Returns:
        filled: (T, J, 3) float32 without NaN.
        missing: (T, J) bool, True where a joint was filled.

    Raises:
        InputError: when no joint is observed in any frame.
    """
    X = np.array(joints3d, dtype=np.float32)
    T, J, _ = X.shape
    missing = ~np.isfinite(X).all(-1)
    seen = ~missing.all(0)  # (J,) observed in some frame
    if not seen.any():
        raise InputError("joints3d: every joint is NaN in every frame; nothing to refine")
    t = np.arange(T, dtype=np.float64)
    for j in np.flatnonzero(seen & missing.any(0)):
        ok = ~missing[:, j]
        for d in range(3):
            X[:, j, d] = np.interp(t, t[ok], X[ok, j, d])
    never = np.flatnonzero(~seen)
    if never.size:
        place = placement_matrix(seen, parents)
        X[:, never] = np.einsum("kj,tjc->tkc", place[never][:, seen], X[:, seen])
    return X, missing


@dataclass(frozen=True)
class PoseProblem:
    """The data of L_pose for one video, as tensors on the optimisation device.

    Attributes:
        X0: (T, J, 3) gap-filled initial estimate, metres (the solver's starting point).
        X_ref: (T, J, 3) initial estimate with NaN where missing (the 3D terms' reference), metres.
        conf3d: (T, J) confidence of X_ref, 0 where missing.
        x2d: (T, J, 2) 2D keypoints, px, NaN where missing.
        conf2d: (T, J) confidence of x2d, 0 where missing.
        K: (T, 3, 3) intrinsics, px.
        bones: (B, 2) long (parent, child).
        root: a joint index or a (left, right) hip pair.
        point_matrix: (N, J) joints -> the joints and bone points of L_opt (``bone_point_matrix``).
        point_weights: (T, N) detection weights of those points, floored at ``flow_conf_floor`` (0 on joints
            observed nowhere, see ``tied``).
        fps: frames per second, for preconditioning: the poses' ``fps``, or the mean rate of their ``times``.
        dt: (T - 1,) seconds between consecutive frames (``PoseSequence.intervals``), the temporal terms' steps.
        tied: (J, J) P, or None when every joint is observed somewhere: the solver's joints are P X, which keeps
            each joint observed in no frame, in 3D or 2D (a head top MediaPipe, COCO and SMPL lack), where
            :func:`fill_missing_joints` placed it. No term sees such a joint, so free it would drift in their null
            space (5-10 cm from the neck on real video) and drag its bone's L_opt points with it.
        world: (3, 4) [R | t], the camera's place over the floor, where L_contact is on (``w_contact`` > 0); else None.
        contact_weights: (T,) L_contact's frame weights, the lower of the two ankles' confidences (2D or 3D), 0 where
            the initial estimate stands in the air (``PoseStageConfig.contact_flight_m``); or None.
    """

    X0: torch.Tensor
    X_ref: torch.Tensor
    conf3d: torch.Tensor
    x2d: torch.Tensor
    conf2d: torch.Tensor
    K: torch.Tensor
    bones: torch.Tensor
    root: Root
    point_matrix: torch.Tensor
    point_weights: torch.Tensor
    fps: float
    dt: torch.Tensor
    tied: torch.Tensor | None = None
    world: torch.Tensor | None = None
    contact_weights: torch.Tensor | None = None


def build_pose_problem(init: PoseSequence, config: PoseStageConfig, device: torch.device) -> PoseProblem:
    """The :class:`PoseProblem` of an initial estimate (missing joints gap-filled, weights from confidences).

    Args:
        init: the initial estimate; its keypoints, or without them its own projection, are L_2D's x; with
            ``config.w_contact`` > 0, Human3.6M-17 poses with a :attr:`~flowpose.pose.PoseSequence.world`.
        config: supplies ``bone_samples``, ``flow_conf_floor`` and ``w_contact``.
        device: where the tensors live.

    Returns:
        The problem, float32.

    Raises:
        InputError: ``w_contact`` > 0 for poses without a world or of another skeleton.
    """
    skel = init.skel
    T, J = init.num_frames, init.num_joints
    base = np.ones((T, J), np.float32) if init.conf is None else np.nan_to_num(init.conf, nan=0.0)
    X_ref = np.asarray(init.joints3d, np.float32)
    X0, missing3d = fill_missing_joints(X_ref, skel.parents)
    conf3d = np.where(missing3d, 0.0, base).astype(np.float32)
    K = init.K_per_frame()
    x2d = init.joints2d if init.joints2d is not None else project_np(X_ref, K).astype(np.float32)
    conf2d = np.where(np.isfinite(x2d).all(-1), base, 0.0).astype(np.float32)
    bones = torch.tensor(skel.bones, dtype=torch.long, device=device).reshape(-1, 2)
    unseen = unseen_joints(init)  # tied to where they were placed, no weight in L_opt
    tied = placement_matrix(~missing3d.all(0), skel.parents)
    tied[~unseen] = np.eye(J, dtype=np.float32)[~unseen]
    detection = np.maximum(np.maximum(conf3d, conf2d), config.flow_conf_floor)
    detection[:, unseen] = 0.0
    detection = torch.as_tensor(detection, device=device)

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, np.float32), device=device)

    world = contact = None
    if config.w_contact > 0:  # L_contact: the floor of the poses' world
        if init.world is None or skel.name != H36M17.name:
            raise InputError("PoseStageConfig.w_contact holds a foot on the floor of the poses' world: expected "
                             f"Human3.6M-17 poses with a world (refine --floor), got {skel.name} poses "
                             + ("without one" if init.world is None else "with one"))
        world = tensor(init.world)
        contact = np.maximum(conf3d, conf2d)[:, list(ANKLES)].min(1)
        if config.contact_flight_m is not None:  # a frame whose estimate stands in the air is left free
            frame = WorldFrame(R=init.world[:, :3], t=init.world[:, 3], camera="poses")
            contact = np.where(in_the_air(X_ref, frame, config.contact_floor_z, config.contact_flight_m), 0.0, contact)
        contact = tensor(contact)

    return PoseProblem(
        X0=tensor(X0),
        X_ref=tensor(X_ref),
        conf3d=tensor(conf3d),
        x2d=tensor(x2d),
        conf2d=tensor(conf2d),
        K=tensor(K),
        bones=bones,
        root=skel.root if skel.root is not None else skel.hips,
        point_matrix=bone_point_matrix(J, bones, config.bone_samples, torch.float32),
        point_weights=bone_point_weights(detection, bones, config.bone_samples),
        fps=float(init.fps) if init.times is None or T < 2 else float((T - 1) / (init.times[-1] - init.times[0])),
        dt=torch.as_tensor(init.intervals(), dtype=torch.float32, device=device),
        tied=tensor(tied) if unseen.any() else None,
        world=world,
        contact_weights=contact,
    )


def projected_points(X: torch.Tensor, problem: PoseProblem) -> torch.Tensor:
    """(T, J, 3) metres -> (T, N, 2) px: the projected joints (the first J) and bone points of L_opt."""
    return project(torch.einsum("nj,tjc->tnc", problem.point_matrix.to(X.dtype), X), problem.K.to(X.dtype))


def flow_target(
    X: torch.Tensor,
    problem: PoseProblem,
    config: PoseStageConfig,
    flow: FlowTensors | None,
    backward: FlowTensors | None = None,
) -> FlowTarget | None:
    """F_t(p_t) (and B_t(p_{t+1})) and the pair weights at X's projections, as constants (None: the flow term
    is off).

    Args:
        X: (T, J, 3) metres.
        problem: the video's data.
        config: supplies ``w_flow``.
        flow: the T - 1 forward flows as tensors (``FlowField.to_torch``), or None.
        backward: the T - 1 backward flows (``FlowField.reverse``), for the symmetric term, or None.

    Returns:
        The target, or None without flow, with T < 2 or with ``w_flow = 0``.
    """
    T = X.shape[0]
    if flow is None or T < 2 or config.w_flow == 0:
        return None
    with torch.no_grad():
        points = projected_points(X, problem)
        w = problem.point_weights
        pair = torch.minimum(w[:-1], w[1:])
        flow_px, flow_conf = flow.sample(points[:-1])
        weights = flow_conf * pair
        back_px = back_weights = None
        if backward is not None:
            back_px, back_conf = backward.sample(points[1:])
            back_weights = back_conf * pair
        chains = []
        for k in config.long_range_strides:
            if k < T:
                displacement, chain_conf = chain_flow(flow, points[:-k], k)
                chains.append(ChainTarget(k, displacement, chain_conf * torch.minimum(w[:-k], w[k:])))
        centre = observed_acceleration(X, problem, flow_px, weights) if config.flow_aware_acc and T > 2 else None
        still = None
        if config.w_still > 0:
            J = X.shape[1]
            speed = flow_px[:, :J].norm(dim=-1) / config.still_px
            still = weights[:, :J] * torch.exp(-speed * speed)
    return FlowTarget(flow_px, weights, flow, back_px, back_weights, backward, tuple(chains), centre, still)


def observed_acceleration(
    X: torch.Tensor, problem: PoseProblem, flow_px: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """a^obs (module docstring): the joints' image-plane acceleration seen by the flow, in metres at their depth.

    Args:
        X: (T, J, 3) joints, metres (their depths Z unproject the pixels).
        problem: supplies K and the intervals dt.
        flow_px: (T-1, N, 2) F_t(p_t) at the points (the first J are the joints), px.
        weights: (T-1, N) L_opt's pair weights w_{t,n}, in [0, 1].

    Returns:
        (T-2, J, 3) m/s^2, zero along z.
    """
    J = X.shape[1]
    dt = problem.dt.to(flow_px.dtype)
    alpha = rate_change(flow_px[:, :J] / dt[:, None, None], dt)  # (T-2, J, 2) px / s^2
    trust = torch.minimum(weights[1:, :J], weights[:-1, :J]).clamp(0.0, 1.0)
    focal = torch.stack([problem.K[1:-1, 0, 0], problem.K[1:-1, 1, 1]], -1)[:, None, :]  # (T-2, 1, 2)
    metres = alpha * X[1:-1, :, 2:3] / focal
    return torch.cat([trust[..., None] * metres, torch.zeros_like(metres[..., :1])], -1)


def pose_terms(
    X: torch.Tensor, problem: PoseProblem, config: PoseStageConfig, target: FlowTarget | None = None
) -> dict[str, torch.Tensor]:
    """Every weighted term of L_pose at X (module docstring), keyed by :data:`TERMS`; disabled terms are 0.

    Args:
        X: (T, J, 3) joints, metres.
        problem: the video's data (:func:`build_pose_problem`).
        config: the weights, robust scales and penalty.
        target: :func:`flow_target` for this solve; None turns the flow term off.

    Returns:
        name -> () dimensionless tensor, differentiable in X.
    """
    c = config
    terms = dict.fromkeys(TERMS, X.sum() * 0.0)
    with_flow = target is not None and c.w_flow > 0
    p = projected_points(X, problem) if with_flow or c.w_2d > 0 else None
    if with_flow:
        # L_opt: r_t = (p_{t+1} - p_t) - F_t(p_t), over joints and bone points, weighted per pair.
        F = target.field.sample(p[:-1])[0] if c.flow_through_location else target.flow_px
        r_opt = lag_band(p[1:] - p[:-1] - F, F, c.flow_lag_band)
        L_opt = robust_mean(r_opt, target.weights, c.flow_delta_px, c.penalty)
        if target.back_px is not None:  # symmetric: r'_t = (p_t - p_{t+1}) - B_t(p_{t+1})
            B = target.back_field.sample(p[1:])[0] if c.flow_through_location else target.back_px
            L_back = robust_mean(lag_band(p[:-1] - p[1:] - B, B, c.flow_lag_band), target.back_weights, c.flow_delta_px, c.penalty)
            L_opt = 0.5 * (L_opt + L_back)
        for chain in target.chains:  # long range: p_{t+k} - p_t - D^k_t(p_t), weighted 1/k
            k = chain.stride
            r_k = lag_band(p[k:] - p[:-k] - chain.displacement, chain.displacement, c.flow_lag_band)
            L_opt = L_opt + robust_mean(r_k, chain.weights, c.flow_delta_px * k**0.5, c.penalty) / k
        terms["flow"] = c.w_flow * L_opt
    if c.w_3d_rel > 0 or c.w_3d_abs > 0 or c.w_3d_lateral > 0:
        l3d = pose3d_losses(
            X,
            problem.X_ref.to(X.dtype),
            problem.conf3d.to(X.dtype),
            root=None if c.pose3d_centre == "centroid" else problem.root,
            delta_mm=c.pose3d_delta_mm,
            penalty=c.penalty,
            position_delta_mm=c.position_delta_mm,
            sparse_share=c.position_sparse_share,
        )
        terms["3d_rel"] = c.w_3d_rel * l3d.rel
        terms["3d_abs"] = c.w_3d_abs * l3d.position + c.w_3d_lateral * l3d.lateral
    if c.w_contact > 0 and problem.world is not None:
        terms["3d_abs"] = terms["3d_abs"] + c.w_contact * contact_loss(
            X, problem.world, ANKLES, c.contact_floor_z + ANKLE_HEIGHT_M, problem.contact_weights,
            delta_mm=c.contact_delta_mm, penalty=c.penalty)
    if c.w_2d > 0:
        # L_2D: r = pi(X_{t,j}) - x_{t,j} over the joints (the first J points), confidence-weighted.
        x, conf = mask_missing(problem.x2d.to(X.dtype), problem.conf2d.to(X.dtype))
        r_2d = p[:, : X.shape[1]] - x
        terms["2d"] = c.w_2d * robust_mean(r_2d, conf, c.keypoint_delta_px, c.penalty)
    if c.w_vel > 0:
        terms["vel"] = c.w_vel * velocity_loss(X, dt=problem.dt.to(X.dtype))
    if target is not None and target.still is not None:
        terms["vel"] = terms["vel"] + c.w_still * stillness_loss(X, dt=problem.dt.to(X.dtype), still=target.still)
    if c.w_acc > 0:
        centre = target.acc_centre if target is not None else None
        terms["acc"] = c.w_acc * acceleration_loss(X, dt=problem.dt.to(X.dtype), centre=centre)
    if c.w_bone > 0:
        terms["bone"] = c.w_bone * bone_length_loss(X, problem.bones)
    return terms


def pose_objective(
    X: torch.Tensor, problem: PoseProblem, config: PoseStageConfig, target: FlowTarget | None = None
) -> torch.Tensor:
    """L_pose(X) = the sum of :func:`pose_terms` (same arguments); () dimensionless."""
    return sum(pose_terms(X, problem, config, target).values())
