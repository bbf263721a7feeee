"""What a variable frame rate costs, and what refining at the frames' own times gives back, on real video.

Phone videos often space their frames unevenly in time. The pose stage's temporal terms are per second, so
frames taken as evenly spaced get accelerations that are not there. The real set's videos play at a constant
60 fps; here each view-person pair (``bench_real.py --estimates tracked --everyone`` first) keeps only frames
1 to 3 apart (``--gaps``, drawn at random with a fixed seed), a variable rate of 20 to 60 fps with its true
timestamps. Full flowpose refines the kept frames (the flow between kept frames, as a phone's video would give
it) twice: taken as evenly spaced at their mean rate (what a container's average frame rate says, and what
flowpose did before it read timestamps), and at their own times (``PoseSequence.times``). Both are scored on the
kept frames against the same reference (the acceleration error per kept frame, so over uneven intervals for
every row alike).

    python benchmarks/experiments/variable_rate.py [--gaps 1,2,3] [--reference all|heldout] [--seed 0]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.pose import PoseSequence  # noqa: E402

VIDEO_FPS = 60.0
"""The real set's frame rate."""


def kept_frames(T: int, gaps: list[int], rng: np.random.Generator) -> np.ndarray:
    """Frame indices from 0 with steps drawn from ``gaps``, all below T."""
    steps = rng.choice(gaps, T)
    idx = np.concatenate([[0], np.cumsum(steps)])
    return idx[idx < T]


def pick(poses: PoseSequence, idx: np.ndarray) -> PoseSequence:
    """The frames ``idx`` of ``poses`` at their own times (``idx / 60`` s), labelled with their mean rate."""
    cut = lambda a: None if a is None else a[idx]  # noqa: E731
    times = idx / VIDEO_FPS
    return replace(poses, joints3d=poses.joints3d[idx], K=poses.K if poses.K.ndim == 2 else poses.K[idx],
                   joints2d=cut(poses.joints2d), conf=cut(poses.conf), first_frame=None, times=times,
                   fps=(len(idx) - 1) / (times[-1] - times[0]))


def main() -> None:
    """Refine every pair's kept frames both ways and print the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--gaps", default="1,2,3", help="steps between kept frames, frames of the 60 fps video")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    gaps = [int(g) for g in args.gaps.split(",") if g]
    rng = np.random.default_rng(args.seed)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        idx = kept_frames(len(frames), gaps, rng)
        timed = pick(init, idx)
        even = replace(timed, times=None)
        runs = {"taken as evenly spaced": refine(even, frames[idx], config=config),
                "at their own times": refine(timed, frames[idx], config=config)}
        interval_ms = 1000 * np.diff(timed.times)
        print(f"{name}: {len(idx)} of {len(frames)} frames, {interval_ms.min():.1f} to {interval_ms.max():.1f} ms "
              f"apart (mean rate {timed.fps:.1f} fps)")
        results.append(score_runs(name, {"estimate": SimpleNamespace(poses=even)} | runs, gt[idx], keep[idx]))
    print_mean_table(results, baseline="taken as evenly spaced")


if __name__ == "__main__":
    main()
