"""The pose stage's uses of the flow given the exact flow: what they could earn with a perfect network.

On synthetic clips (``mediapipe`` profile by default), the pose stage alone (no flow stage, no swap repair,
default ``PoseStageConfig``) is run on the estimate without flow, with the renderer's exact flow (confidence
1 where it is valid), and with the exact flow under the long-range and flow-prior variants of
:data:`flowpose.bench.runner.FLOW_VARIANTS` (the renderer gives no backward flow for the symmetric one). Prints MPJPE, PA-MPJPE and acceleration error per clip and on average.

    python benchmarks/experiments/exact_flow_variants.py [--clips a,b] [--profile mediapipe] [--strides 3,9]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from flowpose import metrics
from flowpose.bench.clips import discover_clips, get_clips, split_clips
from flowpose.bench.runner import LONG_RANGE_STRIDES
from flowpose.flow.field import FlowField
from flowpose.refinement.optimize import optimize_poses
from flowpose.refinement.pose_config import PoseStageConfig

REPO = Path(__file__).resolve().parents[2]
FAST = "fair/dab,fair/jumping,cmu_3dsmax/jumping_jacks,cmu_fbx_converted/09_11,cmu_fbx_converted/07_01,fair/wave_hello"


def main() -> None:
    """Run every variant on every clip and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", default=FAST)
    p.add_argument("--profile", default="mediapipe")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--strides", default=",".join(map(str, LONG_RANGE_STRIDES)), help="long-range spans, frames")
    args = p.parse_args()
    strides = tuple(int(k) for k in args.strides.split(","))
    base = PoseStageConfig()
    runs = {
        "no flow": (replace(base, w_flow=0.0), False),
        "exact flow": (base, True),
        f"exact, long range {args.strides}": (replace(base, long_range_strides=strides), True),
        "exact, flow prior": (replace(base, flow_aware_acc=True), True),
    }
    _, clips = split_clips(discover_clips(REPO.parent / "shared" / "data" / "mocap"), select=tuple(args.clips.split(",")))
    table: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
    for clip in clips:
        synth = get_clips(clip, profiles=(args.profile,), frames=args.frames, size=args.size, seed=0,
                          cache_dir=REPO / "results" / "cache")[args.profile]
        gt = synth.gt
        valid = gt.flow_valid.astype(np.float32)
        exact = FlowField.full_frame(gt.flow, valid)
        line = []
        for name, (config, with_flow) in runs.items():
            X = optimize_poses(synth.estimate, exact if with_flow else None, config).joints3d
            row = (metrics.mpjpe(X, gt.joints3d), metrics.pa_mpjpe(X, gt.joints3d), metrics.accel_error(X, gt.joints3d))
            table[name].append(row)
            line.append(f"{name} {row[0]:.1f}")
        print(f"{clip.name}: " + ", ".join(line), flush=True)
    print(f"\n{args.profile}, {len(clips)} clips, pose stage alone\n")
    print("| run | MPJPE mm | PA-MPJPE mm | accel err mm/f² |\n|---|---|---|---|")
    for name, rows in table.items():
        m = np.mean(rows, axis=0)
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.2f} |")


if __name__ == "__main__":
    main()
