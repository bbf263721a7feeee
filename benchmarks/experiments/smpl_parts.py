"""An SMPL sequence refined in parts against the same refined whole (``refine --smpl --part-frames N``).

Each clip is the stand-in body model (SMPL's layout) moving as ``flowpose.body.synth.smpl_motion`` for ``--frames``
frames, rendered over a textured background (``flowpose.body.render``), its estimate the motion perturbed as an
estimator errs (``perturb``). The estimate is refined with the default flow (DIS) by
``flowpose.body.loop.refine_smpl_frames``:

- ``whole``: the whole clip at once;
- ``whole, n x steps``: the same with the solver's step cap (``RefineConfig.smpl_max_steps``) times the number of
  parts, since each part has the cap to itself (a control: what parts gain from more steps alone);
- ``parts of N``: in parts of ``--part-frames`` frames sharing ``--overlap`` (:mod:`flowpose.body.parts`).

Reported, mean over the clips: MPJPE and PVE (root aligned, mm), PA-MPJPE (mm), acceleration error (mm/frame^2),
the largest frame-to-frame joint step within the frames about the cuts against the truth's there (mm: does a joint
jump where parts meet?), the solver's steps, the memory the refinement is foreseen to add
(:func:`flowpose.body.memory.smpl_refine_memory`), and seconds.

It is the generated model, not SMPL: its figures are hypotheses for real SMPL outputs.

    python benchmarks/experiments/smpl_parts.py [--frames 180] [--seeds 0,1,2] [--part-frames 90] [--overlap 30] [--cycles 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from flowpose.body.loop import refine_smpl_frames
from flowpose.body.memory import smpl_refine_memory
from flowpose.body.model import load_body_model
from flowpose.body.refine import refine_smpl
from flowpose.body.render import render_mesh_clip
from flowpose.body.standin import write_standin
from flowpose.body.synth import body_of, errors_mm, perturb, smpl_motion
from flowpose.config import get_preset
from flowpose.flow.classical import DISFlow
from flowpose.metrics import accel_error, pa_mpjpe
from flowpose.refinement.parts import plan_parts


def cut_step_mm(joints: np.ndarray, truth: np.ndarray, cuts: list[int], reach: int) -> float:
    """The largest frame-to-frame step of any joint within ``reach`` frames of a cut, less the truth's largest
    there, mm."""
    steps = np.linalg.norm(np.diff(joints, axis=0), axis=-1).max(-1)
    true = np.linalg.norm(np.diff(truth, axis=0), axis=-1).max(-1)
    near = np.zeros(len(steps), bool)
    for c in cuts:
        near[max(0, c - reach):c + reach] = True
    return 1000.0 * float(steps[near].max() - true[near].max())


def main() -> None:
    """Run every clip and variant and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=180)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--part-frames", type=int, default=90)
    p.add_argument("--overlap", type=int, default=30)
    p.add_argument("--cycles", type=int, default=2)
    p.add_argument("--rings", type=int, default=12, help="rings along each bone of the stand-in")
    args = p.parse_args()
    model = load_body_model(write_standin(Path(tempfile.mkdtemp()) / "standin.pkl", rings_per_bone=args.rings,
                                          ring_size=16))
    fast = get_preset("fast")
    parts = plan_parts(args.frames, args.part_frames, args.overlap)
    n = len(parts)
    cuts = [q.own_start for q in parts[1:]]
    variants = {
        "whole": replace(fast, part_overlap=args.overlap),
        f"whole, {n} x steps": replace(fast, part_overlap=args.overlap, smpl_max_steps=n * fast.smpl_max_steps),
        f"parts of {args.part_frames}": replace(fast, part_frames=args.part_frames, part_overlap=args.overlap),
    }
    rows: dict[str, list[list[float]]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        gt = smpl_motion(args.frames, seed=seed)
        clip = render_mesh_clip(body_of(gt, model).vertices.numpy(), model.faces, model.smpl.v_template.numpy(),
                                gt.K, (256, 256), seed=seed)
        est = perturb(gt, seed=seed + 100)
        truth = refine_smpl(gt, model, None, solve=False).poses.joints3d
        first = refine_smpl(est, model, None, solve=False).poses
        need = smpl_refine_memory(first, (256, 256), fast, [DISFlow()], model.num_vertices)

        def figures(seq, joints, steps, seconds, memory, gt=gt, truth=truth):
            mpjpe, pve = errors_mm(seq, gt, model)
            return [mpjpe, pve, pa_mpjpe(joints, truth), accel_error(joints, truth),
                    cut_step_mm(joints, truth, cuts, args.overlap // 2), steps, memory / 2**20, seconds]

        rows.setdefault("estimate", []).append(figures(est, first.joints3d, 0, 0.0, 0))
        for name, config in variants.items():
            start = time.perf_counter()
            loop = refine_smpl_frames(est, model, clip.frames, config, cycles=args.cycles, seed=seed)
            seconds = time.perf_counter() - start
            memory = need.bytes(args.frames, config.part_frames)
            rows.setdefault(name, []).append(figures(loop.result.smpl, loop.result.poses.joints3d, loop.result.steps,
                                                     seconds, memory))
            print(f"seed {seed} {name}: {np.round(rows[name][-1], 2).tolist()}", flush=True)
    print(f"\n## SMPL in parts: stand-in model ({model.num_vertices} vertices), {args.frames} frames, seeds {args.seeds}, "
          f"{args.cycles} cycles, DIS; {n} parts of up to {args.part_frames} frames sharing {args.overlap}, cuts at "
          f"{cuts}\n")
    print("| run | MPJPE mm | PVE mm | PA-MPJPE mm | accel err mm/f² | step at the cuts over the truth's mm | steps | "
          "memory foreseen MB | s per clip |\n|---|---|---|---|---|---|---|---|---|")
    for name, values in rows.items():
        m = np.mean(values, axis=0)
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} | {m[3]:.2f} | {m[4]:.1f} | {m[5]:.0f} | {m[6]:.0f} "
              f"| {m[7]:.1f} |")


if __name__ == "__main__":
    main()
