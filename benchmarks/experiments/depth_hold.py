"""How firmly the pose stage holds the body's depth: the 3D position term's robust scale and weight, on the real set.

L_3D's position part holds the centre of the observed joints near the estimate's, weakly (``w_3d_abs``, sigma 300
mm). Under the 3D terms' robust scale (``pose3d_delta_mm``, 100 mm) its pull stops growing beyond 100 mm, and where a
frame sees few joints the 2D barely fixes the depth: the sixty-second session found cam01's man refined from 3.1 m
to 1.2 m away over frames 66-87 (seen by his shoulders alone in 84-90, not at all in 67-83) and behind the camera
at frame 99. Each of the 8 view-person pairs (``bench_real.py --estimates tracked --everyone`` first) is refined
with and without the flow term under each variant, scored against both references:

- ``robust``: the position at 100 mm in every frame (the code before the sixty-second session);
- ``sparse`` (the default): at ``position_delta_mm`` (1 m) in the frames whose 3D confidences sum to less than
  half the joints (``position_sparse_share``), 100 mm elsewhere;
- ``sigma100``, ``sigma150``, ``sigma200``: ``robust`` with ``w_3d_abs`` at that sigma, mm, in every frame;
- ``every``, ``every300``: the position at 1 m (300 mm) in every frame (``position_sparse_share`` 1: on the real
  set no frame's confidences reach all 17 joints, the head having none).

Printed per pair and run: MPJPE / PA-MPJPE (4-view, held out) and the root's depth error at the frames of
``--depth-frames`` (m, the 4-view reference's where it has the pelvis); then the means.

    python benchmarks/experiments/depth_hold.py [--views ...] [--variants robust,sparse,sigma100] [--runs flowpose]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, in_view, scores, tracked_pairs  # noqa: E402
from cache_stamp import fresh_reference  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import RefineConfig, get_preset  # noqa: E402


def variant(config: RefineConfig, name: str) -> RefineConfig:
    """``config`` with its pose stage's position term as ``name`` says (module docstring)."""
    pose = config.pose
    if name == "robust":
        pose = replace(pose, position_delta_mm=pose.pose3d_delta_mm)
    elif name.startswith("sigma") and name[5:].isdigit():
        pose = replace(pose, position_delta_mm=pose.pose3d_delta_mm, w_3d_abs=1.0 / float(name[5:]) ** 2)
    elif name == "every":
        pose = replace(pose, position_sparse_share=1.0)
    elif name == "every300":
        pose = replace(pose, position_sparse_share=1.0, position_delta_mm=300.0)
    elif name != "sparse":
        raise SystemExit(f"unknown variant {name!r}: expected robust, sparse, sigmaN, every or every300")
    return replace(config, pose=pose)


def main() -> None:
    p = experiment_parser(__doc__.splitlines()[0], reference=False)
    p.add_argument("--variants", default="robust,sparse,sigma100")
    p.add_argument("--runs", default="without flow,flowpose", help="which of the two runs, comma-separated")
    p.add_argument("--depth-frames", default="66,78,87,99", help="frames whose root depth error is printed")
    args = p.parse_args()
    everyone = np.load(fresh_reference(args.devset / "people_gt.npz"))["joints3d_world"].astype(np.float64)
    config = replace(get_preset("fast"), cycles=args.cycles)
    runs = {"without flow": NO_FLOW_RUNS["flow_off"](config), "flowpose": config}
    runs = {k: runs[k] for k in args.runs.split(",")}
    depth_frames = [int(t) for t in args.depth_frames.split(",")]
    rows: dict[tuple[str, str], list[list[float]]] = {}
    for name, frames, gt_heldout, init, keep_heldout in tracked_pairs(args.devset, args.views, "heldout"):
        view, person = name.split("/")
        with np.load(args.devset / f"{view}.camera.npz") as c:
            gt, keep = in_view(everyone[int(person[1:])], c["R"], c["t"], init.conf.max(-1) > 0)
        for v in args.variants.split(","):
            for run, run_config in runs.items():
                joints = refine(init, frames, config=variant(run_config, v)).poses.joints3d
                a, h = scores(joints, gt, keep), scores(joints, gt_heldout, keep_heldout)
                row = [a["mpjpe"], a["pa_mpjpe"], h["mpjpe"], h["pa_mpjpe"]]
                rows.setdefault((v, run), []).append(row)
                depth = [joints[t, 0, 2] - gt[t, 0, 2] for t in depth_frames if t < len(gt)]
                print(f"{name} {v:8s} {run:12s} 4-view {row[0]:6.1f} / {row[1]:5.1f}, held out {row[2]:6.1f} / "
                      f"{row[3]:5.1f}; root depth error at {depth_frames}: "
                      + ", ".join("-" if np.isnan(d) else f"{d:+.2f}" for d in depth), flush=True)
    print("\n| variant | run | 4-view MPJPE / PA-MPJPE mm | held out MPJPE / PA-MPJPE mm |\n|---|---|---|---|")
    for (v, run), values in rows.items():
        m = np.mean(values, 0)
        print(f"| {v} | {run} | {m[0]:.1f} / {m[1]:.1f} | {m[2]:.1f} / {m[3]:.1f} |")


if __name__ == "__main__":
    main()
