"""SMPL refinement on the generated stand-in body model: mesh flow against joints only, and the solve's cost.

1. Accuracy: a synthetic clip of the stand-in model (``flowpose.body.synth.smpl_motion``, 256x256, f = 500 px)
   with its exact mesh flow (forward and backward), perturbed as an estimator errs (``perturb``: per-frame and
   per-joint rotation errors, a wrong shape, depth noise; the 2D keypoints are the estimate's own projection).
   Refined with the same solver settings: joints only (``w_mesh_flow = 0``; L_opt still follows the flow at the
   joints and bone points), mesh flow forward only, and mesh flow in both directions. MPJPE (H36M-17, root
   aligned) and PVE (root aligned), mm.
2. Cost: one pose-stage solve of ``--timing-frames`` frames of a ~7,000-vertex stand-in, wall time and accuracy,
   with the mesh-flow term on every vertex and on the default spread subset.

It is the generated model, not SMPL: its figures are hypotheses for real SMPL outputs.

    python benchmarks/bench_smpl.py [--frames 60] [--seeds 0,1,2] [--max-steps 200] [--rounds 2] [--timing-frames 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from flowpose.body.model import load_body_model
from flowpose.body.refine import SMPL_TO_H36M, SmplRefineConfig, refine_smpl
from flowpose.body.standin import write_standin
from flowpose.body.synth import mesh_flow, perturb, smpl_motion, vertices_of
from flowpose.metrics import mpjpe
from flowpose.refinement.pose_config import PoseStageConfig


def errors_mm(seq, gt, model) -> tuple[float, float]:
    """(MPJPE, PVE) of ``seq`` against ``gt``, mm, root aligned."""
    Vs, Vg = vertices_of(seq, model), vertices_of(gt, model)
    with torch.no_grad():
        def joints(s):
            out = model(torch.as_tensor(s.betas, dtype=torch.float32), torch.as_tensor(s.rotations(), dtype=torch.float32),
                        torch.as_tensor(s.transl, dtype=torch.float32))
            return np.einsum("kj,tjc->tkc", SMPL_TO_H36M, out.joints.numpy())
        J, Jg = joints(seq), joints(gt)
    pve = np.linalg.norm((Vs - J[:, :1]) - (Vg - Jg[:, :1]), axis=-1).mean() * 1000
    return mpjpe(J, Jg), float(pve)


def main() -> None:
    """Run both parts and print the tables."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--max-steps", type=int, default=200)
    p.add_argument("--rounds", type=int, default=2, help="flow rounds (flow resampled at the current fit)")
    p.add_argument("--timing-frames", type=int, default=300)
    args = p.parse_args()
    warnings.filterwarnings("ignore", message="joints .* are missing in every frame")
    tmp = Path(tempfile.mkdtemp())
    model = load_body_model(write_standin(tmp / "standin.pkl"))
    solver = PoseStageConfig(max_steps=args.max_steps, flow_rounds=args.rounds)
    runs = {
        "joints only": lambda est, f, b: refine_smpl(est, model, f, SmplRefineConfig(pose=solver, w_mesh_flow=0.0)),
        "mesh flow, forward": lambda est, f, b: refine_smpl(est, model, f, SmplRefineConfig(pose=solver)),
        "mesh flow, both directions": lambda est, f, b: refine_smpl(est, model, f, SmplRefineConfig(pose=solver),
                                                                   backward=b),
    }
    rows: dict[str, list[tuple[float, float, float]]] = {"estimate": []}
    for seed in (int(s) for s in args.seeds.split(",")):
        gt = smpl_motion(args.frames, seed=seed)
        fwd, bwd = mesh_flow(vertices_of(gt, model), gt.K, (256, 256))
        est = perturb(gt, seed=seed + 100)
        rows["estimate"].append((*errors_mm(est, gt, model), 0.0))
        for name, run in runs.items():
            start = time.perf_counter()
            result = run(est, fwd, bwd)
            rows.setdefault(name, []).append((*errors_mm(result.smpl, gt, model), time.perf_counter() - start))
    print(f"## SMPL refinement, stand-in model ({model.num_vertices} vertices), {args.frames} frames, "
          f"seeds {args.seeds}, max {args.max_steps} L-BFGS steps per flow round\n")
    print("| run | MPJPE mm | PVE mm | s per clip |\n|---|---|---|---|")
    for name, values in rows.items():
        m = np.mean(values, axis=0)
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} |")
    joints_only = np.mean(rows["joints only"], axis=0)[0]
    for name in ("mesh flow, forward", "mesh flow, both directions"):
        print(f"{name} vs joints only: MPJPE {100 * (np.mean(rows[name], axis=0)[0] / joints_only - 1):+.1f}%")

    big = load_body_model(write_standin(tmp / "big.pkl", rings_per_bone=36))
    gt = smpl_motion(args.timing_frames)
    fwd, bwd = mesh_flow(vertices_of(gt, big), gt.K, (256, 256))
    est = perturb(gt)
    est_mpjpe, est_pve = errors_mm(est, gt, big)
    print(f"\n## One pose-stage solve: {args.timing_frames} frames x {big.num_vertices} vertices, one flow round, "
          f"max {args.max_steps} L-BFGS steps, torch threads {torch.get_num_threads()}\n")
    print(f"estimate: MPJPE {est_mpjpe:.1f} mm, PVE {est_pve:.1f} mm\n")
    print("| mesh-flow term on | steps | s | s per step | MPJPE mm | PVE mm |\n|---|---|---|---|---|---|")
    for label, count in (("every vertex", 0), ("1,024 spread vertices (default)", 1024)):
        config = SmplRefineConfig(pose=PoseStageConfig(max_steps=args.max_steps, flow_rounds=1),
                                  mesh_flow_vertices=count)
        start = time.perf_counter()
        result = refine_smpl(est, big, fwd, config, backward=bwd)
        seconds = time.perf_counter() - start
        m, v = errors_mm(result.smpl, gt, big)
        print(f"| {label} | {result.steps} | {seconds:.1f} | {seconds / max(result.steps, 1):.2f} | {m:.1f} | {v:.1f} |")

if __name__ == "__main__":
    main()
