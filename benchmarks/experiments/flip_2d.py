"""2D keypoints from MediaPipe on the mirrored frame: a second 2D, partly decorrelated from the 3D (#21).

The pose stage's L_2D follows MediaPipe's own 2D, whose errors go with its 3D (README, "What real video looks
like"); #21 asks whether an independent 2D detector does better, and none with weights can be installed
offline here. This is the nearest measurement that can be made: the same network on the horizontally mirrored
crop (flip test, as HRNet-style detectors use it), its landmarks mirrored back and left and right swapped. A
network is not exactly mirror-equivariant, so its mirrored answer errs partly apart from the unmirrored one; it
is not an independent detector (same weights, same training data).

For each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first),
MediaPipe looks again at a crop around the tracked person's keypoints (:func:`second_look`, what ``flowpose
estimate --mirrored-2d`` did before ``--looks``), once as it is (the control: same crop, same network) and once
mirrored; a look replaces a frame's 2D only where it found this person. The pair is then refined with the
default preset, with and without the flow term, its 3D as tracked and its 2D from the tracked estimate (the
default), the re-run, the mirrored look, or the mean of the tracked and the mirrored keypoints where both have
them (``averaged``: the flip test as 2D detectors use it, which averages the two looks' heatmaps). Printed: each 2D's error against the reference projected into the
view (px, and % of the reference's box height), and the refinements' MPJPE / PA-MPJPE; then, for ``--mirrored-2d``
against the default, the gain with a 95% interval over the pairs drawn again (2,000 draws; the pairs share one
clip, so the interval is narrower than another clip's figure would scatter) and the pairs it betters.

    python benchmarks/experiments/flip_2d.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, experiment_parser, paired_gain, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.estimate.looks import look_again  # noqa: E402


def second_look(frames, init, mirrored: bool = True):
    """``init`` with its 2D keypoints from MediaPipe's look at the crop around them (padded by a fourth of their
    box), mirrored or not, in the frames where it found this person (``flowpose.estimate.looks.look_again``), its
    3D kept; and the number of those frames. What ``--mirrored-2d`` did (fifteenth to forty-seventh sessions)."""
    look = look_again(frames, init, pad=0.25, mirrored=mirrored)
    joints2d = np.where(look.found[:, None, None], look.joints2d, init.joints2d)
    return replace(init, joints2d=joints2d.astype(np.float32)), int(look.found.sum())


def error_2d(joints2d: np.ndarray, gt: np.ndarray, K: np.ndarray, keep: np.ndarray) -> tuple[float, float]:
    """Mean 2D error (px, and % of the reference's median box height) of (T, 17, 2) keypoints against the (T, 17,
    3) reference projected with K, over the kept frames and the reference's joints but the head."""
    p = project_np(gt, K)
    joints = [j for j in range(17) if j != HEAD]
    e = np.linalg.norm(joints2d[keep][:, joints] - p[keep][:, joints], axis=-1)
    height = np.nanmedian(np.nanmax(p[keep][..., 1], 1) - np.nanmin(p[keep][..., 1], 1))
    mean = float(np.nanmean(e))
    return mean, 100 * mean / float(height)


def main() -> None:
    """Refine every pair with each 2D, print the 2D errors and the refinements."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    results, errors = [], {}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        own, n_own = second_look(frames, init, mirrored=False)
        flip, n_flip = second_look(frames, init, mirrored=True)
        print(f"{name}: the second look replaced the 2D in {n_own} frames (re-run), {n_flip} (mirrored), of "
              f"{int(keep.sum())} scored", flush=True)
        both = np.isfinite(init.joints2d).all(-1) & np.isfinite(flip.joints2d).all(-1)
        mean = np.where(both[..., None], 0.5 * (init.joints2d + flip.joints2d), init.joints2d)
        sources = {"tracked": init, "re-run": own, "mirrored": flip,
                   "averaged": replace(init, joints2d=mean.astype(np.float32))}
        line = []
        for key, poses in sources.items():
            px, pct = error_2d(poses.joints2d, gt, init.K, keep)
            errors.setdefault(key, []).append((px, pct))
            line.append(f"{key} {px:.1f} px ({pct:.2f}%)")
        print(f"{name} 2D error: " + ", ".join(line), flush=True)
        row = {}
        for key, poses in sources.items():
            row["without flow" if key == "tracked" else f"without flow, 2D {key}"] = refine(
                poses, frames, config=NO_FLOW_RUNS["flow_off"](config))
            row[f"flowpose, 2D {key}"] = refine(poses, frames, config=config)
        results.append(score_runs(name, row, gt, keep))
    print("\n| 2D | error px | % of box height |\n|---|---|---|")
    for key, v in errors.items():
        print(f"| {key} | {np.mean([e[0] for e in v]):.1f} | {np.mean([e[1] for e in v]):.2f} |")
    print_mean_table(results)
    print_paired_gain(results, "flowpose, 2D mirrored", "flowpose, 2D tracked")


def print_paired_gain(results: list[dict[str, dict[str, float]]], run: str, against: str) -> None:
    """``run``'s MPJPE and PA-MPJPE against ``against``'s (mean over the pairs), with a 95% percentile interval over
    the pairs drawn again, and how many pairs it betters."""
    for metric in ("mpjpe", "pa_mpjpe"):
        gain, low, high, better = paired_gain(results, run, against, metric)
        print(f"{run} against {against}, {metric}: {gain:+.1f}% (95% over the pairs: {low:+.1f}% to {high:+.1f}%), "
              f"better on {better} of {len(results)} pairs")


if __name__ == "__main__":
    main()
