"""How much of a real-set figure is the solver's? The same refinements from estimates moved by a hair.

The pose stage is non-convex (robust penalties, flow targets re-sampled at the current projections each round,
swap repair), so two solves from estimates that differ by far less than any estimator's precision can end in
different minima. A change of arithmetic alone (the twenty-seventh session's second difference over unequal
intervals, equal to the old one up to float32 rounding) moved one pair's run without flow by 3.8 mm. This
experiment refines every view-person pair of the real set (``bench_real.py --estimates tracked --everyone``
first) with and without the flow term, from its estimate and from ``--draws`` copies with Gaussian noise of
``--sigma-mm`` added to every joint, and prints, for each draw, the means over the pairs and the flow term's
gain; then, over the draws, each figure's spread (min to max) and each pair's.

With ``--tol`` and ``--max-steps`` the pose stage's stopping rule is changed for every run (defaults: the
preset's, 1e-4 and 1,000), to tell a solve cut short from one that ends in another minimum.

    python benchmarks/experiments/solver_noise.py [--draws 3] [--sigma-mm 0.1] [--reference all|heldout]
                                                  [--tol 1e-4] [--max-steps 1000]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import flow_off  # noqa: E402
from flowpose.config import get_preset  # noqa: E402

RUNS = ("without flow", "flowpose")


def main() -> None:
    """Refine every pair from each draw and print the spreads."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--draws", type=int, default=3, help="noisy copies of each estimate, beside the estimate itself")
    p.add_argument("--sigma-mm", type=float, default=0.1, help="standard deviation of the noise per coordinate, mm")
    p.add_argument("--tol", type=float, default=None, help="the pose stage's relative stopping tolerance")
    p.add_argument("--max-steps", type=int, default=None, help="the pose stage's iteration cap per flow round")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    stop = {k: v for k, v in (("tol", args.tol), ("max_steps", args.max_steps)) if v is not None}
    config = replace(config, pose=replace(config.pose, **stop))
    configs = dict(zip(RUNS, (flow_off(config), config)))
    per_draw: list[list[dict]] = [[] for _ in range(args.draws + 1)]  # draw -> pair -> run -> scores
    names, seconds = [], []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        names.append(name)
        for draw in range(args.draws + 1):
            moved = init
            if draw > 0:
                rng = np.random.default_rng(draw)
                moved = init.with_joints3d(init.joints3d + rng.normal(0, args.sigma_mm / 1000, init.joints3d.shape))
            clock = time.perf_counter()
            runs = {run: refine(moved, frames, config=c) for run, c in configs.items()}
            seconds.append(time.perf_counter() - clock)
            per_draw[draw].append(score_runs(f"{name} draw {draw}", runs, gt, keep))
    print("\n| draw | without flow MPJPE / PA mm | flowpose MPJPE / PA mm | flow gain MPJPE | flow gain PA-MPJPE |\n"
          "|---|---|---|---|---|")
    gains = []
    for draw, rows in enumerate(per_draw):
        mean = {run: {m: np.mean([r[run][m] for r in rows]) for m in ("mpjpe", "pa_mpjpe")} for run in RUNS}
        gain = [100 * (mean["flowpose"][m] / mean["without flow"][m] - 1) for m in ("mpjpe", "pa_mpjpe")]
        gains.append(gain)
        print(f"| {draw if draw else 'none (the estimate)'} | {mean['without flow']['mpjpe']:.1f} / "
              f"{mean['without flow']['pa_mpjpe']:.1f} | {mean['flowpose']['mpjpe']:.1f} / "
              f"{mean['flowpose']['pa_mpjpe']:.1f} | {gain[0]:+.2f}% | {gain[1]:+.2f}% |")
    gains = np.array(gains)
    print(f"\nflow gain over the draws: MPJPE {gains[:, 0].min():+.2f}% to {gains[:, 0].max():+.2f}%, PA-MPJPE "
          f"{gains[:, 1].min():+.2f}% to {gains[:, 1].max():+.2f}%")
    print(f"\n{np.mean(seconds) / len(RUNS):.1f} s a run on average")
    print("\nspread of each pair's MPJPE over the draws, mm (max - min): " + "; ".join(
        f"{name} " + ", ".join(f"{run} {np.ptp([per_draw[d][i][run]['mpjpe'] for d in range(len(per_draw))]):.1f}"
                               for run in RUNS) for i, name in enumerate(names)))


if __name__ == "__main__":
    main()
