"""Does a body surface make the flow pay on real video? The stand-in body fitted to each real estimate, refined with
and without the mesh-flow term (#19, #22).

The twentieth session found that even an exact optical flow earns little when read at the skeleton's points: it is
the motion of the skin seen there, not of the joint behind it. The SMPL pose stage explains the flow by a surface
that moves with the skeleton (L_mesh, :func:`flowpose.body.refine.refine_smpl`), and earns 3-6% on generated
bodies. Real video has no SMPL estimate here, and no licensed body model. So each real estimate (MediaPipe's
H36M-17 joints of a view-person pair of the real set, ``bench_real.py --estimates tracked --everyone`` first) is
fitted with the stand-in body (:mod:`flowpose.body.standin`: tubes around SMPL's bones, ``--radius`` m; not a
human's shape), by inverse kinematics to its 3D joints (6D rotations, one shape, the translation), and the fit is
refined on the video's DIS flow as ``refine --smpl`` refines (the loop's person scaling and flow weighting; the
estimate's 2D keypoints in L_2D):

- ``smpl fit``: the fit itself;
- ``smpl without flow``: the SMPL pose stage without any flow;
- ``smpl, joints' flow``: with L_opt at its joints and bone points (``w_mesh_flow`` 0);
- ``smpl, mesh flow wN``: with L_mesh as well, weight N px^-2 (``--mesh-weights``; 32 is the default).

The joints pipeline's ``without flow`` and ``flowpose`` rows are run alongside. The fit's joints are SMPL's mapped
to H36M-17 (:data:`flowpose.body.refine.SMPL_TO_H36M`), not MediaPipe's, so the SMPL rows carry a bias of their
own: read the mesh term's gain against ``smpl without flow`` and ``smpl, joints' flow``.

    python benchmarks/experiments/real_mesh_flow.py --reference heldout --mesh-weights 8,32,128 --max-steps 1000

(``--max-steps`` sets the SMPL pose stage's iterations a round; at its default, 200, the SMPL rows stop far from
their minimum on these clips: acceleration error 11-27 mm/f², against 5.6 for the joints pipeline.) The
thirtieth session's figures are in ``benchmarks/RESULTS.md``: the mesh term earns nothing here beyond the
joints' flow.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from scipy.spatial.transform import Rotation

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, scores, tracked_pairs  # noqa: E402

import flowpose.body.standin as standin  # noqa: E402
from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.body.loop import smpl_flow_weighted, smpl_stage_config  # noqa: E402
from flowpose.body.model import BodyModel, load_body_model  # noqa: E402
from flowpose.body.params import SmplSequence, axis_angle_of, matrix_from_6d, rotation_6d  # noqa: E402
from flowpose.body.refine import h36m_matrix, refine_smpl  # noqa: E402
from flowpose.config import RefineConfig, get_preset  # noqa: E402
from flowpose.flow.field import FlowField  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.pose import PoseSequence  # noqa: E402
from flowpose.refinement.flow_stage import FlowStage  # noqa: E402
from flowpose.refinement.loop import crop_boxes  # noqa: E402
from flowpose.refinement.objective import fill_missing_joints  # noqa: E402
from flowpose.refinement.optimize import minimize  # noqa: E402
from flowpose.refinement.pose_config import PoseStageConfig  # noqa: E402
from flowpose.refinement.reliability import flow_noise_px  # noqa: E402
from flowpose.refinement.swaps import repair_swaps  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

TORSO = [0, 1, 4, 7, 8, 11, 14]
"""H36M-17 pelvis, hips, spine, thorax, shoulders: the joints the root's first orientation is fitted to."""
LIMBS = {1: (4, 5), 2: (1, 2), 4: (5, 6), 5: (2, 3), 12: (8, 9), 16: (11, 12), 17: (14, 15), 18: (12, 13),
         19: (15, 16)}
"""SMPL joint j -> the H36M-17 bone (a, b) that j's child bone is: j's rotation turns it."""
CHILD = {1: 4, 2: 5, 4: 7, 5: 8, 12: 15, 16: 18, 17: 19, 18: 20, 19: 21}
"""SMPL joint j -> the child its bone in :data:`LIMBS` ends at."""


def bone_length(X: np.ndarray, a: int, b: int) -> float:
    """Median length (m) over the frames of the (T, 17, 3) joints' bone a-b."""
    return float(np.nanmedian(np.linalg.norm(X[:, a] - X[:, b], axis=-1)))


def person_rest_joints(X: np.ndarray) -> np.ndarray:
    """(24, 3) a T-pose of SMPL's joints (y up, facing +z, the person's left at +x) with the estimate's own bone
    lengths (left and right averaged), its H36M joints where SMPL's map to them: the pelvis between the hips, the
    spine half way up the torso, SMPL's neck at the thorax between the shoulders, its head at the nose."""
    hip = bone_length(X, 1, 4) / 2
    shoulder = bone_length(X, 11, 14) / 2
    torso = bone_length(X, 0, 8)
    nose = bone_length(X, 8, 9)
    thigh = (bone_length(X, 4, 5) + bone_length(X, 1, 2)) / 2
    shin = (bone_length(X, 5, 6) + bone_length(X, 2, 3)) / 2
    upper = (bone_length(X, 11, 12) + bone_length(X, 14, 15)) / 2
    fore = (bone_length(X, 12, 13) + bone_length(X, 15, 16)) / 2
    r = np.zeros((24, 3))
    for side, (h, k, a, f, c, s, e, w, d) in ((1.0, (1, 4, 7, 10, 13, 16, 18, 20, 22)),
                                              (-1.0, (2, 5, 8, 11, 14, 17, 19, 21, 23))):
        r[h] = [side * hip, 0, 0]
        r[k] = r[h] + [0, -thigh, 0]
        r[a] = r[k] + [0, -shin, 0]
        r[f] = r[a] + [0, -0.05, 0.1]
        r[c] = [side * 0.4 * shoulder, 0.95 * torso, 0]
        r[s] = [side * shoulder, torso, 0]
        r[e] = r[s] + [side * upper, 0, 0]
        r[w] = r[e] + [side * fore, 0, 0]
        r[d] = r[w] + [side * 0.08, 0, 0]
    r[3], r[6], r[9], r[12] = [0, 0.2 * torso, 0], [0, 0.5 * torso, 0], [0, 0.7 * torso, 0], [0, torso, 0]
    r[15] = [0, torso + nose, 0]
    return r


def first_rotations(X: np.ndarray, obs: np.ndarray, rest: tuple[np.ndarray, np.ndarray],
                    parents: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(T, 24, 3, 3) local rotations and (T, 3) translations placing the rest body (``rest``: (24, 3) SMPL joints,
    (17, 3) their H36M map as ``rest_h36``) on the estimate: the root by the torso's best rotation, each limb bone
    by the smallest turn from its parent's frame (no twist); the rest stay as in the rest pose."""
    rest_joints, rest_h36 = rest
    T = X.shape[0]
    R = np.repeat(np.eye(3)[None, None], T, 0).repeat(24, 1)
    t0 = np.zeros((T, 3))
    for t in range(T):
        ok = [k for k in TORSO if obs[t, k]]
        if len(ok) < 3:
            if t > 0:
                R[t], t0[t] = R[t - 1], t0[t - 1]
            continue
        src, dst = rest_h36[ok], X[t, ok]
        R[t, 0] = Rotation.align_vectors(dst - dst.mean(0), src - src.mean(0))[0].as_matrix()  # Kabsch
        t0[t] = dst.mean(0) - R[t, 0] @ src.mean(0) - rest_joints[0] + R[t, 0] @ rest_joints[0]
        G = {0: R[t, 0]}
        for j in range(1, 24):
            p = parents[j]
            Gp = G[p]
            Gj = Gp
            if j in LIMBS and obs[t, list(LIMBS[j])].all():
                a, b = LIMBS[j]
                rest_bone = Gp @ (rest_joints[CHILD[j]] - rest_joints[j])  # one pair: the smallest turn
                Gj = Rotation.align_vectors((X[t, b] - X[t, a])[None], rest_bone[None])[0].as_matrix() @ Gp
            G[j] = Gj
            R[t, j] = Gp.T @ Gj
    return R, t0


def fit_body(init: PoseSequence, tmp: Path, radius: float, rings: int, steps: int) -> tuple[BodyModel, SmplSequence]:
    """A stand-in body of the estimate's own bone lengths (:func:`person_rest_joints`, tubes of ``radius`` m) and
    its parameters whose H36M-17 joints come nearest ``init``'s 3D joints (inverse kinematics), the joints the
    detector did not see filled in time as the pose stage fills them
    (:func:`flowpose.refinement.objective.fill_missing_joints`).

    Started from :func:`first_rotations`. Unknowns: every frame's 24 rotations (6D offsets in 10 mrad units), the
    translation (mm), one shape. Objective: squared joint error (mm^2) over the observed joints, plus weak priors that
    settle what joints cannot (a limb's twist): each rotation towards its start (sigma 1 rad) and towards its
    neighbouring frames' (sigma 0.1 rad).
    """
    seen = np.isfinite(init.joints3d).all(-1) & (init.confidence() > 0)
    rest = person_rest_joints(np.where(seen[..., None], init.joints3d, np.nan))
    filled, _ = fill_missing_joints(np.where(seen[..., None], init.joints3d, np.nan), H36M17.parents)
    X = filled.astype(np.float64)
    obs = np.isfinite(X).all(-1)
    obs[:, H36M17.index("head")] = False
    original_rest, original_ring = standin.REST_JOINTS, standin._ring
    standin.REST_JOINTS = rest
    standin._ring = lambda centre, axis, r, n: original_ring(centre, axis, radius, n)  # one tube radius
    try:
        model = load_body_model(standin.write_standin(tmp / "standin.pkl", rings_per_bone=rings, ring_size=12))
    finally:
        standin.REST_JOINTS, standin._ring = original_rest, original_ring
    T = X.shape[0]
    M = torch.as_tensor(h36m_matrix(model.layout), dtype=torch.float32)
    J = model.num_joints
    with torch.no_grad():
        out = model(torch.zeros(model.num_betas), torch.eye(3).expand(1, J, 3, 3), torch.zeros(1, 3))
    rest_joints = out.joints[0].numpy().astype(np.float64)
    rest_h36 = (M.numpy() @ rest_joints).astype(np.float64)
    R0, t0 = first_rotations(X, obs, (rest_joints, rest_h36), model.layout.parents)
    R0_t = torch.as_tensor(R0, dtype=torch.float32)
    r6_0 = rotation_6d(R0_t)
    d_r6 = torch.zeros_like(r6_0, requires_grad=True)
    u_t = torch.zeros(T, 3, requires_grad=True)
    beta = torch.zeros(model.num_betas, requires_grad=True)
    target = torch.as_tensor(np.nan_to_num(X), dtype=torch.float32)
    w = torch.as_tensor(obs, dtype=torch.float32)
    base = torch.as_tensor(t0, dtype=torch.float32)

    def objective() -> torch.Tensor:
        R = matrix_from_6d(r6_0 + 1e-2 * d_r6)
        out = model(beta, R, base + 1e-3 * u_t)
        H = torch.einsum("kj,tjc->tkc", M, out.joints)
        err = (((H - target) * 1000.0) ** 2).sum(-1)
        fit = (w * err).sum() / w.sum()
        prior = ((R - R0_t) ** 2).sum((-1, -2)).mean() + 100.0 * ((R[1:] - R[:-1]) ** 2).sum((-1, -2)).mean()
        return fit + prior + (beta**2).sum()

    minimize(objective, [d_r6, u_t, beta], PoseStageConfig(max_steps=steps))
    with torch.no_grad():
        R = matrix_from_6d(r6_0 + 1e-2 * d_r6).numpy().astype(np.float64)
    aa = axis_angle_of(R)
    K = np.asarray(init.K, dtype=np.float64)
    seq = SmplSequence(global_orient=aa[:, 0], body_pose=aa[:, 1:], betas=beta.detach().numpy().astype(np.float64),
                       transl=(base + 1e-3 * u_t).detach().numpy().astype(np.float64), K=K, fps=float(init.fps))
    return model, seq


@dataclass(frozen=True)
class FittedBody:
    """The stand-in fitted to an estimate (:func:`fit_body`) and its SMPL pose stage without flow.

    Attributes:
        model, seq: the body and its fitted parameters.
        keypoints: (T, 17, 2) the estimate's 2D keypoints, px, NaN where its confidence is 0 (L_2D's data).
        fit: the fit's H36M joints (the SMPL stage's input).
        smooth: the SMPL stage without flow.
        size: (H, W) of the frames, px.
        config: the run's configuration (the SMPL stage's settings, ``flow_sigma_factor``).
    """

    model: BodyModel
    seq: SmplSequence
    keypoints: np.ndarray
    fit: PoseSequence
    smooth: PoseSequence
    size: tuple[int, int]
    config: RefineConfig

    @classmethod
    def of(cls, init: PoseSequence, tmp: Path, size: tuple[int, int], config: RefineConfig, radius: float,
           rings: int, steps: int) -> FittedBody:
        """Fit ``init`` (:func:`fit_body`) and run the SMPL stage on it without flow."""
        model, seq = fit_body(init, tmp, radius, rings, steps)
        kp = np.where((init.confidence() > 0)[..., None], init.joints2d, np.nan).astype(np.float32)
        fit = refine_smpl(seq, model, None, solve=False).poses
        smooth = refine_smpl(seq, model, None, smpl_stage_config(fit, size, config, 0.0), keypoints=kp).poses
        return cls(model, seq, kp, fit, smooth, size, config)

    def with_flow(self, flow: FlowField, backward: FlowField | None, noise: float, weights: list[float],
                  label: str) -> dict[str, np.ndarray]:
        """The SMPL stage on ``flow`` (and ``backward``, None: L_mesh forward only), weighted for its measured error
        ``noise`` px (nan: as configured), with the joints' flow alone and with L_mesh at each of ``weights``:
        ``"<label>, joints' flow"`` and ``"<label>, mesh flow wN"`` -> (T, 17, 3) joints."""
        runs = {}
        for w in [0.0, *weights]:
            cfg = smpl_flow_weighted(smpl_stage_config(self.fit, self.size, self.config, w), noise,
                                     self.config.flow_sigma_factor)
            out = refine_smpl(self.seq, self.model, flow, cfg, backward=backward, keypoints=self.keypoints)
            runs[f"{label}, joints' flow" if w == 0 else f"{label}, mesh flow w{w:g}"] = out.poses.joints3d
        return runs


def main() -> None:
    """Fit, refine and score every pair; print the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--mesh-weights", default="32", help="L_mesh weights, px^-2, comma-separated")
    p.add_argument("--radius", type=float, default=0.05, help="the stand-in's tube radius, m (its default 0.05)")
    p.add_argument("--rings", type=int, default=6, help="rings of vertices along each bone")
    p.add_argument("--fit-steps", type=int, default=500)
    p.add_argument("--max-steps", type=int, default=None, help="the SMPL pose stage's iterations a round (default: "
                   "RefineConfig.smpl_max_steps)")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    if args.max_steps is not None:
        config = replace(config, smpl_max_steps=args.max_steps)
    weights = [float(w) for w in args.mesh_weights.split(",") if w]
    tmp = Path(tempfile.mkdtemp(prefix="real_mesh_flow_"))
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        runs = {"without flow": refine(init, frames, config=NO_FLOW_RUNS["flow_off"](config)).poses.joints3d,
                "flowpose": refine(init, frames, config=config).poses.joints3d}
        size = tuple(np.asarray(frames[0]).shape[:2])
        models = [load_flow_model(n, w) for n, w in zip(config.flow.names, config.flow.weights)]
        stage = FlowStage(models, frames, crop_boxes(init, size, config), config, keep_backward=True)
        flow = stage.initial()
        repaired = repair_swaps(init, flow, config.swaps).poses  # as the joints pipeline does first
        body = FittedBody.of(repaired, tmp, size, config, args.radius, args.rings, args.fit_steps)
        runs |= {"smpl fit": body.fit.joints3d, "smpl without flow": body.smooth.joints3d}
        noise = flow_noise_px(body.smooth, flow)
        runs |= body.with_flow(flow, flow.reverse, noise, weights, "smpl")
        row = {k: scores(v, gt, keep) for k, v in runs.items()}
        print(f"{name} (flow noise {noise:.2f} px): "
              + ", ".join(f"{k} {m['mpjpe']:.1f} / {m['pa_mpjpe']:.1f}" for k, m in row.items()), flush=True)
        results.append(row)
    print_mean_table(results)
    print_mean_table(results, baseline="smpl without flow")


if __name__ == "__main__":
    main()
