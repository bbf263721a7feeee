"""Does the flow's moving region place a limb across its axis better than the detector's 2D? On the real set.

The real set's 2D error is mostly a bias that moves with the limb (``real_error_parts.py``, ``fused_keypoints.py``),
which no motion cue can see. The flow's one absolute cue is where the motion is: with a still camera, a moving
limb is a band of flow unlike the background's. For each limb segment of the estimate's 2D (forearm, shin, upper
arm, thigh; both sides) in each frame t, the forward DIS flow F_t (on the pose stage's person crops) is read on a
profile across the segment, through its midpoint, from -0.6 to +0.6 bone lengths, averaged over five points
along the segment (-0.3 .. 0.3 bone lengths from the midpoint). Two guesses of the limb's axis on the profile:

- *motion centroid*: the mean offset weighted by |f(s) - f_bg|, the background f_bg being the median flow of the
  profile's outer 8 samples on either side;
- *edge pair*: the offset whose two flanks at ±w/2 (w from 0.2 to 0.4 bone lengths) have the largest sum of the
  flow's gradient along the profile (the limb's two motion boundaries).

Each is compared with the held-out reference's projected midpoint, across the segment (px), on the frames where
the profile moves (the largest |f - f_bg| over ``--min-motion`` px) and both keypoints are observed. Printed:
the across-limb error of the detector, of each guess, and of the detector moved half-way to the centroid (median
/ mean px), and the correlation of the detector's across error with the centroid's offset (+1 if the centroid
pointed at the limb's true axis). ``--shift S`` first moves every segment of the detector S bone lengths
across itself (a known error, added to the one it has): a cue that finds the limb brings it back.

    python benchmarks/experiments/flow_silhouette.py [--min-motion 2] [--shift 0.3] [--reference heldout]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, tracked_pairs  # noqa: E402

from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.field import FlowTensors  # noqa: E402
from flowpose.flow.infer import compute_video_flow  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.refinement.loop import pose_person_boxes  # noqa: E402

SEGMENTS = {"forearm": ((12, 13), (15, 16)), "shin": ((2, 3), (5, 6)), "upper arm": ((11, 12), (14, 15)),
            "thigh": ((1, 2), (4, 5))}
"""Limb segments, (parent, child) H36M-17 joints of the left and the right side."""
ACROSS = np.linspace(-0.6, 0.6, 61)
"""The profile's offsets across the segment, bone lengths."""
ALONG = np.array([-0.3, -0.15, 0.0, 0.15, 0.3])
"""The offsets along the segment the profile is averaged over, bone lengths."""
OUTER = 8
"""Samples at either end of the profile that give the background's flow."""
WIDTHS = (0.2, 0.25, 0.3, 0.35, 0.4)
"""The limb widths the edge pair tries, bone lengths."""


def segment_axes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For (T', 2) px endpoints of segments a -> b: the unit direction (T', 2), the unit normal (T', 2), rotated a
    quarter turn from it, and the length (T',) px."""
    v = b - a
    length = np.linalg.norm(v, axis=-1)
    u = v / np.maximum(length, 1e-6)[:, None]
    return u, np.stack([-u[:, 1], u[:, 0]], -1), length


def profiles(forward: FlowTensors, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The flow across segments a -> b, (T - 1, S, 2) px, averaged along the segment, for (T - 1, 2) px endpoints
    in frames 0 .. T - 2 (offsets along :func:`segment_axes`' normal)."""
    u, n, length = segment_axes(a, b)
    scale = length[:, None, None, None]
    points = ((a + b) / 2)[:, None, None] + ACROSS[None, :, None, None] * scale * n[:, None, None] \
        + ALONG[None, None, :, None] * scale * u[:, None, None]
    flow, _ = forward.sample(torch.as_tensor(points.reshape(len(a), -1, 2)))
    return flow.numpy().reshape(len(a), len(ACROSS), len(ALONG), 2).mean(2)


def axis_guesses(profile: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From (T', S, 2) profiles: the motion centroid (T',) and the edge pair's centre (T',), bone lengths, and the
    largest motion off the background (T',) px."""
    ends = np.concatenate([profile[:, :OUTER], profile[:, -OUTER:]], 1)
    mass = np.linalg.norm(profile - np.median(ends, axis=1)[:, None], axis=-1)
    centroid = (mass * ACROSS).sum(1) / np.maximum(mass.sum(1), 1e-9)
    grad = np.zeros_like(mass)
    grad[:, 1:-1] = np.linalg.norm(profile[:, 2:] - profile[:, :-2], axis=-1) / 2
    best, best_score = np.zeros(len(profile)), np.full(len(profile), -1.0)
    step = ACROSS[1] - ACROSS[0]
    for w in WIDTHS:
        h = int(round(w / 2 / step))
        for i in range(h, len(ACROSS) - h):
            score = grad[:, i - h] + grad[:, i + h]
            better = score > best_score
            best_score[better], best[better] = score[better], ACROSS[i]
    return centroid, best, mass.max(1)


def main() -> None:
    """Print the across-limb errors per segment kind, pooled over the pairs."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--min-motion", type=float, default=2.0, help="px: profiles moving less are not scored")
    p.add_argument("--shift", type=float, default=0.0, help="bone lengths: the detector's segments moved across")
    args = p.parse_args()
    config = get_preset("fast")
    model = load_flow_model("dis")
    pooled: dict[str, list[np.ndarray]] = {k: [] for k in SEGMENTS}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        boxes = pose_person_boxes(init, frames.shape[1:3], config)
        forward = compute_video_flow(model, frames, boxes=boxes).to_torch("cpu", torch.float64)
        q = project_np(np.nan_to_num(gt, nan=1.0), init.K_per_frame())[:-1]
        x, conf = np.nan_to_num(init.joints2d.astype(np.float64))[:-1], init.confidence()[:-1]
        for kind, sides in SEGMENTS.items():
            for a, b in sides:
                _, n, length = segment_axes(x[:, a], x[:, b])
                moved = args.shift * length[:, None] * n
                xa, xb = x[:, a] + moved, x[:, b] + moved
                centroid, edges, motion = axis_guesses(profiles(forward, xa, xb))
                true = (((q[:, a] + q[:, b]) - (xa + xb)) / 2 * n).sum(-1)  # px, across
                used = (keep[:-1] & (conf[:, a] > 0) & (conf[:, b] > 0) & np.isfinite(gt[:-1, [a, b]]).all((-1, -2))
                        & (motion > args.min_motion) & (length > 20))
                pooled[kind].append(np.stack([true, centroid * length, edges * length], -1)[used])
        print(f"{name}: " + ", ".join(f"{k} {sum(len(v) for v in pooled[k])}" for k in SEGMENTS) + " profiles so far",
              flush=True)
    print("\n| segment | profiles | detector px | motion centroid px | half-way to it px | edge pair px | "
          "corr(detector's error, centroid) |\n|---|---|---|---|---|---|---|")
    for kind in SEGMENTS:
        true, centroid, edges = np.concatenate(pooled[kind]).T
        cells = [np.abs(e) for e in (true, true - centroid, true - centroid / 2, true - edges)]
        print(f"| {kind} | {len(true)} | " + " | ".join(f"{np.median(c):.1f} / {c.mean():.1f}" for c in cells)
              + f" | {np.corrcoef(true, centroid)[0, 1]:+.2f} |")


if __name__ == "__main__":
    main()
