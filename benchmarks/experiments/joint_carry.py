"""Carry single joints along the flow through the frames their 2D is missing: does it help the pose stage?

``flowpose.people.carry`` fills frames where the whole person was missed. Here each joint of the H36M-17 2D
with confidence 0 (a detector's miss, or a joint the tracker refused as somebody else's) is carried on its own,
through holes of up to ``--max-gap`` frames, along the OpenCV DIS flow the tracker uses (forward from the last
frame it was seen, backward from the next, blended in time), at half its neighbours' confidence. Each pair of
the real set (``bench_real.py --estimates tracked --everyone`` first, which caches the estimates) is refined
with and without the flow term, from the estimate as it is and from the estimate with carried joints.

    python benchmarks/experiments/joint_carry.py [--max-gap 10]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import REPO, scores, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.estimate.people import flow_motion  # noqa: E402
from flowpose.people.carry import carry_keypoints  # noqa: E402
from flowpose.pose import PoseSequence  # noqa: E402


def carry_joints(poses: PoseSequence, frames: np.ndarray, max_gap: int) -> tuple[PoseSequence, int]:
    """The poses with each unobserved 2D joint carried along the DIS flow (module docstring); also how many."""
    T = poses.num_frames
    forward, backward = flow_motion(frames), flow_motion(frames, backward=True)
    observed = (poses.conf > 0) & np.isfinite(poses.joints2d).all(-1)
    kp = np.where(observed[..., None], poses.joints2d, np.nan).astype(np.float64)
    out_kp, out_conf, count = kp.copy(), poses.conf.astype(np.float64).copy(), 0
    for j in range(poses.num_joints):
        seen = observed[:, j]
        if seen.all() or not seen.any():
            continue
        carried_kp, carried = carry_keypoints(kp[:, j : j + 1], seen, forward, backward, max_gap)
        neighbours = np.interp(np.arange(T), np.flatnonzero(seen), poses.conf[seen, j])
        sel = carried & np.isfinite(carried_kp[:, 0]).all(-1)
        out_kp[sel, j], out_conf[sel, j] = carried_kp[sel, 0], 0.5 * neighbours[sel]
        count += int(sel.sum())
    joints2d = np.where(np.isfinite(out_kp), out_kp, poses.joints2d).astype(np.float32)
    return replace(poses, joints2d=joints2d, conf=out_conf.astype(np.float32)), count


def main() -> None:
    """Refine every pair four ways and print each and the means."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--max-gap", type=int, default=10)
    p.add_argument("--cycles", type=int, default=3)
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    runs = {"without flow": NO_FLOW_RUNS["flow_off"](config), "flowpose": config}
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, "cam01,cam02,cam03,cam04"):
        carried, count = carry_joints(init, frames, args.max_gap)
        row = {}
        for start, poses in (("as estimated", init), ("joints carried", carried)):
            for run, cfg in runs.items():
                row[f"{start}, {run}"] = scores(refine(poses, frames, config=cfg).poses.joints3d, gt, keep)
        results.append(row)
        print(f"{name}: {count} of {int((~np.isfinite(init.joints2d).all(-1) | (init.conf <= 0)).sum())} unobserved joints carried; "
              + ", ".join(f"{k} {m['mpjpe']:.1f} / {m['pa_mpjpe']:.1f}" for k, m in row.items()), flush=True)
    print("\n| start, run | MPJPE mm | PA-MPJPE mm | accel err mm/f² |\n|---|---|---|---|")
    for key in results[0]:
        means = [np.mean([r[key][m] for r in results]) for m in ("mpjpe", "pa_mpjpe", "accel_error")]
        print(f"| {key} | {means[0]:.1f} | {means[1]:.1f} | {means[2]:.2f} |")


if __name__ == "__main__":
    main()
