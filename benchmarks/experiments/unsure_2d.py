"""MediaPipe's unsure 2D keypoints left out of L_2D: do they cost the refinement?

The pose stage weighs each 2D keypoint by its confidence, MediaPipe's landmark visibility, so a keypoint
MediaPipe is unsure of still pulls with a small weight. 2D keypoints from another detector are left out below
confidence 0.3 (``flowpose.io.keypoints2d.attach_keypoints``, ``refine --keypoints``); MediaPipe's own are
not. Here each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone``
first) is refined with its tracked estimate as it is, and with the 2D keypoints below ``--min-conf`` made
unobserved (the 3D terms keep their confidences, as ``attach_keypoints`` does), each with and without the flow
term.

    python benchmarks/experiments/unsure_2d.py [--reference all|heldout] [--min-conf 0.3] [--views ...]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import baseline_runs, experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.io.keypoints2d import Keypoints2D, attach_keypoints  # noqa: E402


def main() -> None:
    """Refine every pair with all its 2D and with its unsure 2D left out; print each and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--min-conf", type=float, default=0.3, help="2D keypoints below this confidence are left out")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        sure = attach_keypoints(init, Keypoints2D(init.joints2d, init.conf, init.skeleton), args.min_conf)
        seen = np.isfinite(init.joints2d).all(-1)
        left = int((seen & ~np.isfinite(sure.joints2d).all(-1)).sum())
        print(f"{name}: {left} of {int(seen.sum())} 2D keypoints below {args.min_conf} left out", flush=True)
        row = {
            **baseline_runs(init, frames, config),
            "without flow, unsure 2D left out": refine(sure, frames, config=NO_FLOW_RUNS["flow_off"](config)),
            "flowpose, unsure 2D left out": refine(sure, frames, config=config),
        }
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
