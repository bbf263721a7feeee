"""Where does the flow term earn its gain on real video: on joints with 2D keypoints, or on joints without?

On every person of the real development set in every view (``benchmarks/build_pose2sim_people.py``, then
``bench_real.py --estimates tracked --everyone`` once, which caches each pair's tracked MediaPipe estimate), the
same estimate is refined without the flow term and with it, at each ``--floors`` value of
``PoseStageConfig.flow_conf_floor`` (L_opt's weight floor on joints the detector is unsure of). The root-relative
joint error (mm, pelvis and head left out) is split by whether the estimate's 2D keypoint was observed in that
frame (a finite keypoint with confidence > 0: not a detector's miss, nor a joint the track refused), on the
frames ``bench_real.py`` scores.

    python benchmarks/experiments/flow_where_2d.py [--floors 0.3,0.6,1.0] [--views cam01,cam02,cam03,cam04]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, REPO, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402


def relative_error_mm(joints: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T, 17) root-relative joint error, mm, of (T, 17, 3) camera-frame joints against the pseudo ground truth."""
    return np.linalg.norm((joints - joints[:, :1]) - (gt - gt[:, :1]), axis=-1) * 1000.0


def main() -> None:
    """Refine every pair without and with the flow and print the split."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--floors", default="0.3,0.6,1.0", help="flow_conf_floor values, comma-separated")
    p.add_argument("--cycles", type=int, default=3)
    args = p.parse_args()
    floors = [float(f) for f in args.floors.split(",")]
    config = replace(get_preset("fast"), cycles=args.cycles)
    runs = ["without flow"] + [f"floor {f:g}" for f in floors]
    totals = {split: np.zeros(len(runs) + 1) for split in ("2D observed", "2D unobserved", "all")}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views):
        outputs = [refine(init, frames, config=NO_FLOW_RUNS["flow_off"](config)).poses.joints3d]
        for f in floors:
            pose = replace(config.pose, flow_conf_floor=f)
            outputs.append(refine(init, frames, config=replace(config, pose=pose)).poses.joints3d)
        errors = [relative_error_mm(x, gt) for x in outputs]
        scored = keep[:, None] & np.isfinite(np.stack(errors)).all(0)
        scored[:, [0, HEAD]] = False
        observed = (init.conf > 0) & np.isfinite(init.joints2d).all(-1)
        for split, mask in (("2D observed", scored & observed), ("2D unobserved", scored & ~observed),
                            ("all", scored)):
            totals[split] += [mask.sum(), *(e[mask].sum() for e in errors)]
            means = " ".join(f"{e[mask].mean():.1f}" if mask.any() else "-" for e in errors)
            print(f"{name} {split}: {int(mask.sum())} joints, {' / '.join(runs)}: {means}", flush=True)
    print("\n| joints | count | " + " | ".join(runs) + " |")
    print("|---|---|" + "---|" * len(runs))
    for split, (n, *sums) in totals.items():
        print(f"| {split} | {int(n)} | " + " | ".join(f"{s / n:.1f}" for s in sums) + " |")


if __name__ == "__main__":
    main()
