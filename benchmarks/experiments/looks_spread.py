"""How far MediaPipe's looks at the person disagree, as the 2D's trust, on the real set (a probe; #19).

Six looks at the crop around the person (``flowpose.estimate.looks``: padded by 0.25, 0.15, 0.4 of the keypoints'
box, mirrored and not) place each keypoint six times. Their spread, the RMS distance of a joint's looks from their
mean (px, where three or more looks are sure of it), is a measure of how sure the detector is that no single run
gives. If it ranks the 2D error, the pose stage can lean less on the unsure keypoints and more on the flow and the
priors there (#19, "occlusion and misses"). For each of the 8 view-person pairs (``bench_real.py --estimates tracked
--everyone`` first): Spearman's rho between the spread and the six-look mean's 2D error against the reference
projected into the view, then the pair refined from ``with_looks(..., 6)`` as it is and with each keypoint's
confidence times ``1 / (1 + (spread / (s median spread))^2)`` (``--scales``), with and without the flow term.

    python benchmarks/experiments/looks_spread.py [--scales 1,2] [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.estimate.looks import LOOKS, look_again, with_looks  # noqa: E402

MIN_SURE = 3
"""A joint's spread is measured where at least this many looks are sure of it."""


def spread(looks: list[np.ndarray]) -> np.ndarray:
    """(T, 17) RMS distance (px) of the looks' (T, 17, 2) keypoints from their mean, NaN where fewer than
    :data:`MIN_SURE` are sure of the joint."""
    stack = np.stack(looks)
    ok = np.isfinite(stack).all(-1)
    mean = np.nanmean(stack, 0)
    d2 = np.where(ok, ((stack - mean) ** 2).sum(-1), np.nan)
    rms = np.sqrt(np.nanmean(d2, 0))
    return np.where(ok.sum(0) >= MIN_SURE, rms, np.nan)


def main() -> None:
    """Rank, weigh and refine every pair (module docstring); print each and the means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--scales", default="1,2")
    args = p.parse_args()
    scales = [float(x) for x in args.scales.split(",") if x]
    config = replace(get_preset("fast"), cycles=args.cycles)
    off = NO_FLOW_RUNS["flow_off"](config)
    results, pooled = [], ([], [])
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        s = spread([look_again(frames, init, pad=pad, mirrored=m).joints2d for pad, m in LOOKS])
        six, _ = with_looks(frames, init, len(LOOKS))
        joints = [j for j in range(17) if j != HEAD]
        err = np.linalg.norm(six.joints2d - project_np(gt, six.K_per_frame()), axis=-1)
        both = np.isfinite(s) & np.isfinite(err) & keep[:, None]
        both[:, HEAD] = False
        rho = spearmanr(s[both], err[both])[0]
        pooled[0].extend(s[both] / np.nanmedian(s[both]))
        pooled[1].extend(err[both] / np.nanmedian(err[both]))
        print(f"{name}: spread median {np.nanmedian(s[:, joints]):.1f} px, 2D error median {np.nanmedian(err[both]):.1f} "
              f"px, Spearman {rho:+.2f}", flush=True)
        runs = {"without flow": refine(six, frames, config=off), "flowpose": refine(six, frames, config=config)}
        for sc in scales:
            w = 1.0 / (1.0 + (np.nan_to_num(s, nan=0.0) / (sc * np.nanmedian(s))) ** 2)
            weighed = replace(six, conf=(six.confidence() * w).astype(np.float32))
            runs[f"without flow, weighed s {sc:g}"] = refine(weighed, frames, config=off)
            runs[f"flowpose, weighed s {sc:g}"] = refine(weighed, frames, config=config)
        results.append(score_runs(name, runs, gt, keep))
    print(f"\nall pairs (each normalised by its medians): Spearman {spearmanr(*pooled)[0]:+.2f}")
    print_mean_table(results)


if __name__ == "__main__":
    main()
