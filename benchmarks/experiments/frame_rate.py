"""What a pose file's wrong frame rate costs: the real set refined with the video's rate and with others.

The pose stage's temporal terms are per second (L_vel in (m/s)^2, L_acc in (m/s^2)^2, the flow's acceleration in
m/s^2), so the poses' ``fps`` sets their strength: at half the true rate L_vel is 4 and L_acc 16 times weaker. A
pose file without ``fps`` reads as 30; the pose2sim videos play at 60. Each of the 8 view-person pairs of the real
set (``bench_real.py --estimates tracked --everyone`` first) is refined by full flowpose with its estimate's
``fps`` set to each ``--rates`` value (the first is the video's own, the baseline).

    python benchmarks/experiments/frame_rate.py [--rates 60,30] [--reference all|heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402


def main() -> None:
    """Refine every pair at each frame rate and print the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--rates", default="60,30", help="frame rates given to the poses, comma-separated; the first "
                   "is the baseline (the video's own)")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    rates = [float(r) for r in args.rates.split(",") if r]
    labels = [f"fps {r:g}" for r in rates]
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        runs = {label: refine(replace(init, fps=rate), frames, config=config) for label, rate in zip(labels, rates)}
        results.append(score_runs(name, runs, gt, keep))
    print_mean_table(results, baseline=labels[0])


if __name__ == "__main__":
    main()
