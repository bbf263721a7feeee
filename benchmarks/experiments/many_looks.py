"""``estimate --looks N`` on the real set: MediaPipe's 3D and 2D averaged over N more looks at the person's crop.

``flip_3d.py`` found that averaging MediaPipe's 3D with one more look at the crop around the person, mirrored or
not, lowers the estimate's error, and that a look at the crop alone errs less than the tracker's look at the
whole frame. ``flowpose.estimate.looks.with_looks`` (``EstimateConfig.looks``) takes up to six looks (crops
padded by 0.25, 0.15 and 0.4 of the keypoints' box, each mirrored and as it is): the 3D averaged over the first
look and the looks relative to the pelvis, the 2D over the looks, placed by the 2D. For each of the 8
view-person pairs (``bench_real.py --estimates tracked --everyone`` first) the tracked estimate is taken with
each of ``--looks`` more looks, scored as it is, and refined with the default preset with and without the flow
term. The last lines give each N's gain against the tracked estimate (flowpose's MPJPE and PA-MPJPE, the mean
over the pairs), with a 95% interval over the pairs drawn again (2,000 draws; the pairs share one clip), and
the pairs it betters.

    python benchmarks/experiments/many_looks.py [--looks 1,2,6] [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import (  # noqa: E402
    experiment_parser,
    paired_gain,
    print_estimate_table,
    print_mean_table,
    score_runs,
    scores,
    tracked_pairs,
)

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.estimate.looks import with_looks  # noqa: E402


def main() -> None:
    """Score and refine every pair with each number of looks (module docstring); print each and the means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--looks", default="1,2,6")
    args = p.parse_args()
    counts = [int(n) for n in args.looks.split(",") if n]
    config = replace(get_preset("fast"), cycles=args.cycles)
    off = NO_FLOW_RUNS["flow_off"](config)
    estimates, results, seconds = [], [], {n: 0.0 for n in counts}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        taken = {"tracked": init}
        for n in counts:
            start = time.perf_counter()
            taken[f"looks {n}"], _ = with_looks(frames, init, n)
            seconds[n] += time.perf_counter() - start
        row = {k: scores(v.joints3d.astype(np.float64), gt, keep) for k, v in taken.items()}
        estimates.append(row)
        print(f"{name} estimate: " + ", ".join(f"{k} {m['mpjpe']:.1f} / {m['pa_mpjpe']:.1f}" for k, m in row.items()),
              flush=True)
        runs = {}
        for key, poses in taken.items():
            runs["without flow" if key == "tracked" else f"without flow, {key}"] = refine(poses, frames, config=off)
            runs["flowpose" if key == "tracked" else f"flowpose, {key}"] = refine(poses, frames, config=config)
        results.append(score_runs(name, runs, gt, keep))
    print_estimate_table(estimates)
    print_mean_table(results)
    print()
    for n in counts:
        said = []
        for metric, label in (("mpjpe", "MPJPE"), ("pa_mpjpe", "PA-MPJPE")):
            gain, low, high, better = paired_gain(results, f"flowpose, looks {n}", "flowpose", metric)
            said.append(f"{label} {gain:+.1f}% ({low:+.1f}% to {high:+.1f}%), better on {better} of {len(results)}")
        print(f"--looks {n} against the default: {'; '.join(said)}; {seconds[n] / len(results):.1f} s a pair for the looks")


if __name__ == "__main__":
    main()
