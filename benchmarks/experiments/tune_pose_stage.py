"""Grid search of the pose stage's main weights on the held-out tuning clip (never evaluated by bench_refine).

Prints, per weight setting and flow source, MPJPE, PA-MPJPE and acceleration error as ratios to the initial
estimate (mean over the profiles and seeds, by default metro and spin, seed 0: the grid that chose the
defaults). The flow sources are: none, OpenCV DIS on person-centred crops (a real estimator's flow), and the
exact ground-truth flow (an upper bound on what flow can give). ``--profiles mediapipe`` tunes on the realistic
profile, whose 2D keypoints err with its 3D and whose limbs are swapped in runs of frames: its estimates are
relabelled first, as ``refine`` does (:func:`flowpose.refinement.swaps.repair_swaps` along the DIS flow).

    python benchmarks/experiments/tune_pose_stage.py                      # the grid that chose the defaults
    python benchmarks/experiments/tune_pose_stage.py --sigma-2d 2 --sigma-3d 60 --sigma-acc 20 --sigma-flow 1
    python benchmarks/experiments/tune_pose_stage.py --sigma-2d 2 --sigma-3d 60 --sigma-acc 20 --sigma-flow 1 \
        --sigma-lateral 0 40 20 10                            # the root's lateral anchor (0: off)
    python benchmarks/experiments/tune_pose_stage.py --profiles mediapipe --seeds 0 1 2   # the realistic profile
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np

from flowpose import metrics
from flowpose.bench.clips import get_clips, tuning_clip
from flowpose.config import PRESETS
from flowpose.flow.classical import DISFlow
from flowpose.flow.field import FlowField
from flowpose.flow.infer import compute_video_flow
from flowpose.refinement.loop import crop_boxes
from flowpose.refinement.optimize import optimize_poses
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.refinement.swaps import repair_swaps

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    """Parse options, prepare the tuning clip's flows once, and print the grid."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--sigma-2d", type=float, nargs="+", default=[5.0, 3.0, 2.0, 1.5], help="px")
    parser.add_argument("--sigma-3d", type=float, nargs="+", default=[40.0, 60.0, 100.0], help="mm")
    parser.add_argument("--sigma-acc", type=float, nargs="+", default=[5.0, 10.0, 20.0], help="m/s^2")
    parser.add_argument("--sigma-flow", type=float, nargs="+", default=[2.0, 1.0, 0.5], help="px")
    parser.add_argument("--sigma-lateral", type=float, nargs="+", default=[20.0], help="mm, 0 for off")
    parser.add_argument("--profiles", nargs="+", default=["metro", "spin"], help="estimator profiles")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="noise seeds, each a draw of every profile")
    args = parser.parse_args()

    clip = tuning_clip(args.shared / "data" / "mocap")
    cases = []
    for seed in args.seeds:
        clips = get_clips(clip, profiles=tuple(args.profiles), frames=args.frames, size=args.size, seed=seed,
                          cache_dir=args.cache)
        for synth in clips.values():
            boxes = crop_boxes(synth.estimate, synth.rendered.frames.shape[1:3], PRESETS["fast"])
            dis = compute_video_flow(DISFlow(), synth.rendered.frames, boxes=boxes, work_size=128)
            exact = FlowField.full_frame(synth.gt.flow, synth.gt.flow_valid.astype(np.float32))
            estimate = repair_swaps(synth.estimate, dis, PRESETS["fast"].swaps).poses
            cases.append((estimate, synth.estimate, synth.gt, {"none": None, "dis": dis, "gt": exact}))

    print("sigma_2d sigma_3d sigma_acc sigma_lat sigma_flow flow   MPJPE  PA-MPJPE  accel  "
          "(ratios to the initial estimate)")
    grid = itertools.product(args.sigma_2d, args.sigma_3d, args.sigma_acc, args.sigma_lateral,
                             [None, *args.sigma_flow])
    for s2d, s3d, sacc, slat, sflow in grid:
        config = replace(PoseStageConfig(), w_2d=s2d**-2, w_3d_rel=s3d**-2, w_acc=sacc**-2,
                         w_3d_lateral=slat**-2 if slat > 0 else 0.0, w_flow=0.0 if sflow is None else sflow**-2)
        for source in ["none"] if sflow is None else ["dis", "gt"]:
            ratios = []
            for repaired, est, gt, flows in cases:
                X = optimize_poses(repaired, flows[source], config).joints3d
                ratios.append([metrics.mpjpe(X, gt.joints3d) / metrics.mpjpe(est.joints3d, gt.joints3d),
                               metrics.pa_mpjpe(X, gt.joints3d) / metrics.pa_mpjpe(est.joints3d, gt.joints3d),
                               metrics.accel_error(X, gt.joints3d) / metrics.accel_error(est.joints3d, gt.joints3d)])
            r = np.mean(ratios, axis=0)
            print(f"{s2d:8g} {s3d:8g} {sacc:9g} {slat:9g} {str(sflow):>10} {source:5s} {r[0]:6.3f} {r[1]:9.3f} {r[2]:6.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
