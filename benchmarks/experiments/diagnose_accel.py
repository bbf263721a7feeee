"""Where the pose stage's acceleration error comes from, joint by joint, on chosen clips.

For each clip (``metro`` profile by default) prints the ground truth's mean acceleration per joint, the initial estimate's MPJPE and acceleration error, then
the pose stage alone (no flow stage) without flow and with the exact ground-truth flow, at each temporal prior
sigma given, with the acceleration error per H36M-17 joint (root first). Adding ``--smooth-root`` also shows
the no-flow result with its root trajectory Gaussian-smoothed afterwards: if that lowers the error, the root
jitters; if it raises it, the prior already over-smooths real motion.

    python benchmarks/experiments/diagnose_accel.py cmu_fbx_converted/09_11 fair/dab --sigma-acc 20 40 --smooth-root 1
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from flowpose import metrics
from flowpose.bench.clips import BenchClip, get_clips
from flowpose.flow.field import FlowField
from flowpose.refinement.optimize import optimize_poses
from flowpose.refinement.pose_config import PoseStageConfig

REPO = Path(__file__).resolve().parents[2]


def accel_error_per_joint(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T, J, 3) metres each -> (J,) mean acceleration error per joint, mm/frame^2 (see metrics.accel_error)."""
    a_pred = pred[2:] - 2.0 * pred[1:-1] + pred[:-2]
    a_gt = gt[2:] - 2.0 * gt[1:-1] + gt[:-2]
    return 1000.0 * np.linalg.norm(a_pred - a_gt, axis=-1).mean(0)


def report(label: str, X: np.ndarray, gt: np.ndarray) -> None:
    """Print MPJPE, acceleration error and the per-joint acceleration error of ``X``."""
    per_joint = " ".join(f"{v:5.1f}" for v in accel_error_per_joint(X, gt))
    print(f"  {label:24s} MPJPE {metrics.mpjpe(X, gt):6.1f}  accel err {metrics.accel_error(X, gt):6.2f}  "
          f"per joint {per_joint}", flush=True)


def main() -> None:
    """Parse options and print the diagnosis per clip."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="+", help="clip names below the shared mocap folder")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    parser.add_argument("--profile", default="metro")
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--sigma-acc", type=float, nargs="+", default=[20.0], help="m/s^2")
    parser.add_argument("--smooth-root", type=float, nargs="*", default=[], help="Gaussian sigmas, frames")
    args = parser.parse_args()

    for name in args.clips:
        clip = BenchClip(name, args.shared / "data" / "mocap" / f"{name}.bvh")
        synth = get_clips(clip, profiles=(args.profile,), frames=args.frames, size=args.size, seed=0,
                          cache_dir=args.cache)[args.profile]
        gt = synth.gt.joints3d
        exact = FlowField.full_frame(synth.gt.flow, synth.gt.flow_valid.astype(np.float32))
        print(f"{name} ({args.profile}, {gt.shape[0]} frames)")
        magnitude = 1000.0 * np.linalg.norm(gt[2:] - 2.0 * gt[1:-1] + gt[:-2], axis=-1).mean(0)
        print(f"  {'ground-truth |accel|':24s} {'':41s}per joint " + " ".join(f"{v:5.1f}" for v in magnitude))
        report("initial estimate", synth.estimate.joints3d, gt)
        for sigma in args.sigma_acc:
            for source, flow, w_flow in (("no flow", None, 0.0), ("exact flow", exact, 1.0)):
                config = replace(PoseStageConfig(), w_acc=sigma**-2, w_flow=w_flow)
                X = optimize_poses(synth.estimate, flow, config).joints3d
                report(f"sigma_acc {sigma:g}, {source}", X, gt)
                if flow is None:
                    for s in args.smooth_root:
                        root = X[:, :1]
                        report(f"  root smoothed {s:g} fr", X - root + gaussian_filter1d(root, s, axis=0,
                                                                                           mode="nearest"), gt)


if __name__ == "__main__":
    main()
