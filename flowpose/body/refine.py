"""The pose stage for SMPL and SMPL-X sequences: per-frame pose, one shape and the translation under L_pose plus
mesh flow.

Unknowns (a continuous parametrisation, Zhou et al. 2019): a 6D rotation per joint and frame (the root and the
body joints; SMPL-X's jaw, eyes and hands, and its expression, stay as the estimate gave them), as an offset from
the estimate's in units of :data:`ROTATION_UNIT`; one shape ``betas`` for the video; and the translation
(millimetre offsets). The model's joints, mapped to
Human3.6M-17 (:func:`h36m_matrix`; SMPL-X's first 22 joints are SMPL's), enter the joint objective :func:`flowpose.refinement.objective.pose_terms`
unchanged (L_opt on joints and bone points, L_3D, L_2D, L_vel, L_acc, L_bone). Added:

    L_mesh = 1/2 [ sum w^f rho(|p_{t+1} - p_t - F_t(p_t)|) / sum w^f + sum w^b rho(|p_t - p_{t+1} - B_t(p_{t+1})|) / sum w^b ]

over the vertices v with p_t = pi(V_t(v)), the forward flow F and, when given, the backward flow B (then the two
frames play symmetric roles, as in arXiv 2402.02736; without B only the forward half). rho is redescending
(Geman-McClure, ``mesh_flow_penalty``), unlike the joint terms' pseudo-Huber: a vertex of a misplaced fit samples
the flow of another surface or of the background, which a convex rho would still follow. A vertex counts in a
frame where it is visible: nearest to the camera in its cell of a z-buffer of the projected mesh (within
``visibility_tolerance_m``); w = visibility x flow confidence. Flow and visibility are fixed within a round and
resampled between rounds, as for L_opt. Visibility is decided on the whole mesh; the term itself runs on
``mesh_flow_vertices`` vertices spread evenly over the body (farthest-point sampling of the template), since
posing and skinning every vertex in every step is what a solve costs (``benchmarks/bench_smpl.py``: equal
accuracy, a fraction of the time). Priors keep what no image term sees near the estimate: the rotations
(``w_rotation``, on |R - R_0|_F^2) and the shape (``w_betas``, on |beta - beta_0|^2).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import get_args

import numpy as np
import torch

from flowpose.body.layouts import BodyLayout
from flowpose.body.model import JOINTS_ONLY, BodyModel, model_joints
from flowpose.body.params import SmplSequence, axis_angle_of, matrix_from_6d, rotation_6d
from flowpose.body.smooth_start import smoothed_start
from flowpose.camera import project
from flowpose.errors import ShapeError, check_fields
from flowpose.flow.field import FlowField, FlowTensors
from flowpose.joint_map import to_h36m17
from flowpose.pose import PoseSequence
from flowpose.refinement.losses import Penalty, robust_mean
from flowpose.refinement.objective import TERMS, build_pose_problem, flow_target, pose_terms
from flowpose.refinement.optimize import minimize
from flowpose.refinement.pose_config import SMPL_MAX_STEPS, PoseStageConfig
from flowpose.reprs import short_repr
from flowpose.skeleton import H36M17, SMPL24

HEAD = H36M17.index("head")


def smpl_to_h36m_matrix() -> np.ndarray:
    """(17, 24) the linear map from SMPL's joints to Human3.6M-17: :func:`flowpose.joint_map.to_h36m17` applied
    to the identity. H36M's head top, which SMPL lacks, is placed on its parent (the neck), as gap filling
    places a never-seen joint."""
    M = to_h36m17(np.eye(SMPL24.num_joints), SMPL24.name, missing="nan")  # row k: the weights of joint k
    M[HEAD] = M[H36M17.parents[HEAD]]
    return M


SMPL_TO_H36M = smpl_to_h36m_matrix()
"""(17, 24) see :func:`smpl_to_h36m_matrix`."""


def h36m_matrix(layout: BodyLayout) -> np.ndarray:
    """(17, J) the linear map from a body model's joints to Human3.6M-17: :data:`SMPL_TO_H36M`, whose weights
    fall on the 22 joints SMPL and SMPL-X share (the root and the body up to the wrists), zero elsewhere."""
    M = np.zeros((H36M17.num_joints, layout.num_joints))
    M[:, :22] = SMPL_TO_H36M[:, :22]
    return M


def model_h36m17(model: BodyModel, seq: SmplSequence) -> np.ndarray:
    """(T, 17, 3) float64 metres: the body model's joints for ``seq`` as Human3.6M-17 (:func:`h36m_matrix`; the head
    top on the neck), camera frame, without posing the mesh."""

    return np.einsum("kj,tjc->tkc", h36m_matrix(model.layout), model_joints(model, seq).astype(np.float64))


ROTATION_UNIT = 2e-3
"""Radians per unit of the rotation unknowns (their 6D offsets from the estimate). A turn of 2 mrad moves a point
0.5 m from the joint (a limb's length, half the body's height) by 1 mm, the unit of the translation unknowns, so
the unknowns' curvatures are of one order, which a limited-memory quasi-Newton solve needs. With the raw 6D vectors
(1 rad a unit: a unit of turn moved a point 500 times as far as a unit of translation) the solve was far from its
minimum at 200 iterations a round: joints-only MPJPE on ``benchmarks/bench_smpl.py``'s clips 80.5 mm at 200, 75.2
at 1,000; in these units 71.4 at 200 (``benchmarks/RESULTS.md``, twenty-ninth session). Chosen on other clips
(seeds 3-5: 62.1 / 60.1 / 59.9 / 60.5 mm at 1 / 2 / 5 / 10 mrad, 70.3 at 1 rad; ``python
benchmarks/experiments/smpl_units.py``), not on the benchmark's."""

MESH_FLOW_WEIGHT = 32.0
"""The default weight of L_mesh, px^-2, at the pose stage's reference person size (with the Geman-McClure
penalty). Chosen among 1 to 128 on clips the benchmarks do not report (seeds 3-5), with the solve in
:data:`ROTATION_UNIT`'s units; MPJPE against joints only at 4 / 16 / 32 / 64: the pose stage on the exact flow at
the vertices -1.4% / -2.9% / -4.2% / -3.8%, on DIS's flow of the rendered frames -1.2% / -3.1% / -3.2% / -4.4%, the
whole loop on DIS's flow -1.7% / -4.5% / -6.1% / -6.0% (``benchmarks/RESULTS.md``, twenty-ninth session). The
earlier default, 4, was chosen with the solve cut off far from its minimum, where a stronger term traded the
image-plane noise for bias."""


@dataclass(frozen=True)
class SmplRefineConfig:
    """Weights and settings of the SMPL pose stage."""

    pose: PoseStageConfig = field(default_factory=lambda: PoseStageConfig(max_steps=SMPL_MAX_STEPS))
    """The joint terms and the solver (its ``flow_rounds``, ``max_steps``, ``tol`` and optimizer apply); by
    default capped at :data:`flowpose.refinement.pose_config.SMPL_MAX_STEPS` iterations a round."""
    w_mesh_flow: float = MESH_FLOW_WEIGHT
    """L_mesh weight, px^-2; 0 gives joints-only refinement. The video loop scales it, the robust scale and the
    visibility cell to the person's size, as it does the joint terms (:func:`flowpose.body.loop.smpl_stage_config`)."""
    mesh_flow_delta_px: float = 2.0
    """Robust scale of the mesh-flow residuals, px."""
    mesh_flow_penalty: Penalty | None = "geman_mcclure"
    """Robust penalty of the mesh-flow residuals; None: the joint terms' (``pose.penalty``). Redescending by
    default: a vertex of a misplaced fit samples the flow of another surface or of the background, a gross
    outlier that a convex penalty still follows. Against joints only, on the exact flow at every pixel (seeds 3-5):
    the pose's pseudo-Huber -1.5% at weight 1, -0.5% at 4, +17.7% at 32 (``python benchmarks/bench_smpl.py --flow
    dense --seeds 3,4,5 --mesh-penalty pseudo_huber --mesh-weights 1,4 --timing-frames 0``); Geman-McClure -4.0% at
    32 (``--flow dense --seeds 3,4,5 --timing-frames 0``)."""
    w_rotation: float = 1.0 / 0.3**2
    """Weight of |R - R_0|_F^2 per joint (about 1 / (2 sigma^2) rad^-2: sigma ~ 0.2 rad)."""
    w_betas: float = 1.0
    """Weight of |beta - beta_0|^2 (betas are in standard deviations of the shape space)."""
    mesh_flow_vertices: int = 1024
    """Vertices the mesh-flow term runs on, spread evenly over the body; 0: every vertex."""
    visibility_cell_px: float = 4.0
    """Cell size of the visibility z-buffer, px."""
    visibility_tolerance_m: float = 0.03
    """A vertex is visible within this depth of the nearest one in its cell, metres."""
    start_smoothing_s: float | None = 0.05
    """The solve starts from the estimate smoothed in time by a Gaussian of this standard deviation, seconds (1.5
    frames at 30 fps; :mod:`flowpose.body.smooth_start`); the objective is unchanged. None: from the estimate as
    given. Chosen among 1, 1.5, 2 and 3 frames on 48-frame stand-in clips (seeds 0-2; ``benchmarks/bench_smpl.py
    --timing-frames 0 --frames 48 --start-smoothing S``): the lowest MPJPE, with and without the mesh term."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            {
                "w_mesh_flow": self.w_mesh_flow >= 0,
                "mesh_flow_delta_px": self.mesh_flow_delta_px > 0,
                "mesh_flow_vertices": self.mesh_flow_vertices >= 0,
                "w_rotation": self.w_rotation >= 0,
                "w_betas": self.w_betas >= 0,
                "visibility_cell_px": self.visibility_cell_px > 0,
                "visibility_tolerance_m": self.visibility_tolerance_m > 0,
                "start_smoothing_s": self.start_smoothing_s is None or self.start_smoothing_s >= 0,
                "mesh_flow_penalty": self.mesh_flow_penalty in (None, *get_args(Penalty)),
            },
        )


@dataclass(frozen=True)
class SmplRefineResult:
    """What :func:`refine_smpl` returns.

    Attributes:
        smpl: the refined parameters (same layout as the input; one shape if the input had one; SMPL-X's face,
            hands and expression as the input's).
        poses: the model's joints as Human3.6M-17 poses (head top on the neck), with the input's camera.
        vertices: (T, V, 3) float32 refined vertices, metres, camera frame.
        losses: the weighted terms at the end (``TERMS`` plus ``mesh``, ``rotation``, ``betas``, ``total``).
        steps: solver iterations.
        seconds: wall time.
    """

    smpl: SmplSequence
    poses: PoseSequence
    vertices: np.ndarray
    losses: dict[str, float]
    steps: int
    seconds: float

    __repr__ = short_repr


def visible_vertices(points_px: np.ndarray, depth: np.ndarray, cell_px: float, tolerance_m: float) -> np.ndarray:
    """Which vertices the camera sees: those within ``tolerance_m`` of the nearest in their z-buffer cell.

    Args:
        points_px: (T, V, 2) projected vertices.
        depth: (T, V) their depth, metres.
        cell_px: z-buffer cell size.
        tolerance_m: depth tolerance.

    Returns:
        (T, V) bool.
    """
    T, V = depth.shape
    cells = np.floor(points_px / cell_px).astype(np.int64)
    cells -= cells.reshape(-1, 2).min(0)
    width = int(cells[..., 0].max()) + 1
    key = (np.arange(T)[:, None] * (int(cells[..., 1].max()) + 1) + cells[..., 1]) * width + cells[..., 0]
    nearest = np.full(int(key.max()) + 1, np.inf)
    np.minimum.at(nearest, key.ravel(), depth.ravel())
    return depth <= nearest[key] + tolerance_m


def _mesh_target(
    p: torch.Tensor,
    depth: torch.Tensor,
    flow: FlowTensors,
    backward: FlowTensors | None,
    config: SmplRefineConfig,
    vertex_ids: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Flow at the term's vertices and their visibility-times-confidence weights, fixed for one round.

    ``p`` (T, V, 2) and ``depth`` (T, V) are the whole mesh's, which decides visibility.
    """
    with torch.no_grad():
        vis = torch.as_tensor(
            visible_vertices(p.cpu().numpy(), depth.cpu().numpy(), config.visibility_cell_px,
                             config.visibility_tolerance_m),
            dtype=p.dtype,
        )
        if vertex_ids is not None:
            p, vis = p[:, vertex_ids], vis[:, vertex_ids]
        f_px, f_conf = flow.sample(p[:-1])
        b_px = b_w = None
        if backward is not None:
            b_px, b_conf = backward.sample(p[1:])
            b_w = b_conf * vis[1:]
    return f_px, f_conf * vis[:-1], b_px, b_w


EVALUATED_FRAMES = 100
"""Frames the whole mesh is posed and skinned for at once where nothing is differentiated (the estimate, the flow
targets' visibility each round, the result): a long video's whole-mesh skinning at once would hold about 100 bytes
per frame and vertex beside its results, fresh pages from the system each time."""


def _evaluated(
    model: BodyModel, betas: torch.Tensor, rotations: torch.Tensor, transl: torch.Tensor,
    expression: torch.Tensor | None, M: torch.Tensor, *, with_vertices: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's Human3.6M-17 joints (T, 17, 3) (``M`` the map from its joints) and, ``with_vertices``, its
    vertices (T, V, 3) float32, metres, posed :data:`EVALUATED_FRAMES` frames at a time (arguments as
    :meth:`BodyModel.__call__`'s; without vertices, one vertex is posed, not the mesh: :data:`JOINTS_ONLY`)."""
    joints, vertices = [], []
    with torch.no_grad():
        for a in range(0, len(transl), EVALUATED_FRAMES):
            cut = slice(a, a + EVALUATED_FRAMES)
            out = model(betas if betas.ndim == 1 else betas[cut], rotations[cut], transl[cut],
                        None if with_vertices else JOINTS_ONLY, None if expression is None else expression[cut])
            joints.append(torch.einsum("kj,tjc->tkc", M, out.joints).numpy())
            if with_vertices:
                vertices.append(out.vertices.numpy())
    return np.concatenate(joints), np.concatenate(vertices) if with_vertices else None


def refine_smpl(
    seq: SmplSequence,
    model: BodyModel,
    flow: FlowField | None,
    config: SmplRefineConfig = SmplRefineConfig(),
    *,
    backward: FlowField | None = None,
    keypoints: np.ndarray | None = None,
    times: np.ndarray | None = None,
    solve: bool = True,
) -> SmplRefineResult:
    """Refine an SMPL sequence against the flow, its own estimate and the priors (module docstring).

    Args:
        seq: the initial estimate (camera frame).
        model: the body model.
        flow: forward flow for the T - 1 frame pairs, or None (no flow terms).
        config: weights and settings.
        backward: the backward flow (frame t+1 -> t) of the same pairs, for the symmetric mesh term, or None.
        keypoints: (T, 17, 2) H36M-17 2D keypoints, px, NaN where missing; None: the estimate's projection.
        times: (T,) seconds, each frame's time for a variable frame rate (``PoseSequence.times``); None: evenly
            spaced at ``seq.fps``.
        solve: False returns the input unchanged, with its joints and vertices (``refine --cycles 0``).

    Returns:
        :class:`SmplRefineResult`.

    Raises:
        ShapeError: for flows of the wrong pair count or keypoints of the wrong shape.
        InputError: for parameters of another model (:meth:`BodyModel.check_sequence`).
    """
    start = time.perf_counter()
    T = seq.num_frames
    for name, f in (("flow", flow), ("backward", backward)):
        if f is not None and f.num_pairs != T - 1:
            raise ShapeError(name, f"{T - 1} frame pairs for {T} frames", f.flow.shape)
    if keypoints is not None and keypoints.shape != (T, 17, 2):
        raise ShapeError("keypoints", f"({T}, 17, 2)", keypoints.shape)
    dtype = torch.float32
    R_all = torch.as_tensor(model.pose_rotations(seq), dtype=dtype)  # checks the sequence against the model
    free = 1 + seq.layout.body_joints  # the root and the body; SMPL-X's face and hands stay fixed
    R0, R_fixed = R_all[:, :free], R_all[:, free:]
    expression = model.expression_of(seq)
    beta0 = torch.as_tensor(seq.betas if seq.betas.ndim == 1 else seq.betas.mean(0), dtype=dtype)
    t0 = torch.as_tensor(seq.transl, dtype=dtype)
    M = torch.as_tensor(h36m_matrix(model.layout), dtype=dtype)
    K = torch.as_tensor(seq.K_per_frame(), dtype=dtype)
    joints0, vertices0 = _evaluated(model, torch.as_tensor(seq.betas, dtype=dtype), R_all, t0, expression, M,
                                    with_vertices=not solve)
    joints0_h36 = joints0.copy()
    joints0_h36[:, HEAD] = np.nan  # SMPL has no head top: unobserved in the joint terms
    init = PoseSequence(joints3d=joints0_h36.astype(np.float32), K=seq.K.astype(np.float32),
                        joints2d=None if keypoints is None else keypoints.astype(np.float32), fps=seq.fps,
                        times=times)
    if not solve:
        poses = init.with_joints3d(joints0.astype(np.float32))
        return SmplRefineResult(seq, poses, vertices0, {}, 0, time.perf_counter() - start)

    pose_cfg = config.pose
    problem = build_pose_problem(init, pose_cfg, torch.device("cpu"))  # SMPL's head top, never observed: tied
    field = flow.to_torch("cpu") if flow is not None and T > 1 else None
    back = backward.to_torch("cpu") if backward is not None and field is not None else None
    r6_0 = rotation_6d(R0)
    d_r6 = torch.zeros_like(r6_0, requires_grad=True)  # ROTATION_UNIT rad
    d_beta = torch.zeros_like(beta0, requires_grad=True)
    u_t = torch.zeros_like(t0, requires_grad=True)  # mm
    if config.start_smoothing_s is not None and T > 1:  # the unknowns start at the estimate smoothed in time
        smooth = smoothed_start(seq, config.start_smoothing_s * seq.fps)
        with torch.no_grad():
            d_r6.copy_((rotation_6d(torch.as_tensor(smooth.rotations()[:, :free], dtype=dtype)) - r6_0) / ROTATION_UNIT)
            u_t.copy_(1e3 * (torch.as_tensor(smooth.transl, dtype=dtype) - t0))
    with_mesh = field is not None and config.w_mesh_flow > 0
    subset = 0 < config.mesh_flow_vertices < model.num_vertices
    vertex_ids = torch.as_tensor(model.spread_vertices(config.mesh_flow_vertices)) if subset else None
    solved_vertices = vertex_ids if with_mesh else JOINTS_ONLY  # without the mesh term the solve reads the joints

    def current() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The unknowns as the model takes them: the free joints' rotations R, the shape, every joint's rotations
        and the translation, m."""
        R = matrix_from_6d(r6_0 + ROTATION_UNIT * d_r6)
        return R, beta0 + d_beta, torch.cat([R, R_fixed], dim=1), t0 + 1e-3 * u_t

    def body():  # the term's vertices (or with no mesh term, one), differentiable
        R, betas, rotations, transl = current()
        return R, model(betas, rotations, transl, solved_vertices, expression)

    def terms(R, out, joint_target, mesh_target) -> dict[str, torch.Tensor]:
        X = torch.einsum("kj,tjc->tkc", M, out.joints)
        found = pose_terms(X, problem, pose_cfg, joint_target)
        found["rotation"] = config.w_rotation * ((R - R0) ** 2).sum((-1, -2)).mean()
        found["betas"] = config.w_betas * (d_beta**2).sum()
        found["mesh"] = X.sum() * 0.0
        if mesh_target is not None:  # made only with the flow and a mesh weight (targets)
            p = project(out.vertices, K)
            f_px, f_w, b_px, b_w = mesh_target
            penalty = config.mesh_flow_penalty or pose_cfg.penalty
            mesh = robust_mean(p[1:] - p[:-1] - f_px, f_w, config.mesh_flow_delta_px, penalty)
            if b_px is not None:
                back_term = robust_mean(p[:-1] - p[1:] - b_px, b_w, config.mesh_flow_delta_px, penalty)
                mesh = 0.5 * (mesh + back_term)
            found["mesh"] = config.w_mesh_flow * mesh
        return found

    def evaluated(with_vertices: bool) -> tuple[np.ndarray, np.ndarray | None]:  # the joints (and mesh), in chunks
        with torch.no_grad():
            _, betas, rotations, transl = current()
            return _evaluated(model, betas, rotations, transl, expression, M, with_vertices=with_vertices)

    def targets(X: np.ndarray, vertices: np.ndarray | None):  # at the whole body as it stands
        with torch.no_grad():
            joint_target = flow_target(torch.as_tensor(X), problem, pose_cfg, field,
                                       back if pose_cfg.symmetric_flow else None)
            mesh_target = None
            if with_mesh:
                V = torch.as_tensor(vertices)
                mesh_target = _mesh_target(project(V, K), V[..., 2], field, back, config, vertex_ids)
        return joint_target, mesh_target

    steps = 0
    for _ in range(pose_cfg.flow_rounds if field is not None else 1):
        joint_target, mesh_target = targets(*evaluated(with_vertices=with_mesh))

        def objective(jt=joint_target, mt=mesh_target) -> torch.Tensor:
            R, out = body()
            return T * sum(terms(R, out, jt, mt).values())

        steps += minimize(objective, [d_r6, d_beta, u_t], pose_cfg)
    joints, vertices = evaluated(with_vertices=True)
    joint_target, mesh_target = targets(joints, vertices)
    with torch.no_grad():
        R, out = body()
        final = terms(R, out, joint_target, mesh_target)
        _, betas_t, _, transl = current()
    losses = {k: float(v) for k, v in final.items()}
    losses["total"] = sum(losses[k] for k in (*TERMS, "mesh", "rotation", "betas"))
    aa = axis_angle_of(R.numpy().astype(np.float64))
    betas = betas_t.numpy().astype(np.float64)
    refined = seq.with_body(
        global_orient=aa[:, 0],
        body_pose=aa[:, 1:],
        betas=betas if seq.betas.ndim == 1 else np.repeat(betas[None], T, 0),
        transl=transl.numpy().astype(np.float64),
    )
    poses = init.with_joints3d(joints.astype(np.float32))
    return SmplRefineResult(refined, poses, vertices, losses, steps, time.perf_counter() - start)
