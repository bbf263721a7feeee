"""The pose stage of a refinement cycle: X_k = argmin_X L_pose(X; F_k) (:mod:`flowpose.refinement.objective`).

Formulation (a deviation from the seed, which ran Adam at lr 1e-3 for up to 1500 steps on raw joints):

* Parameters are millimetre offsets from the (gap-filled) initial estimate, split into a root trajectory and
  root-relative joints, X_{t,j} = X0_{t,j} + 1e-3 (theta^root_t + theta^rel_{t,j}) with theta^rel = 0 at the
  anchor joint. The 3D terms are then diagonal in the parameters, and a whole-body shift is one variable.
* L-BFGS with a strong-Wolfe line search on the whole video at once: the problem is a smooth, nearly
  least-squares fit with a few tens of thousands of unknowns, where quasi-Newton steps converge in tens to
  hundreds of iterations instead of Adam's thousands. Adam stays available (``optimizer="adam"``).
* The flow is resampled at the current projections in ``flow_rounds`` rounds; within a round the sampled flow
  (and its confidence) is a fixed target, so each round minimises one smooth function, which is what a line
  search needs (see :mod:`flowpose.refinement.objective` for why the location is detached).
* Terms are weighted means in natural units, weights are inverse variances (see
  :mod:`flowpose.refinement.losses`), so the defaults read as noise levels: sigma_3D,rel = 60 mm,
  sigma_flow = 1 px, ... (:class:`flowpose.refinement.pose_config.PoseStageConfig`)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.pose import PoseSequence
from flowpose.refinement.objective import (
    TERMS,
    PoseProblem,
    build_pose_problem,
    flow_target,
    pose_objective,
    pose_terms,
)
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.refinement.precondition import idct, temporal_scales

_CHECK_EVERY = 10
"""Iterations between two checks of the relative-change stopping rule."""


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
# Preconditioning


def _temporal_scales(prob: PoseProblem, config: PoseStageConfig, with_flow: bool) -> torch.Tensor:
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


def minimize(objective: Callable[[], torch.Tensor], params: list[torch.Tensor], config: PoseStageConfig) -> int:
    """Minimise ``objective`` (which reads ``params``) in place with ``config``'s solver; returns the iterations.

    L-BFGS with a strong-Wolfe line search (or Adam), stopped after ``config.max_steps`` iterations or when the
    loss fell by less than ``config.tol`` of itself over 10 iterations.

    Raises:
        FloatingPointError: when the loss becomes non-finite.
    """
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
    0, so only the flow, temporal and bone terms move them. A joint observed in no frame, in 3D or 2D, stays
    where it was placed (``PoseProblem.tied``). With ``flow=None`` the flow term is off and the
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
        raise InputError(f"device {device!r} is not available ({err}); use device 'cpu'") from None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        prob = build_pose_problem(init, config, dev)
        field = flow.to_torch(dev) if flow is not None and T > 1 and config.w_flow > 0 else None
        back = None
        if field is not None and config.symmetric_flow:
            if flow.reverse is None:
                warnings.warn("symmetric_flow: the flow field has no backward flow (reverse); L_opt uses the "
                              "forward flow only", stacklevel=2)
            else:
                back = flow.reverse.to_torch(dev)
        # X = X0 + 1e-3 (theta_root + theta_rel) (mm offsets), theta_rel pinned to 0 at the anchor joint (the
        # root, or a hip), and theta = IDCT(S u) along time with the preconditioning scales S.
        anchor = prob.root if isinstance(prob.root, int) else prob.root[0]
        free = torch.ones(1, init.num_joints, 1, device=dev)
        free[0, anchor] = 0.0
        scales = _temporal_scales(prob, config, field is not None)
        u_root = torch.zeros(T, 1, 3, device=dev, requires_grad=True)
        u_rel = torch.zeros(T, init.num_joints, 3, device=dev, requires_grad=True)

        def joints() -> torch.Tensor:
            X = prob.X0 + 1e-3 * idct(scales * (u_root + free * u_rel))
            return X if prob.tied is None else torch.einsum("kj,tjc->tkc", prob.tied, X)

        target = flow_target(prob.X0, prob, config, field, back)
        initial = pose_terms(prob.X0, prob, config, target)
        steps = 0
        for _ in range(config.flow_rounds if field is not None else 1):
            target = flow_target(joints().detach(), prob, config, field, back)

            def objective(target: tuple[torch.Tensor, torch.Tensor] | None = target) -> torch.Tensor:
                # Summed over frames rather than averaged, so the curvature per unknown does not shrink
                # with T.
                return T * pose_objective(joints(), prob, config, target)

            steps += minimize(objective, [u_root, u_rel], config)
        with torch.no_grad():
            X = joints()
            final = pose_terms(X, prob, config, flow_target(X, prob, config, field, back))
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
