"""Where one real-set pair's refinement ends in one of two minima: cam03/p1 without flow (``solver_noise.py``).

The pair (``bench_real.py --estimates tracked --everyone`` first) is refined without the flow term from its
estimate and from ``--draws`` copies with Gaussian noise of 0.1 mm per coordinate, at the default stopping rule
and at a tolerance of 1e-6 (4,000 steps at most per flow round); each run's MPJPE (4-view reference) and final
losses are printed. Then the solutions from the estimate and from draw 1 at the default rule are compared: how far
apart they are in the first and second half of the clip, against the detector's mean confidence there, and where
they differ most.

    python benchmarks/experiments/two_minima.py [--pair cam03/p1] [--draws 3]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, scores, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import flow_off  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

RULES = {"default (1e-4, 1,000 steps)": {}, "1e-6, 4,000 steps": {"tol": 1e-6, "max_steps": 4000}}


def main() -> None:
    """Refine the pair from each draw at both stopping rules, then compare two solutions."""
    p = experiment_parser(__doc__.split("\n\n")[0], reference=False)
    p.add_argument("--pair", default="cam03/p1")
    p.add_argument("--draws", type=int, default=3)
    args = p.parse_args()
    view = args.pair.split("/")[0]
    base = flow_off(replace(get_preset("fast"), cycles=args.cycles))
    name, frames, gt, init, keep = next(x for x in tracked_pairs(args.devset, view) if x[0] == args.pair)
    solutions = {}
    for rule, stop in RULES.items():
        config = replace(base, pose=replace(base.pose, **stop))
        for draw in range(args.draws + 1):
            moved = init
            if draw > 0:
                noise = np.random.default_rng(draw).normal(0, 1e-4, init.joints3d.shape)
                moved = init.with_joints3d(init.joints3d + noise)
            result = refine(moved, frames, config=config)
            losses = result.history[-1].losses
            solutions[rule, draw] = result.poses.joints3d
            print(f"{name} without flow, {rule}, draw {draw}: MPJPE {scores(result.poses.joints3d, gt, keep)['mpjpe']:.1f} "
                  f"mm, losses " + ", ".join(f"{k} {v:.4f}" for k, v in losses.items() if k != "flow"), flush=True)
    rule = next(iter(RULES))
    apart = np.linalg.norm(solutions[rule, 0] - solutions[rule, 1], axis=-1) * 1000  # (T, J) mm
    conf = init.confidence()
    half = len(apart) // 2
    for what, rows in ((f"frames 0-{half - 1}", slice(0, half)), (f"frames {half}-{len(apart) - 1}", slice(half, None))):
        print(f"draw 0 against draw 1, {what}: {apart[rows].mean():.1f} mm a joint apart; MediaPipe's mean confidence "
              f"{conf[rows].mean():.2f}; {int(keep[rows].sum())} of the {int(keep.sum())} scored frames")
    t, j = np.unravel_index(np.argmax(apart), apart.shape)
    print(f"most apart: {apart[t, j]:.0f} mm, frame {t}, {H36M17.joint_names[j]}; over the clip, by joint: "
          + ", ".join(f"{n} {d:.0f}" for n, d in sorted(zip(H36M17.joint_names, apart.mean(0)), key=lambda x: -x[1])[:4]))


if __name__ == "__main__":
    main()
