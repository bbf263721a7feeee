"""The flow's trust from the images themselves: does L_opt gain when a pixel whose flow does not carry its
appearance to the next frame counts less?

The diagnosis of the thirty-ninth to forty-fourth sessions: on fast, blurred limbs DIS lags, and its backward flow
lags alike, so the forward-backward check (the only trust L_opt has, c^F) passes the lag. A lagging flow carries a
limb pixel of frame t onto what is behind the limb in frame t + 1, which looks different. So here c^F is also
multiplied by a photometric trust,

    e_t(x) = mean over a (2r+1)^2 window of |g_t(x) - g_{t+1}(x + F_t(x))|      (grey levels 0-255, on the flow's grid)
    c^P_t(x) = exp(-(e_t(x) / sigma)^2),

with g the grey crop of each frame on the pair's grid (the crops the flow was computed on) and g_{t+1} sampled
bilinearly; the backward flow's trust likewise with the roles swapped. Only the flow's confidence changes: the 2D,
the 3D and every other term are the same in every run.

Each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first) is refined
without the flow term, with the flow as it is (flowpose), and with the photometric trust, one run per ``--sigma``.

    python benchmarks/experiments/photometric_trust.py [--sigma 8,16,32] [--radius 2] [--reference heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import baseline_runs, experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

import flowpose.refinement.flow_stage as flow_stage  # noqa: E402
from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.crop import crop_to_grid  # noqa: E402
from flowpose.flow.field import FlowField  # noqa: E402

ORIGINAL = flow_stage.compute_video_flow


def grey(image: np.ndarray) -> np.ndarray:
    """(h, w, 3) RGB, any numeric dtype -> (h, w) float32 grey levels."""
    return cv2.cvtColor(np.clip(image, 0, 255).astype(np.float32), cv2.COLOR_RGB2GRAY)


def mismatch(source: np.ndarray, target: np.ndarray, flow_grid: np.ndarray, radius: int) -> np.ndarray:
    """e(x) of the module docstring: (h, w) grey levels, for (h, w) grey ``source`` and ``target`` and (h, w, 2)
    flow in grid pixels; where x + F(x) leaves the grid, the nearest edge pixel (and c^F is 0 there anyway)."""
    h, w = source.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(target, xs + flow_grid[..., 0], ys + flow_grid[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return cv2.blur(np.abs(source - warped), (2 * radius + 1, 2 * radius + 1))


def photometric_trust(frames, field: FlowField, sigma: float, radius: int) -> FlowField:
    """``field`` (and its reverse) with every confidence multiplied by c^P (module docstring)."""
    conf = field.confidence.copy()
    back = field.reverse
    back_conf = back.confidence.copy() if back is not None else None
    size = field.flow.shape[1:3]
    for p in range(field.num_pairs):
        g1 = grey(crop_to_grid(np.asarray(frames[p]), field.origin[p], float(field.scale[p]), size))
        g2 = grey(crop_to_grid(np.asarray(frames[p + 1]), field.origin[p], float(field.scale[p]), size))
        conf[p] *= np.exp(-(mismatch(g1, g2, field.flow[p] / field.scale[p], radius) / sigma) ** 2)
        if back is not None:
            back_conf[p] *= np.exp(-(mismatch(g2, g1, back.flow[p] / back.scale[p], radius) / sigma) ** 2)
    reverse = replace(back, confidence=back_conf) if back is not None else None
    return replace(field, confidence=conf, reverse=reverse)


def trusting(sigma: float, radius: int):
    """``compute_video_flow`` with the photometric trust applied to what it returns."""
    def compute(model, frames, **options):
        return photometric_trust(frames, ORIGINAL(model, frames, **options), sigma, radius)
    return compute


def main() -> None:
    """Refine every pair with and without the photometric trust; print the per-pair scores and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--sigma", default="8,16,32", help="grey levels, comma-separated")
    p.add_argument("--radius", type=int, default=2, help="the mismatch window's half-size, grid pixels")
    args = p.parse_args()
    sigmas = [float(s) for s in args.sigma.split(",") if s]
    config = replace(get_preset("fast"), cycles=args.cycles)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        row = baseline_runs(init, frames, config)
        for sigma in sigmas:
            flow_stage.compute_video_flow = trusting(sigma, args.radius)
            try:
                row[f"flowpose, photometric trust, sigma {sigma:g}"] = refine(init, frames, config=config)
            finally:
                flow_stage.compute_video_flow = ORIGINAL
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
