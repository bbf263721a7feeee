"""Does a flow-compensated filter of the detector's 2D keypoints beat a plain smoother? Against a reference.

Each 2D keypoint of frame t is estimated again from the keypoints of frames t - K .. t + K, each carried to frame
t along the DIS flow (the backward flow chained from later frames, the forward flow from earlier ones,
:func:`flowpose.flow.tracks.chain_flow`), weighted by the keypoint's confidence, the chain's confidence and a
Gaussian of width sigma in the span: the way video pose networks pool heatmaps warped by the flow. The window is
symmetric, so a flow that moves a limb by a share s of its motion errs by (1 - s) times the motion from either
side, in opposite directions: the lag cancels to first order under constant velocity. Beside it, the same
keypoints smoothed by a confidence-weighted Gaussian in time.

Printed: per view-person pair of the real set (``bench_real.py --estimates tracked --everyone`` first), the mean
2D error (px) of the scored, observed keypoints against the reference's projection, raw, smoothed and fused;
then their means over the pairs. DIS runs on the pose stage's person crops at their own resolution.

    python benchmarks/experiments/fused_keypoints.py [--reference heldout] [--window 24] [--sigmas 1,2,3,6,10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real import REFERENCES, REPO, tracked_pairs  # noqa: E402
from chain_error import chain_back  # noqa: E402

from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.infer import compute_video_flow  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.flow.tracks import chain_flow  # noqa: E402
from flowpose.refinement.loop import pose_person_boxes  # noqa: E402


def carried_keypoints(forward, backward, x: np.ndarray, c: np.ndarray, window: int) -> dict[int, tuple]:
    """Span j -> (frame t's keypoints as carried from frame t + j (T, J, 2) px, their weights (T, J)), j in
    -window .. window; weight 0 where t + j lies outside the video."""
    out = {0: (x, c)}
    for k in range(1, window + 1):
        back = chain_back(backward, torch.as_tensor(x[k:]), k).numpy()  # from t + k to t
        _, c_back = chain_flow(forward, torch.as_tensor(back), k)  # the chain checked forward again
        later, w_later = np.zeros_like(x), np.zeros_like(c)
        later[:-k], w_later[:-k] = back, c[k:] * c_back.numpy()
        d, c_fwd = chain_flow(forward, torch.as_tensor(x[:-k]), k)  # from t - k to t
        earlier, w_earlier = np.zeros_like(x), np.zeros_like(c)
        earlier[k:], w_earlier[k:] = x[:-k] + d.numpy(), c[:-k] * c_fwd.numpy()
        out[k], out[-k] = (later, w_later), (earlier, w_earlier)
    return out


def fused(carried: dict[int, tuple], sigma: float) -> np.ndarray:
    """(T, J, 2) the weighted mean of the carried keypoints, a Gaussian of width ``sigma`` frames in the span."""
    num, den = 0.0, 0.0
    for j, (points, weight) in carried.items():
        w = np.exp(-0.5 * (j / sigma) ** 2) * weight
        num, den = num + points * w[..., None], den + w
    return num / np.maximum(den, 1e-9)[..., None]


def smoothed(x: np.ndarray, c: np.ndarray, sigma: float) -> np.ndarray:
    """(T, J, 2) confidence-weighted Gaussian smoothing in time."""
    num = gaussian_filter1d(x * c[..., None], sigma, axis=0, mode="nearest")
    den = gaussian_filter1d(c, sigma, axis=0, mode="nearest")[..., None]
    return num / np.maximum(den, 1e-9)


def main() -> None:
    """Print the 2D errors per pair and their means."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--reference", choices=REFERENCES, default="heldout")
    p.add_argument("--window", type=int, default=24, help="K: frames carried from either side")
    p.add_argument("--sigmas", default="1,2,3,6,10", help="Gaussian widths, frames, comma-separated")
    args = p.parse_args()
    sigmas = [float(s) for s in args.sigmas.split(",")]
    config = get_preset("fast")
    model = load_flow_model("dis")
    columns = ["raw"] + [f"gauss {s:g}" for s in sigmas] + [f"fused {s:g}" for s in sigmas]
    print("| pair | " + " | ".join(columns) + " |\n|" + "---|" * (len(columns) + 1))
    table = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        boxes = pose_person_boxes(init, frames.shape[1:3], config)
        field = compute_video_flow(model, frames, boxes=boxes, keep_backward=True)
        forward, backward = field.to_torch("cpu", torch.float64), field.reverse.to_torch("cpu", torch.float64)
        q = project_np(np.nan_to_num(gt, nan=1.0), init.K_per_frame())
        x = init.joints2d.astype(np.float64)
        c = np.where(np.isfinite(x).all(-1), init.conf, 0.0)
        x = np.nan_to_num(x)
        scored = (c > 0) & np.isfinite(gt).all(-1) & keep[:, None]
        carried = carried_keypoints(forward, backward, x, c, args.window)
        estimates = [x] + [smoothed(x, c, s) for s in sigmas] + [fused(carried, s) for s in sigmas]
        row = [float(np.linalg.norm(e - q, axis=-1)[scored].mean()) for e in estimates]
        table.append(row)
        print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in row) + " |", flush=True)
    print("| mean | " + " | ".join(f"{v:.2f}" for v in np.mean(table, axis=0)) + " |")


if __name__ == "__main__":
    main()
