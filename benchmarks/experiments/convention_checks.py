"""The figures behind the pose-file convention checks (``flowpose.frame_convention``, ``flowpose.camera_checks``).

1. What real estimates measure: for each pose file of the real set (``results/pose2sim/*.poses.npz``, made by
   ``benchmarks/build_pose2sim_*.py``) and the bundled example, the share of the body's size by which joints2d lie
   from the projection of joints3d (``keypoints_off``; warned above ``FAR``), and how much left and right bones
   differ in length over the observed joints (``side_ratio``; warned above ``SIDES_APART``).
2. What the mistakes measure, on the bundled example: K with 1.5 times the focal length, 2D of half-size frames,
   COCO-17 joints read as Human3.6M-17 (eyes and ears left missing, or placed a few cm about the nose).
3. What they cost when refined (one cycle, the default DIS flow, against the example's ground truth): joints3d
   of a y-up frame with the file's own upright 2D, and COCO-17 joints read as Human3.6M-17.

    python benchmarks/experiments/convention_checks.py
"""

from __future__ import annotations

import argparse
import glob
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from flowpose.api import refine
from flowpose.frame_convention import FAR, SIDES_APART, keypoints_off, side_ratio
from flowpose.io.groundtruth import load_gt
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.joint_map import from_h36m17
from flowpose.pose import PoseSequence

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "jumping_jacks"


def sides(poses: PoseSequence) -> float:
    """``side_ratio`` over the observed joints, as the check reads it."""
    observed = (poses.confidence() > 0)[..., None]
    return side_ratio(np.where(observed, np.asarray(poses.joints3d, np.float64), np.nan), poses.skeleton)[0]


def main() -> None:
    """Print the three parts."""
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    warnings.simplefilter("ignore")  # the checks' own warnings: their figures are what is printed
    example = load_poses(EXAMPLE / "video.poses.npz")
    print(f"1. estimates (warned above {FAR:.0%} of the body's size off, and above {SIDES_APART} left/right)")
    files = sorted(glob.glob(str(ROOT / "results" / "pose2sim" / "*.poses.npz"))) + [str(EXAMPLE / "video.poses.npz")]
    for f in files:
        p = load_poses(f)
        off = keypoints_off(p)
        print(f"   {Path(f).name:32s} 2D off {'-' if off is None else f'{off:.1%}':>6s}   left/right {sides(p):.3f}")
    print("2. mistakes, on the example")
    focal = replace(example, K=np.diag([1.5, 1.5, 1.0]) @ example.K)
    print(f"   K with 1.5 times the focal length: 2D off {keypoints_off(focal):.0%}")
    print(f"   2D of half-size frames: 2D off {keypoints_off(replace(example, joints2d=example.joints2d * 0.5)):.0%}")
    coco = from_h36m17(example.joints3d, "coco17")
    print(f"   COCO-17 read as h36m17, eyes and ears missing: left/right {side_ratio(coco, 'h36m17')[0]:.2f}")
    coco[:, 1:5] = coco[:, [0]] + np.array([[0.03, -0.03, 0], [-0.03, -0.03, 0], [0.07, 0, 0.05], [-0.07, 0, 0.05]])
    print(f"   COCO-17 read as h36m17, eyes and ears about the nose: left/right {side_ratio(coco, 'h36m17')[0]:.2f}")
    print("3. refined, one cycle, against the example's ground truth (MPJPE / PA-MPJPE mm, cycle 0 -> 1)")
    gt = load_gt(EXAMPLE / "gt.npz")
    with open_video(EXAMPLE / "video.mp4") as video:
        frames = video.read()
    mistakes = {
        "as given": example,
        "joints3d y up, its 2D upright": replace(example, joints3d=example.joints3d * np.float32([1, -1, 1])),
        "COCO-17 read as h36m17": replace(example, joints3d=from_h36m17(example.joints3d, "coco17"),
                                         joints2d=from_h36m17(example.joints2d, "coco17")),
    }
    for name, poses in mistakes.items():
        history = refine(poses, frames, cycles=1, gt=gt).history
        before, after = history[0].metrics, history[-1].metrics
        print(f"   {name:32s} {before['mpjpe']:.1f} / {before['pa_mpjpe']:.1f} -> "
              f"{after['mpjpe']:.1f} / {after['pa_mpjpe']:.1f}")


if __name__ == "__main__":
    main()
