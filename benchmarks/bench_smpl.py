"""SMPL refinement on the generated stand-in body model: mesh flow against joints only, and the solve's cost.

1. Accuracy: a synthetic clip of the stand-in model (``flowpose.body.synth.smpl_motion``, 256x256, f = 500 px)
   with its exact mesh flow (forward and backward: at the visible vertices' pixels, or with ``--flow dense``
   at every pixel the mesh covers, rasterised), or with ``--flow dis`` the flow a user would get: OpenCV DIS
   (the default backend) run on the rendered frames, both directions, forward-backward confidence; perturbed as an estimator errs (``perturb``: per-frame and
   per-joint rotation errors, a wrong shape, depth noise; the 2D keypoints are the estimate's own projection).
   Refined with the same solver settings: joints only (``w_mesh_flow = 0``; L_opt still follows the flow at the
   joints and bone points), mesh flow forward only, and mesh flow in both directions. MPJPE (H36M-17, root
   aligned) and PVE (root aligned), mm.
2. Cost: one pose-stage solve of ``--timing-frames`` frames of a ~7,000-vertex stand-in, wall time, the kernel's
   time and the page faults (fresh memory), and accuracy, with the mesh-flow term on every vertex and on the default
   spread subset. ``PYTHONPATH=OLD_CHECKOUT python benchmarks/bench_smpl.py`` times an earlier package.

With ``--model smplx`` both parts run on the SMPL-X stand-in (55 joints, fingers, jaw and expression moving,
kept as the estimate gives them; the refinement moves the root, the body, the shape and the translation).
``--timing-frames 0`` skips the second part.

It is the generated model, not SMPL: its figures are hypotheses for real SMPL outputs.

    python benchmarks/bench_smpl.py [--model smpl|smplx] [--flow splat|dense|dis] [--mesh-penalty P] [--mesh-weights 1,16] [--frames 60] [--seeds 0,1,2] [--max-steps 200] [--rounds 2] [--timing-frames 300]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from flowpose.body.layouts import SMPL, SMPLX
from flowpose.body.model import BodyModel, load_body_model
from flowpose.body.refine import SmplRefineConfig, refine_smpl
from flowpose.body.render import render_mesh_clip
from flowpose.body.standin import write_standin
from flowpose.body.synth import accel_error_mm, body_of, errors_mm, mesh_flow, perturb, smpl_motion
from flowpose.flow.infer import compute_video_flow
from flowpose.flow.registry import load_flow_model
from flowpose.refinement.pose_config import PoseStageConfig


def accuracy_clip(model: BodyModel, frames: int, seed: int, flow: str):
    """One clip of the accuracy part: the true sequence, the estimate, and the forward and backward flow
    (``flow``: "splat" or "dense" exact, or "dis" estimated on the rendered frames), 256x256."""
    gt = smpl_motion(frames, seed=seed, layout=model.layout)
    V = body_of(gt, model).vertices.numpy()
    if flow in ("dense", "dis"):
        clip = render_mesh_clip(V, model.faces, model.smpl.v_template.numpy(), gt.K, (256, 256), seed=seed)
        fwd, bwd = clip.flow, clip.backward
        if flow == "dis":
            fwd = compute_video_flow(load_flow_model("dis"), clip.frames, keep_backward=True)
            bwd = fwd.reverse
    else:
        fwd, bwd = mesh_flow(V, gt.K, (256, 256))
    return gt, perturb(gt, seed=seed + 100), fwd, bwd


def start_smoothing(value: str) -> float | None:
    """``--start-smoothing``'s value: seconds, or ``none``."""
    return None if value == "none" else float(value)


def main() -> None:
    """Run both parts and print the tables."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=("smpl", "smplx"), default="smpl", help="the stand-in's layout")
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--max-steps", type=int, default=200)
    p.add_argument("--rounds", type=int, default=2, help="flow rounds (flow resampled at the current fit)")
    p.add_argument("--timing-frames", type=int, default=300, help="0: skip the timing")
    p.add_argument("--mesh-weights", default="", help="further w_mesh_flow values to run both directions with")
    p.add_argument("--mesh-penalty", default=None,
                   help="the mesh-flow term's robust penalty (default: SmplRefineConfig's)")
    p.add_argument("--flow", choices=("splat", "dense", "dis"), default="splat",
                   help="the exact flow at the visible vertices' pixels (splat) or at every pixel the mesh covers "
                        "(dense, rasterised), or DIS's flow of the rendered frames (dis)")
    p.add_argument("--start-smoothing", type=start_smoothing, default=SmplRefineConfig().start_smoothing_s,
                   help="where the solve starts: the estimate smoothed by a Gaussian of this many seconds, or none "
                        "(the estimate as given) [default: SmplRefineConfig's]")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp())
    layout = SMPLX if args.model == "smplx" else SMPL
    model = load_body_model(write_standin(tmp / "standin.pkl", layout=layout))
    solver = PoseStageConfig(max_steps=args.max_steps, flow_rounds=args.rounds)
    mesh = SmplRefineConfig(pose=solver, start_smoothing_s=args.start_smoothing)
    if args.mesh_penalty is not None:
        mesh = replace(mesh, mesh_flow_penalty=args.mesh_penalty)
    runs = {
        "joints only": lambda est, f, b: refine_smpl(est, model, f, replace(mesh, w_mesh_flow=0.0)),
        "mesh flow, forward": lambda est, f, b: refine_smpl(est, model, f, mesh),
        "mesh flow, both directions": lambda est, f, b: refine_smpl(est, model, f, mesh, backward=b),
    }
    for w in (float(v) for v in args.mesh_weights.split(",") if v):
        runs[f"mesh flow, both directions, w_mesh_flow {w:g}"] = (
            lambda est, f, b, w=w: refine_smpl(est, model, f, replace(mesh, w_mesh_flow=w), backward=b))
    rows: dict[str, list[tuple[float, ...]]] = {"estimate": []}
    for seed in (int(s) for s in args.seeds.split(",")):
        gt, est, fwd, bwd = accuracy_clip(model, args.frames, seed, args.flow)
        rows["estimate"].append((*errors_mm(est, gt, model), accel_error_mm(est, gt, model), np.nan, 0.0))
        for name, run in runs.items():
            start = time.perf_counter()
            result = run(est, fwd, bwd)
            seconds = time.perf_counter() - start
            rows.setdefault(name, []).append((*errors_mm(result.smpl, gt, model), accel_error_mm(result.smpl, gt, model),
                                              result.losses["total"], seconds))
    print(f"## {layout.title} refinement, stand-in model ({model.num_vertices} vertices), {args.flow} flow, "
          f"mesh penalty {mesh.mesh_flow_penalty or solver.penalty}, weight {mesh.w_mesh_flow:g} unless named, "
          f"{args.frames} frames, "
          f"seeds {args.seeds}, max {args.max_steps} L-BFGS steps per flow round, started from the estimate "
          + ("as given" if args.start_smoothing is None else f"smoothed by {args.start_smoothing:g} s") + "\n")
    print("| run | MPJPE mm | PVE mm | accel err mm/f² | final loss | s per clip |\n|---|---|---|---|---|---|")
    for name, values in rows.items():
        m = np.mean(values, axis=0)
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.2f} | {m[3]:.3f} | {m[4]:.1f} |")
    joints_only = np.mean(rows["joints only"], axis=0)[0]
    for name in (n for n in rows if n.startswith("mesh flow")):
        print(f"{name} vs joints only: MPJPE {100 * (np.mean(rows[name], axis=0)[0] / joints_only - 1):+.1f}%")
    if args.timing_frames == 0:
        return

    big = load_body_model(write_standin(tmp / "big.pkl", rings_per_bone=36, layout=layout))
    gt = smpl_motion(args.timing_frames, layout=layout)
    fwd, bwd = mesh_flow(body_of(gt, big).vertices.numpy(), gt.K, (256, 256))
    est = perturb(gt)
    est_mpjpe, est_pve = errors_mm(est, gt, big)
    print(f"\n## One pose-stage solve: {args.timing_frames} frames x {big.num_vertices} vertices, one flow round, "
          f"max {args.max_steps} L-BFGS steps, torch threads {torch.get_num_threads()}\n")
    print(f"estimate: MPJPE {est_mpjpe:.1f} mm, PVE {est_pve:.1f} mm\n")
    print("| mesh-flow term on | steps | s | s per step | system s | page faults, thousands | MPJPE mm | PVE mm |\n"
          "|---|---|---|---|---|---|---|---|")
    for label, count in (("every vertex", 0), ("1,024 spread vertices (default)", 1024)):
        config = SmplRefineConfig(pose=PoseStageConfig(max_steps=args.max_steps, flow_rounds=1),
                                  mesh_flow_vertices=count, start_smoothing_s=args.start_smoothing)
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        result = refine_smpl(est, big, fwd, config, backward=bwd)
        seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        m, v = errors_mm(result.smpl, gt, big)
        print(f"| {label} | {result.steps} | {seconds:.1f} | {seconds / max(result.steps, 1):.3f} | "
              f"{after.ru_stime - before.ru_stime:.1f} | {(after.ru_minflt - before.ru_minflt) / 1e3:.0f} | {m:.1f} | "
              f"{v:.1f} |")
    print("\nsystem s: the kernel's time in the solve, mostly handing the allocator fresh pages (page faults: minor).")

if __name__ == "__main__":
    main()
