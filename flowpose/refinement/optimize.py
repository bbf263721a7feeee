"""The pose stage of a refinement cycle: X_k = argmin_X L_opt(X; F_k) + L_3D + L_2D + L_temp (DESIGN.md).

Formulation (a deviation from the seed, which ran Adam at lr 1e-3 for up to 1500 steps on raw joints):

* Parameters are millimetre offsets from the (gap-filled) initial estimate, split into a root trajectory and
  root-relative joints, X_{t,j} = X0_{t,j} + 1e-3 (theta^root_t + theta^rel_{t,j}) with theta^rel = 0 at the
  anchor joint. The 3D terms are then diagonal in the parameters, and a whole-body shift is one variable.
* L-BFGS with a strong-Wolfe line search on the whole video at once: the problem is a smooth, nearly
  least-squares fit with a few tens of thousands of unknowns, where quasi-Newton steps converge in tens to
  hundreds of iterations instead of Adam's thousands. Adam stays available (``optimizer="adam"``).
* The flow is resampled at the current projections in ``flow_rounds`` rounds; within a round the sampled flow
  (and its confidence) is a fixed target, so each round minimises one smooth function, which is what a line
  search needs (see :func:`flowpose.refinement.image_losses.optical_flow_loss` for why the location is
  detached).
* Terms are weighted means in natural units, weights are inverse variances (see
  :mod:`flowpose.refinement.losses`), so the defaults read as noise levels: sigma_3D = 40 mm, sigma_flow = 1
  px, ...
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from flowpose.camera import project, project_np
from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField, FlowTensors
from flowpose.pose import PoseSequence
from flowpose.refinement.body_losses import (
    acceleration_loss,
    bone_length_loss,
    pose3d_rel_loss,
    root_lateral_loss,
    root_position_loss,
    velocity_loss,
)
from flowpose.refinement.image_losses import (
    bone_point_matrix,
    bone_point_weights,
    flow_residual_loss,
    keypoint_residual_loss,
)
from flowpose.refinement.losses import Penalty, Root
from flowpose.refinement.precondition import idct, temporal_scales

TERMS = ("flow", "3d_rel", "3d_abs", "2d", "vel", "acc", "bone")
"""Names of the weighted terms in :attr:`PoseStageResult.losses` (plus ``"total"``)."""

_CHECK_EVERY = 10
"""Iterations between two checks of the relative-change stopping rule."""


@dataclass(frozen=True)
class PoseStageConfig:
    """Weights and solver settings of the pose stage. A term with weight 0 is off.

    Weights are inverse variances in each term's unit (w = 1 / sigma^2: a residual of sigma costs 0.5).
    """

    w_flow: float = 1.0
    """L_opt weight, px^-2 (sigma = 1 px of flow error). Ignored when no flow is given."""
    w_3d_rel: float = 1.0 / 60.0**2
    """Root-relative 3D weight, mm^-2 (sigma = 60 mm, about a METRO-like estimator's MPJPE; tuned on the held-out
    tuning clip cmu_3dsmax/131_01, metro and spin profiles, see benchmarks/tune_pose_stage.py)."""
    w_3d_abs: float = 1.0 / 300.0**2
    """Absolute root-position weight, mm^-2 (sigma = 300 mm: weak, monocular depth is unreliable)."""
    w_3d_lateral: float = 1.0 / 20.0**2
    """Weight of the root's position across its viewing ray, mm^-2 (sigma = 20 mm, about 1 px at 4 m with
    f = 200 px: the estimator's camera fit places the root in the image as well as a detector; see
    :func:`flowpose.refinement.body_losses.root_lateral_loss`; tuned on the held-out tuning clip). Part of the
    ``"3d_abs"`` term."""
    w_2d: float = 1.0 / 2.0**2
    """2D keypoint weight, px^-2 (sigma = 2 px at the reference scale, see ``RefineConfig.pixel_scale``; tuned
    like ``w_3d_rel``); without keypoints, the initial estimate's projection."""
    w_vel: float = 0.0
    """Velocity weight, (m/s)^-2. Off by default: it biases towards standing still; acceleration suffices."""
    w_acc: float = 1.0 / 20.0**2
    """Acceleration weight, (m/s^2)^-2 (sigma = 20 m/s^2, the scale of brisk limb motion; tuned like
    ``w_3d_rel``: 10 m/s^2 over-smooths fast limbs)."""
    w_bone: float = 1.0 / 10.0**2
    """Bone-length variance weight, mm^-2 (sigma = 10 mm of length wobble; stiffer slows L-BFGS down)."""
    bone_samples: int = 3
    """Interior points per bone in L_opt, besides the joints."""
    flow_delta_px: float = 2.0
    """Robust scale of flow residuals, px: quadratic below, linear above."""
    keypoint_delta_px: float = 10.0
    """Robust scale of 2D keypoint residuals, px."""
    pose3d_delta_mm: float = 100.0
    """Robust scale of the 3D residuals, mm."""
    penalty: Penalty = "pseudo_huber"
    """Robust penalty of every data term (see :func:`flowpose.refinement.losses.robust_penalty`)."""
    flow_through_location: bool = False
    """Let the gradient flow through the flow's sampling location (see ``optical_flow_loss``)."""
    flow_rounds: int = 2
    """Times the flow is resampled at the current projections, each followed by a solve."""
    flow_conf_floor: float = 0.3
    """Floor of the detection confidence in L_opt only, so that joints the detector missed (confidence 0,
    gap-filled) still follow the flow, the only data term that sees them."""
    optimizer: Literal["lbfgs", "adam"] = "lbfgs"
    """``"lbfgs"`` (strong-Wolfe line search) or ``"adam"``."""
    max_steps: int = 200
    """Most optimiser iterations per flow round."""
    lr: float = 1.0
    """L-BFGS: step-length multiplier (1 is the natural step). Adam: step size in mm."""
    tol: float = 1e-4
    """Stop a round when the total loss fell by less than this fraction over the last 10 iterations."""
    history_size: int = 20
    """L-BFGS memory (number of curvature pairs)."""

    def __post_init__(self) -> None:
        """Validate every field; raises InputError naming the field, what is allowed and what was got."""
        for name in ("w_flow", "w_3d_rel", "w_3d_abs", "w_3d_lateral", "w_2d", "w_vel", "w_acc", "w_bone"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise InputError(f"PoseStageConfig.{name} must be a finite weight >= 0, got {value}")
        for name in ("flow_delta_px", "keypoint_delta_px", "pose3d_delta_mm", "lr"):
            if not getattr(self, name) > 0:
                raise InputError(f"PoseStageConfig.{name} must be > 0, got {getattr(self, name)}")
        for name in ("bone_samples", "max_steps"):
            if getattr(self, name) < 0:
                raise InputError(f"PoseStageConfig.{name} must be >= 0, got {getattr(self, name)}")
        if self.flow_rounds < 1 or self.history_size < 1:
            raise InputError(
                f"PoseStageConfig.flow_rounds and history_size must be >= 1, got {self.flow_rounds}, "
                f"{self.history_size}"
            )
        if self.optimizer not in ("lbfgs", "adam"):
            raise InputError(f"PoseStageConfig.optimizer must be 'lbfgs' or 'adam', got {self.optimizer!r}")
        if self.penalty not in ("pseudo_huber", "huber", "geman_mcclure", "l2"):
            raise InputError(
                "PoseStageConfig.penalty must be one of pseudo_huber, huber, geman_mcclure, l2; "
                f"got {self.penalty!r}"
            )
        if not 0.0 <= self.flow_conf_floor <= 1.0 or not self.tol >= 0:
            raise InputError(
                f"PoseStageConfig.flow_conf_floor must lie in [0, 1] and tol be >= 0, got "
                f"{self.flow_conf_floor}, {self.tol}"
            )


@dataclass(frozen=True)
class PoseStageResult:
    """What the pose stage returns.

    Attributes:
        joints3d: (T, J, 3) float32 refined joints, metres, camera frame.
        losses: each weighted term of :data:`TERMS` and ``"total"`` at the end, and the same at the gap-filled
            initial estimate with the prefix ``"init_"`` (dimensionless; disabled terms are 0).
        steps: optimiser iterations over all flow rounds.
        seconds: wall-clock time of the whole stage.
    """

    joints3d: np.ndarray
    losses: dict[str, float]
    steps: int
    seconds: float


# ------------------------------------------------------------------------------------------------------------
# Inputs


def fill_missing_joints(joints3d: np.ndarray, parents: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaN joints by linear interpolation in time, per joint and coordinate.

    Before the first and after the last observation a joint holds its nearest observed position. A joint
    missing in every frame is placed on its nearest ancestor that was observed (a zero-length bone, which the
    bone term keeps constant), or, with no such ancestor, on the mean of the observed joints; a warning says
    so.

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
        warnings.warn(
            f"joints {never.tolist()} are missing in every frame; placed on their nearest observed ancestor",
            stacklevel=3,
        )
        fallback = X[:, seen].mean(1)
        for j in never:
            a = parents[j]
            while a >= 0 and not seen[a]:
                a = parents[a]
            X[:, j] = X[:, a] if a >= 0 else fallback
    return X, missing


@dataclass(frozen=True)
class _Problem:
    """The tensors every loss evaluation needs, on the optimisation device."""

    X0: torch.Tensor  # (T, J, 3) gap-filled initial estimate, m
    X_ref: torch.Tensor  # (T, J, 3) initial estimate with NaN where missing (3D reference), m
    conf3d: torch.Tensor  # (T, J)
    x2d: torch.Tensor  # (T, J, 2) px, NaN where missing
    conf2d: torch.Tensor  # (T, J)
    K: torch.Tensor  # (T, 3, 3)
    bones: torch.Tensor  # (B, 2) long
    root: Root
    point_matrix: torch.Tensor  # (N, J) joints -> joints and bone points (bone_point_matrix)
    point_weights: torch.Tensor  # (T, N) detection weights of the L_opt points
    fps: float


def _build_problem(init: PoseSequence, config: PoseStageConfig, device: torch.device) -> _Problem:
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
    detection = torch.as_tensor(np.maximum(conf3d, conf2d), device=device).clamp_min(config.flow_conf_floor)

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, np.float32), device=device)

    return _Problem(
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
        fps=float(init.fps),
    )


# ------------------------------------------------------------------------------------------------------------
# The objective


def _flow_points(X: torch.Tensor, prob: _Problem) -> torch.Tensor:
    """(T, N, 2) projected joints (the first J) and bone points."""
    return project(torch.einsum("nj,tjc->tnc", prob.point_matrix, X), prob.K)


def _weighted_terms(
    X: torch.Tensor,
    prob: _Problem,
    config: PoseStageConfig,
    flow: FlowTensors | None,
    target: tuple[torch.Tensor, torch.Tensor] | None,
) -> dict[str, torch.Tensor]:
    """Every enabled weighted term at X; ``target`` = (flow (T-1, N, 2), weights (T-1, N)) for the round."""
    c = config
    terms = dict.fromkeys(TERMS, X.sum() * 0.0)
    points = _flow_points(X, prob) if (target is not None and c.w_flow > 0) or c.w_2d > 0 else None
    if target is not None and c.w_flow > 0:
        flow_px = flow.sample(points[:-1])[0] if c.flow_through_location else target[0]
        terms["flow"] = c.w_flow * flow_residual_loss(
            points, flow_px, target[1], delta_px=c.flow_delta_px, penalty=c.penalty
        )
    kw3d = dict(root=prob.root, delta_mm=c.pose3d_delta_mm, penalty=c.penalty)
    if c.w_3d_rel > 0:
        terms["3d_rel"] = c.w_3d_rel * pose3d_rel_loss(X, prob.X_ref, prob.conf3d, **kw3d)
    if c.w_3d_abs > 0:
        terms["3d_abs"] = c.w_3d_abs * root_position_loss(X, prob.X_ref, prob.conf3d, **kw3d)
    if c.w_3d_lateral > 0:
        terms["3d_abs"] = terms["3d_abs"] + c.w_3d_lateral * root_lateral_loss(X, prob.X_ref, prob.conf3d, **kw3d)
    if c.w_2d > 0:
        terms["2d"] = c.w_2d * keypoint_residual_loss(
            points[:, : X.shape[1]], prob.x2d, prob.conf2d, delta_px=c.keypoint_delta_px, penalty=c.penalty
        )
    if c.w_vel > 0:
        terms["vel"] = c.w_vel * velocity_loss(X, fps=prob.fps)
    if c.w_acc > 0:
        terms["acc"] = c.w_acc * acceleration_loss(X, fps=prob.fps)
    if c.w_bone > 0:
        terms["bone"] = c.w_bone * bone_length_loss(X, prob.bones)
    return terms


def _flow_target(
    X: torch.Tensor, prob: _Problem, config: PoseStageConfig, flow: FlowTensors | None
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Flow and pair weights sampled at the current projections, fixed for one round (None: no flow term)."""
    if flow is None or X.shape[0] < 2 or config.w_flow == 0:
        return None
    with torch.no_grad():
        points = _flow_points(X, prob)
        flow_px, flow_conf = flow.sample(points[:-1])
        weights = flow_conf * torch.minimum(prob.point_weights[:-1], prob.point_weights[1:])
    return flow_px, weights


def _temporal_scales(prob: _Problem, config: PoseStageConfig, with_flow: bool) -> torch.Tensor:
    """(T, 1, 1) preconditioning scales (:func:`flowpose.refinement.precondition.temporal_scales`)."""
    depth_m = float(prob.X0[..., 2].median().clamp_min(0.1))
    px_per_mm = float(prob.K[:, 0, 0].median()) / depth_m * 1e-3  # at the body's depth
    c = config
    return temporal_scales(
        prob.X0.shape[0],
        fps=prob.fps,
        px_per_mm=px_per_mm,
        w_3d_rel=c.w_3d_rel,
        w_2d=c.w_2d,
        w_vel=c.w_vel,
        w_acc=c.w_acc,
        w_flow=c.w_flow if with_flow else 0.0,
        device=prob.X0.device,
        dtype=prob.X0.dtype,
    )


# ------------------------------------------------------------------------------------------------------------
# The solver


def _solve(objective: Callable[[], torch.Tensor], params: list[torch.Tensor], config: PoseStageConfig) -> int:
    """Minimise ``objective`` (which reads ``params``) in place; returns the iterations taken."""
    if config.optimizer == "lbfgs":
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            params,
            lr=config.lr,
            max_iter=_CHECK_EVERY,
            # A line search may take several evaluations; iterations are the budget.
            max_eval=_CHECK_EVERY * 25,
            history_size=config.history_size,
            line_search_fn="strong_wolfe",
            # Our own relative-change rule decides convergence; torch's absolute tolerances depend on scale.
            tolerance_grad=0.0,
            tolerance_change=1e-12,
        )
    else:
        opt = torch.optim.Adam(params, lr=config.lr)
    last: list[float] = []

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=False)
        loss = objective()
        loss.backward()
        last.append(float(loss.detach()))
        return loss

    steps = 0
    previous = float(objective().detach()) if config.max_steps > 0 else 0.0
    while steps < config.max_steps:
        chunk = min(_CHECK_EVERY, config.max_steps - steps)
        if config.optimizer == "lbfgs":
            opt.param_groups[0]["max_iter"] = chunk
            opt.step(closure)
            steps = opt.state[opt.param_groups[0]["params"][0]]["n_iter"]
        else:
            for _ in range(chunk):
                opt.step(closure)
            steps += chunk
        current = last[-1]
        if not np.isfinite(current):
            raise FloatingPointError(f"pose stage diverged (loss {current}); lower lr or check the inputs")
        if previous - current <= config.tol * abs(previous):
            break
        previous = current
    return steps


def optimize_poses(
    init: PoseSequence,
    flow: FlowField | None,
    config: PoseStageConfig,
    *,
    device: str = "cpu",
    seed: int = 0,
) -> PoseStageResult:
    """Refine the 3D joints of a whole video against the flow, the initial estimate and smoothness priors.

    Missing joints (NaN in ``init.joints3d``) are gap-filled (:func:`fill_missing_joints`) and get confidence
    0, so only the flow, temporal and bone terms move them. With ``flow=None`` the flow term is off and the
    stage is a pure smoother/fitter. With T = 1 only the 3D and 2D terms act; with T = 2 there is no acceleration term.

    Args:
        init: the initial estimate (joints, camera, optional keypoints and confidences, fps).
        flow: forward flow for the T - 1 frame pairs (full frame or crops), or None.
        config: weights and solver settings.
        device: torch device to optimise on, e.g. ``"cpu"`` or ``"cuda"``.
        seed: seeds the torch RNG inside this call (the stage itself uses no randomness; the result is
            deterministic on a given device).

    Returns:
        The refined joints, the terms before and after, the iterations taken and the time.

    Raises:
        ShapeError: when the flow does not have T - 1 pairs.
        InputError: for an unavailable device, or when no joint is observed at all.
        FloatingPointError: when the optimisation diverges.
    """
    start = time.perf_counter()
    T = init.num_frames
    if flow is not None and flow.num_pairs != T - 1:
        raise ShapeError(
            "flow", f"{T - 1} frame pairs for {T} frames (FlowField.flow (P, h, w, 2))", flow.flow.shape
        )
    try:
        dev = torch.device(device)
        torch.empty(0, device=dev)
    except (RuntimeError, AssertionError) as err:
        raise InputError(f"device {device!r} is not available ({err}); use --device cpu") from None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        prob = _build_problem(init, config, dev)
        field = flow.to_torch(dev) if flow is not None and T > 1 and config.w_flow > 0 else None
        # X = X0 + 1e-3 (theta_root + theta_rel) (mm offsets), theta_rel pinned to 0 at the anchor joint (the
        # root, or a hip), and theta = IDCT(S u) along time with the preconditioning scales S.
        anchor = prob.root if isinstance(prob.root, int) else prob.root[0]
        free = torch.ones(1, init.num_joints, 1, device=dev)
        free[0, anchor] = 0.0
        scales = _temporal_scales(prob, config, field is not None)
        u_root = torch.zeros(T, 1, 3, device=dev, requires_grad=True)
        u_rel = torch.zeros(T, init.num_joints, 3, device=dev, requires_grad=True)

        def joints() -> torch.Tensor:
            return prob.X0 + 1e-3 * idct(scales * (u_root + free * u_rel))

        target = _flow_target(prob.X0, prob, config, field)
        initial = _weighted_terms(prob.X0, prob, config, field, target)
        steps = 0
        for _ in range(config.flow_rounds if field is not None else 1):
            target = _flow_target(joints().detach(), prob, config, field)

            def objective(target: tuple[torch.Tensor, torch.Tensor] | None = target) -> torch.Tensor:
                # Summed over frames rather than averaged, so the curvature per unknown does not shrink
                # with T.
                return T * sum(_weighted_terms(joints(), prob, config, field, target).values())

            steps += _solve(objective, [u_root, u_rel], config)
        with torch.no_grad():
            X = joints()
            final = _weighted_terms(X, prob, config, field, _flow_target(X, prob, config, field))
    losses = {name: float(v) for name, v in final.items()}
    losses["total"] = sum(losses[name] for name in TERMS)
    losses.update({f"init_{name}": float(v) for name, v in initial.items()})
    losses["init_total"] = sum(losses[f"init_{name}"] for name in TERMS)
    return PoseStageResult(
        joints3d=X.cpu().numpy().astype(np.float32),
        losses=losses,
        steps=int(steps),
        seconds=time.perf_counter() - start,
    )
