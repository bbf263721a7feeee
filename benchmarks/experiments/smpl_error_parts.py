"""Which part of the SMPL estimate's error is left after refinement, with and without the mesh-flow term (#22).

The same clips as ``bench_smpl.py`` (stand-in SMPL, 60 frames, seeds 0-2, exact mesh flow, the estimate
``perturb``-ed: per-frame rotation noise, a per-joint rotation bias, a wrong shape, depth noise). Each run's
root-aligned H36M-17 joint error e_t,j (camera frame) is split into

    bias_j = mean_t e_t,j        (what stays the same all video: the shape, the per-joint rotation bias)
    noise_t,j = e_t,j - bias_j   (what changes from frame to frame), in the image plane (x, y) and in depth (z)

and each part's mean length is printed in mm, beside MPJPE and the mean |beta - beta_true| (standard deviations
of the shape space). The row ``the estimate's shape alone`` is the true motion with the estimate's shape: the
error the wrong shape makes by itself. The row ``joints only, its noise in the image plane taken out`` is the
joints-only result with that part of its error set to zero: about the most a further 2D motion cue could add. The row ``mesh flow, both directions, true correspondences``
reads the flow where the fit's vertices truly are (each vertex's own true motion), where the visible vertex has
any flow at all: what the mesh term gives when the fit's misplacement does not make it read another surface's flow.
With ``--oracle-weights`` it runs under the convex pseudo-Huber too (right correspondences have no gross outliers
for a redescending penalty to ignore) at those weights.

The flow, exact or not, is 2D motion. It can take out the noise in the image plane, never the noise in depth,
and it sees a constant error (the bias) only through how the motion would differ, which is a second-order cue.
``--betas-weights`` runs both refinements again with a weaker shape prior (``SmplRefineConfig.w_betas``): if the
flow revealed the shape, a freer shape would move toward the truth.

    python benchmarks/experiments/smpl_error_parts.py [--seeds 0,1,2] [--flow splat|dense] [--betas-weights 0.1,0.01]
        [--oracle-weights 4,16,64]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_smpl import accuracy_clip  # noqa: E402
from real_error_parts import print_means, split_error  # noqa: E402

from flowpose.body import refine as refine_module
from flowpose.body.layouts import SMPL
from flowpose.body.model import BodyModel, load_body_model
from flowpose.body.params import SmplSequence
from flowpose.body.refine import SmplRefineConfig, h36m_matrix, refine_smpl
from flowpose.body.standin import write_standin
from flowpose.body.synth import body_of
from flowpose.camera import project
from flowpose.refinement.pose_config import PoseStageConfig

CEILING = "joints only, its noise in the image plane taken out"
"""A bound on what any further 2D motion cue (the mesh's flow among them) could add to joints-only refinement:
all the frame-to-frame error it could see, gone, the rest as it was."""


ORACLE = "mesh flow, both directions, true correspondences"


def true_correspondences(vertices_gt: np.ndarray, K: np.ndarray):
    """A stand-in for ``flowpose.body.refine._mesh_target`` whose flow at each vertex of the fit is the true
    motion of the same vertex, px (visibility as the fit's): a flow read at perfect correspondences."""
    truth = project(torch.as_tensor(vertices_gt, dtype=torch.float32), torch.as_tensor(K, dtype=torch.float32))
    real = refine_module._mesh_target

    def target(p, depth, flow, backward, config, vertex_ids):
        _, f_w, _, b_w = real(p, depth, flow, backward, config, vertex_ids)
        q = truth if vertex_ids is None else truth[:, vertex_ids]
        motion = q[1:] - q[:-1]
        return motion, (f_w > 0).to(p.dtype), -motion, None if b_w is None else (b_w > 0).to(p.dtype)

    return target


def error_parts(seq: SmplSequence, gt: SmplSequence, model: BodyModel, flat: bool = False) -> np.ndarray:
    """(5,) mm: MPJPE, bias, noise, noise in the image plane, noise in depth (module docstring), over all 17
    joints as MPJPE (the aligned root too). ``flat``: with the noise in the image plane taken out first."""
    M = h36m_matrix(model.layout)
    J, Jg = (np.einsum("kj,tjc->tkc", M, body_of(s, model).joints.numpy()) for s in (seq, gt))
    parts = split_error((J - J[:, :1]) - (Jg - Jg[:, :1]), flat)  # camera frame, m
    return parts[[0, 1, 2, 3, 6]]  # the image-plane noise whole: these clips' noise is white, not slow or fast


def main() -> None:
    """Run the clips and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--flow", choices=("splat", "dense"), default="splat")
    p.add_argument("--betas-weights", default="", help="further w_betas values to run both refinements with")
    p.add_argument("--oracle-weights", default="",
                   help="w_mesh_flow values to run the true correspondences with under the convex pseudo-Huber")
    args = p.parse_args()
    model = load_body_model(write_standin(Path(tempfile.mkdtemp()) / "standin.pkl", layout=SMPL))
    mesh = SmplRefineConfig(pose=PoseStageConfig(max_steps=200, flow_rounds=2))  # bench_smpl.py's solver
    configs = {"joints only": replace(mesh, w_mesh_flow=0.0), "mesh flow, both directions": mesh}
    for w in (float(v) for v in args.betas_weights.split(",") if v):
        configs[f"joints only, w_betas {w:g}"] = replace(mesh, w_mesh_flow=0.0, w_betas=w)
        configs[f"mesh flow, both directions, w_betas {w:g}"] = replace(mesh, w_betas=w)
    rows: dict[str, list[np.ndarray]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        gt, est, fwd, bwd = accuracy_clip(model, args.frames, seed, args.flow)
        V = body_of(gt, model).vertices.numpy()
        shape_only = gt.with_body(global_orient=gt.global_orient, body_pose=gt.body_pose, betas=est.betas,
                                  transl=gt.transl)

        def betas_error(seq: SmplSequence, gt: SmplSequence = gt) -> float:
            return float(np.abs(seq.betas - gt.betas).mean())

        rows.setdefault("estimate", []).append(np.append(error_parts(est, gt, model), betas_error(est)))
        rows.setdefault("the estimate's shape alone", []).append(
            np.append(error_parts(shape_only, gt, model), betas_error(est)))
        for name, config in configs.items():
            refined = refine_smpl(est, model, fwd, config, backward=bwd).smpl
            rows.setdefault(name, []).append(np.append(error_parts(refined, gt, model), betas_error(refined)))
            if name == "joints only":
                rows.setdefault(CEILING, []).append(np.append(error_parts(refined, gt, model, flat=True),
                                                              betas_error(refined)))
        oracles = {ORACLE: mesh}
        for w in (float(v) for v in args.oracle_weights.split(",") if v):
            oracles[f"{ORACLE}, pseudo-Huber, w_mesh_flow {w:g}"] = replace(
                mesh, mesh_flow_penalty="pseudo_huber", w_mesh_flow=w)
        for name, config in oracles.items():
            with mock.patch.object(refine_module, "_mesh_target", true_correspondences(V, gt.K)):
                refined = refine_smpl(est, model, fwd, config, backward=bwd).smpl
            rows.setdefault(name, []).append(np.append(error_parts(refined, gt, model), betas_error(refined)))
    print(f"## Error parts, stand-in SMPL ({model.num_vertices} vertices), {args.flow} exact flow, "
          f"{args.frames} frames, seeds {args.seeds}; mean over the clips\n")
    print_means(("MPJPE mm", "bias mm", "noise mm", "noise in the image plane mm", "noise in depth mm",
                 "shape error, sd"), rows, digits=(1, 1, 1, 1, 1, 2))


if __name__ == "__main__":
    main()
