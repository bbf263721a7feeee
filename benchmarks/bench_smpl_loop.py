"""The SMPL flow-pose loop on rendered clips of the stand-in body model: the bone sketch against the mesh sketch.

Each clip is a stand-in model (SMPL's or SMPL-X's layout, ``--rings`` rings of 16 vertices along each bone)
moving as ``flowpose.body.synth.smpl_motion``, rendered with a solid texture over a textured static background
(``flowpose.body.render``): 256x256 frames with the exact flow at every pixel. The estimate is the motion
perturbed as an estimator errs (``perturb``). The same estimate is refined by the whole loop
(``flowpose.body.loop.refine_smpl_frames``):

- ``dis``: the default flow (OpenCV DIS; nothing is fine-tuned, the sketch is not used), with the default
  mesh-flow weight and with each of ``--dis-mesh-weights`` (0: joints only);
- ``bones``: the ``--flow`` network fine-tuned toward the bone sketch of the fit's joints;
- ``mesh``: the same network fine-tuned toward the mesh sketch (the fit's own surface motion).

Reported, mean over the clips: the human-pixel EPE of the first cycle's fine-tuning target (the sketch over
F_0, eq. (1) of ``flowpose.refinement.sketch``) and of F_0 and F_k against the exact flow (pixels the body
covers in frame t), and MPJPE (H36M-17 from the model's joints) and PVE (root aligned), mm.

It is the generated model, not SMPL: its figures are hypotheses for real SMPL outputs.

    python benchmarks/bench_smpl_loop.py [--model smpl|smplx] [--frames 48] [--seeds 0,1] [--cycles 3] [--flow raft-small] [--dis-mesh-weights 0,4] [--no-network]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import flowpose.body.loop as body_loop
from flowpose.body.layouts import SMPL, SMPLX
from flowpose.body.loop import refine_smpl_frames
from flowpose.body.mesh_sketch import sketch_mesh_motion
from flowpose.body.model import load_body_model
from flowpose.body.refine import MESH_FLOW_WEIGHT, refine_smpl
from flowpose.body.render import render_mesh_clip
from flowpose.body.standin import write_standin
from flowpose.body.synth import accel_error_mm, body_of, errors_mm, perturb, smpl_motion
from flowpose.config import get_preset
from flowpose.metrics import epe
from flowpose.refinement.sketch import compose_target, sketch_bone_motion


def human_epe(field, clip) -> float:
    """EPE of a flow field against the clip's exact flow, on the body's pixels of frame t that the grid covers."""
    flow, covered = field.to_full_frame()
    return epe(flow, clip.flow.flow, clip.mask[:-1] & covered)


def on_grid(field, clip) -> tuple[np.ndarray, np.ndarray]:
    """The exact flow (P, h, w, 2) and body mask (P, h, w) at ``field``'s grid pixels (nearest image pixel)."""
    P, h, w = field.flow.shape[:3]
    H, W = clip.mask.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w]
    x = np.rint(field.origin[:, 0, None, None] + field.scale[:, None, None] * xs).astype(int)
    y = np.rint(field.origin[:, 1, None, None] + field.scale[:, None, None] * ys).astype(int)
    inside = (x >= 0) & (x < W) & (y >= 0) & (y < H)
    t = np.broadcast_to(np.arange(P)[:, None, None], x.shape)
    x, y = np.clip(x, 0, W - 1), np.clip(y, 0, H - 1)
    return clip.flow.flow[t, y, x], clip.mask[:-1][t, y, x] & inside


def sketch_quality(sketch, field, clip) -> tuple[float, float]:
    """(EPE of the sketch itself on the body pixels it draws, px; the share of body pixels it draws)."""
    gt, body = on_grid(field, clip)
    drawn = (sketch.weight > 0) & body
    return float(np.linalg.norm(sketch.flow - gt, axis=-1)[drawn].mean()), float(drawn.sum() / max(body.sum(), 1))


def main() -> None:
    """Run every clip and variant and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=("smpl", "smplx"), default="smpl")
    p.add_argument("--frames", type=int, default=48)
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--flow", default="raft-small", help="the fine-tuned network")
    p.add_argument("--rings", type=int, default=12, help="rings along each bone of the stand-in")
    p.add_argument("--dis-mesh-weights", default="",
                   help="further w_mesh_flow values (0: joints only) to run the DIS loop with")
    p.add_argument("--no-network", action="store_true", help="run only the DIS rows")
    p.add_argument("--start-smoothing", default="",
                   help="where the SMPL solve starts: the estimate smoothed by a Gaussian of this many seconds, or none "
                        "(as given) [default: SmplRefineConfig's]; the loop's stage configuration is wrapped to set it")
    args = p.parse_args()
    if args.start_smoothing:
        smoothing = None if args.start_smoothing == "none" else float(args.start_smoothing)
        made = body_loop.smpl_stage_config
        body_loop.smpl_stage_config = lambda *a: replace(made(*a), start_smoothing_s=smoothing)
    layout = SMPLX if args.model == "smplx" else SMPL
    model = load_body_model(write_standin(Path(tempfile.mkdtemp()) / "standin.pkl", rings_per_bone=args.rings,
                                          ring_size=16, layout=layout))
    fast = get_preset("fast")
    network = replace(fast, flow=replace(fast.flow, names=(args.flow,), weights=(None,)))
    variants = {"dis": (fast, "bones", MESH_FLOW_WEIGHT)}
    for w in (float(v) for v in args.dis_mesh_weights.split(",") if v):
        variants[f"dis, w_mesh_flow {w:g}"] = (fast, "bones", w)
    if not args.no_network:
        variants |= {"bones": (network, "bones", MESH_FLOW_WEIGHT), "mesh": (network, "mesh", MESH_FLOW_WEIGHT)}
    rows: dict[str, list[list[float]]] = {"estimate": []}
    targets: dict[str, list[tuple[float, float, float]]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        gt = smpl_motion(args.frames, seed=seed, layout=layout)
        clip = render_mesh_clip(body_of(gt, model).vertices.numpy(), model.faces, model.smpl.v_template.numpy(),
                                gt.K, (256, 256), seed=seed)
        est = perturb(gt, seed=seed + 100)
        rows["estimate"].append([*errors_mm(est, gt, model), accel_error_mm(est, gt, model), np.nan, np.nan, 0.0])
        for name, (config, sketch, w) in variants.items():
            start = time.perf_counter()
            loop = refine_smpl_frames(est, model, clip.frames, config, cycles=args.cycles, w_mesh_flow=w,
                                      sketch=sketch, seed=seed, keep_flows=True)
            seconds = time.perf_counter() - start
            F0, Fk = loop.flows[0], loop.flows[-1]
            rows.setdefault(name, []).append([*errors_mm(loop.result.smpl, gt, model),
                                              accel_error_mm(loop.result.smpl, gt, model), human_epe(F0, clip),
                                              human_epe(Fk, clip), seconds])
            if name == "bones":  # the first cycle's targets: both sketches over the same F_0, of the estimate and
                # of the ground truth (what a perfect fit would draw)
                for fit, of in ((loop.estimate, "estimate"), (refine_smpl(gt, model, None, solve=False), "truth")):
                    poses = fit.poses
                    bone = sketch_bone_motion(poses.joints3d, poses.K, poses.confidence(), F0, config=config.sketch)
                    mesh = sketch_mesh_motion(fit.vertices, model.faces, est.K, model.parts(), F0, config.sketch)
                    for key, drawn in ((f"bones, of the {of}", bone), (f"mesh, of the {of}", mesh)):
                        targets.setdefault(key, []).append((human_epe(compose_target(F0, drawn), clip),
                                                            *sketch_quality(drawn, F0, clip)))
            print(f"seed {seed} {name}: {rows[name][-1]}", flush=True)
    print(f"\n## {layout.title} loop on rendered stand-in clips ({model.num_vertices} vertices), {args.frames} frames, "
          f"seeds {args.seeds}, {args.cycles} cycles, network {args.flow}\n")
    if targets:
        print("The first cycle's sketches over the network's F_0, of the estimate and of the ground truth: the "
              "fine-tuning target's human-pixel EPE; the sketch's own EPE where it draws, and the share of the body's "
              "pixels it draws\n")
        print("| sketch | target EPE px | sketch EPE px | body pixels drawn |\n|---|---|---|---|")
        for key, values in targets.items():
            m = np.mean(values, axis=0)
            print(f"| {key} | {m[0]:.3f} | {m[1]:.3f} | {100 * m[2]:.0f}% |")
        print()
    print("| run | MPJPE mm | PVE mm | accel err mm/f² | EPE F_0 px | EPE F_k px | s per clip |\n|---|---|---|---|---|---|---|")
    for name, values in rows.items():
        m = np.mean(values, axis=0)
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.2f} | {m[3]:.3f} | {m[4]:.3f} | {m[5]:.1f} |")


if __name__ == "__main__":
    main()
