"""Which part of the error is left on the real set: the same all video, or frame to frame; in the image or in depth.

``smpl_error_parts.py`` split the SMPL refinement's error on the generated model; this is the same split on the
real development set (``bench_real.py --estimates tracked --everyone`` first, which caches each pair's tracked
estimate). For each of the 8 view-person pairs, the root-aligned joint error e_t,j (camera frame of the view,
over the scored frames and the joints the pseudo ground truth has, never the head, as ``bench_real.py`` scores
MPJPE) is split into

    bias_j = mean_t e_t,j        (the same all video)
    noise_t,j = e_t,j - bias_j   (frame to frame), in the image plane (x, y) and in depth (z)

for the estimate, flowpose without flow and flowpose, and printed as the mean length of each part over the
pairs, mm. The image-plane noise is split once more by its pace: its *slow* part is the noise smoothed in time
(Gaussian, sigma ``SLOW_SIGMA`` frames, over the scored frames in order), its *fast* part the rest. The fast part
is what the flow between neighbouring frames sees; the slow part changes too little from one frame to the next,
and only correspondences over longer spans show it. The row ``without flow, its noise in the image plane taken out`` sets that part of the no-flow run's
error to zero: about the most any 2D motion cue (any flow, over any span) could add to the pose stage without
flow, the rest as it was. The pseudo ground truth is triangulated from MediaPipe and filtered in time: its own
error (a few cm) is in these parts too, mostly in the bias.

    python benchmarks/experiments/real_error_parts.py [--views cam01,cam02,cam03,cam04] [--cycles 3] [--reference all|heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, experiment_parser, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402

CEILING = "without flow, its noise in the image plane taken out"
SLOW_SIGMA = 10.0
"""Frames (about 170 ms at the clip's 60 fps): the Gaussian that separates slow from fast noise."""


def slow(x: np.ndarray, sigma: float = SLOW_SIGMA) -> np.ndarray:
    """(n, J, D) smoothed along the first axis by a Gaussian of ``sigma`` samples, NaN entries left out of the
    average (normalised convolution) and kept NaN."""
    ok = np.isfinite(x)
    num = gaussian_filter1d(np.where(ok, x, 0.0), sigma, axis=0, mode="nearest")
    den = gaussian_filter1d(ok.astype(float), sigma, axis=0, mode="nearest")
    return np.where(ok, num / np.maximum(den, 1e-9), np.nan)


def split_error(e: np.ndarray, flat: bool = False, sigma: float = SLOW_SIGMA) -> np.ndarray:
    """(7,) mm: MPJPE, bias, noise, noise in the image plane (all, slow, fast), noise in depth (module docstring)
    of (n, J, 3) root-aligned camera-frame joint errors, m, in time order (NaN where a joint is not scored).
    ``flat``: with the noise in the image plane taken out first; ``sigma``: the slow part's Gaussian, samples."""
    bias = np.nanmean(e, axis=0, keepdims=True)
    noise = e - bias
    if flat:
        e = e.copy()
        e[..., :2] = np.where(np.isfinite(e[..., :2]), bias[..., :2], np.nan)
        noise[..., :2] = np.where(np.isfinite(noise[..., :2]), 0.0, np.nan)
    image_slow = slow(noise[..., :2], sigma)
    parts = (np.linalg.norm(e, axis=-1), np.linalg.norm(np.broadcast_to(bias, e.shape), axis=-1),
             np.linalg.norm(noise, axis=-1), np.linalg.norm(noise[..., :2], axis=-1),
             np.linalg.norm(image_slow, axis=-1), np.linalg.norm(noise[..., :2] - image_slow, axis=-1),
             np.abs(noise[..., 2]))
    valid = np.isfinite(parts[0])
    return 1000 * np.array([p[valid].mean() for p in parts])


def error_parts(joints: np.ndarray, gt: np.ndarray, keep: np.ndarray, flat: bool = False) -> np.ndarray:
    """:func:`split_error` of (T, 17, 3) camera-frame joints against the pseudo ground truth on the ``keep``
    frames, over the joints it has (never the head), as ``bench_real.py`` scores MPJPE."""
    scored = [k for k in range(17) if k != HEAD]
    return split_error(((joints - joints[:, :1]) - (gt - gt[:, :1]))[keep][:, scored], flat)


def print_means(columns: tuple[str, ...], rows: dict[str, list[np.ndarray]], digits: tuple[int, ...] = ()) -> None:
    """A markdown table: each run's mean over its clips of each column, with ``digits`` decimals per column
    (1 where not given)."""
    print("| run | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns))
    for run, values in rows.items():
        m = np.mean(values, axis=0)
        cells = (f"{v:.{digits[i] if i < len(digits) else 1}f}" for i, v in enumerate(m))
        print(f"| {run} | " + " | ".join(cells) + " |")


def main() -> None:
    """Refine every pair with and without flow and print the split."""
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    rows: dict[str, list[np.ndarray]] = {}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        off = refine(init, frames, config=NO_FLOW_RUNS["flow_off"](config)).poses.joints3d
        full = refine(init, frames, config=config).poses.joints3d
        found = {"estimate": error_parts(init.joints3d, gt, keep), "without flow": error_parts(off, gt, keep),
                 CEILING: error_parts(off, gt, keep, flat=True), "flowpose": error_parts(full, gt, keep)}
        for run, parts in found.items():
            rows.setdefault(run, []).append(parts)
        print(f"{name}: " + ", ".join(f"{run} {p[0]:.1f} (bias {p[1]:.1f})" for run, p in found.items()), flush=True)
    print(f"\n## Error parts on the real set, mean of {len(rows['estimate'])} view-person pairs, "
          f"{args.cycles} cycles\n")
    print_means(("MPJPE mm", "bias mm", "noise mm", "noise in the image plane mm", "of it slow", "of it fast",
                 "noise in depth mm"), rows)


if __name__ == "__main__":
    main()
