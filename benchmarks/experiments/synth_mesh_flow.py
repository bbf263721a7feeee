"""Is it the surface or the flow? ``real_mesh_flow.py``'s fitted stand-in body on the realistic synthetic profile,
with the renderer's exact flow and with DIS's (#19).

On real video a tube body fitted to MediaPipe's estimate, refined with the mesh-flow term, earned nothing beyond the
joints' flow (``real_mesh_flow.py``; ``benchmarks/RESULTS.md``, thirtieth session). Two things stand between it and
the 3-6% the mesh term earns on generated bodies: the surface (tubes, not the person's shape) and the flow (DIS's,
on real frames). Here the same fit and the same SMPL pose stage run on the benchmark's synthetic clips
(``mediapipe`` profile: 2D and 3D err together, limbs swapped in runs, repaired by continuity first), whose
renderer gives the exact forward flow: with it the flow's error is gone and only the surface's is left.

Rows: the fit, the SMPL stage without flow, with the joints' flow (L_opt only) and with the mesh term (``--mesh-weights``),
for each flow (``--flows exact,dis``; the exact flow has no backward field, so L_mesh is forward only for both);
the joints pipeline's pose stage without flow and with the exact flow alongside (``flow_variants.py --exact``'s
rows). Scored against the ground truth (MPJPE, PA-MPJPE over the 17 joints; the SMPL rows' head is SMPL's neck
joint, a bias common to them).

    python benchmarks/experiments/synth_mesh_flow.py [--clips cmu_fbx_converted/09_11,fair/dab] [--flows exact,dis]

The thirtieth session's figures are in ``benchmarks/RESULTS.md``: with the exact flow the mesh term earns 1.0% MPJPE
over the SMPL stage without flow and costs 1.3% PA-MPJPE; with DIS's, nothing.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from flow_variants import exact_run  # noqa: E402
from real_mesh_flow import FittedBody  # noqa: E402
from synth_set import evaluation_clips, rendered, synth_parser  # noqa: E402

from flowpose import metrics  # noqa: E402
from flowpose.bench.runner import flow_off  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.field import FlowField  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.refinement.flow_stage import FlowStage  # noqa: E402
from flowpose.refinement.loop import crop_boxes  # noqa: E402
from flowpose.refinement.reliability import flow_noise_px  # noqa: E402
from flowpose.refinement.swaps import repair_swaps  # noqa: E402


def main() -> None:
    """Fit, refine and score every clip; print the means."""
    p = synth_parser(__doc__)
    p.add_argument("--flows", default="exact,dis")
    p.add_argument("--mesh-weights", default="32", help="L_mesh weights, px^-2, comma-separated")
    p.add_argument("--max-steps", type=int, default=1000, help="the SMPL pose stage's iterations a round")
    args = p.parse_args()
    config = replace(get_preset("fast"), smpl_max_steps=args.max_steps)
    weights = [float(w) for w in args.mesh_weights.split(",") if w]
    clips = evaluation_clips(args.clips)
    tmp = Path(tempfile.mkdtemp(prefix="synth_mesh_flow_"))
    table: dict[str, list[tuple[float, float]]] = {}
    for clip in clips:
        synth = rendered(clip, args.profile, args)
        gt, frames = synth.gt, synth.rendered.frames
        size = tuple(frames.shape[1:3])
        init = repair_swaps(synth.estimate, None, replace(config.swaps, enabled=True, motion="none")).poses
        exact = FlowField.full_frame(gt.flow, gt.flow_valid.astype(np.float32))
        scored = {"joints pipeline, without flow": exact_run(synth, flow_off(config)),
                  "joints pipeline, exact flow": exact_run(synth, config)}  # flow_variants.py --exact's rows
        body = FittedBody.of(init, tmp, size, config, 0.05, 6, 500)
        runs = {"smpl fit": body.fit.joints3d, "smpl without flow": body.smooth.joints3d}
        for kind in args.flows.split(","):
            if kind == "exact":
                flow, noise = exact, float("nan")  # no error to widen the weight for
            else:
                models = [load_flow_model(n, w) for n, w in zip(config.flow.names, config.flow.weights)]
                flow = FlowStage(models, frames, crop_boxes(init, size, config), config).initial()
                noise = flow_noise_px(body.smooth, flow)
            runs |= body.with_flow(flow, None, noise, weights, f"smpl, {kind}")
        scored |= {k: {"mpjpe": metrics.mpjpe(X, gt.joints3d), "pa_mpjpe": metrics.pa_mpjpe(X, gt.joints3d)}
                   for k, X in runs.items()}
        line = []
        for k, row in scored.items():
            m = (row["mpjpe"], row["pa_mpjpe"])
            table.setdefault(k, []).append(m)
            line.append(f"{k} {m[0]:.1f} / {m[1]:.1f}")
        print(f"{clip.name}: " + ", ".join(line), flush=True)
    print(f"\n{args.profile}, {len(clips)} clips, {args.frames} frames, {args.size} px, SMPL stage "
          f"{args.max_steps} iterations a round\n")
    print("| run | MPJPE mm | PA-MPJPE mm |\n|---|---|---|")
    for k, rows in table.items():
        print(f"| {k} | {np.mean([r[0] for r in rows]):.1f} | {np.mean([r[1] for r in rows]):.1f} |")


if __name__ == "__main__":
    main()
