"""Can the flow tell poses that lag their video by a frame or two? (Tried for a check; not kept.)

A lifter that trims or pads its receptive field gives poses of the right length but a frame or two off the video.
For poses shifted by k frames (pose t = the estimate's t - k, the ends repeated), the flow of each frame pair
(un-fine-tuned DIS, cycle 0 of ``flowpose.refine`` with the default ``RefineConfig``, on crops placed by the
estimate as given) is read at the joints of the shifted poses taken s frames later, and compared with those poses' own 2D displacement, both averaged over the joints
of each frame; the mean residual (px) is printed for s = -3 .. 3. The smallest residual should be at s = k.

    python benchmarks/experiments/pose_lag.py [--shared ../shared]

On the bundled example, then the real set's cam01 and cam03 estimates (``results/pose2sim/camXX.poses.npz``, made by
``benchmarks/build_pose2sim_devset.py``) on their videos.
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from flowpose.api import refine
from flowpose.camera import project_np
from flowpose.config import RefineConfig, with_cycles
from flowpose.flow.field import FlowField
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.pose import PoseSequence

ROOT = Path(__file__).resolve().parents[2]
SHIFTS = range(-3, 4)
LAGS = (0, 1, 2, -1, -2, 3)


def shifted(poses: PoseSequence, k: int) -> PoseSequence:
    """Pose t is the estimate's t - k (k > 0: the poses lag the video), the ends repeated."""
    idx = np.clip(np.arange(poses.num_frames) - k, 0, poses.num_frames - 1)
    pick = lambda a: None if a is None else a[idx]  # noqa: E731
    return replace(poses, joints3d=poses.joints3d[idx], joints2d=pick(poses.joints2d), conf=pick(poses.conf))


def residuals(poses: PoseSequence, flow: FlowField) -> dict[int, float]:
    """For each s: the mean over frames of |mean flow at the joints of pose t + s - their mean 2D displacement|."""
    x = poses.joints2d if poses.joints2d is not None else project_np(poses.joints3d, poses.K_per_frame())
    x, conf = np.asarray(x, np.float64), poses.confidence() > 0
    T, P = len(x), flow.num_pairs
    out = {}
    for s in SHIFTS:
        ts = np.arange(P)
        ts = ts[(ts + s >= 0) & (ts + s + 1 < T)]
        a, b = x[ts + s], x[ts + s + 1]
        seen = conf[ts + s] & conf[ts + s + 1] & np.isfinite(a).all(-1) & np.isfinite(b).all(-1)
        points = torch.zeros((P, x.shape[1], 2), dtype=torch.float32)
        points[ts] = torch.as_tensor(np.nan_to_num(a), dtype=torch.float32)
        f, c = flow.sample(points)
        seen &= c.numpy()[ts] > 0
        n = np.maximum(seen.sum(1), 1)[:, None]
        mean_flow = np.where(seen[..., None], f.numpy()[ts], 0.0).sum(1) / n
        mean_motion = np.where(seen[..., None], b - a, 0.0).sum(1) / n
        keep = seen.sum(1) >= 3
        out[s] = float(np.mean(np.linalg.norm(mean_flow - mean_motion, axis=-1)[keep]))
    return out


def main() -> None:
    """Print each clip's residuals for each lag."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    videos = args.shared / "data" / "video" / "pose2sim_multiperson" / "videos"
    clips = [("example", ROOT / "examples" / "jumping_jacks" / "video.poses.npz",
              ROOT / "examples" / "jumping_jacks" / "video.mp4")]
    clips += [(cam, ROOT / "results" / "pose2sim" / f"{cam}.poses.npz", videos / f"{cam}.mp4") for cam in ("cam01", "cam03")]
    for name, poses_path, video_path in clips:
        estimate = load_poses(poses_path)
        with open_video(video_path) as video:
            frames = video.read(0, estimate.num_frames)
        print(name)
        flow = refine(estimate, frames, config=with_cycles(RefineConfig(), 0)).flow
        for k in LAGS:
            got = residuals(shifted(estimate, k), flow)
            best = min(got, key=got.get)
            print(f"  lag {k:+d}: smallest at {best:+d}   " + "  ".join(f"{s:+d}: {v:.2f}" for s, v in got.items()),
                  flush=True)


if __name__ == "__main__":
    main()
