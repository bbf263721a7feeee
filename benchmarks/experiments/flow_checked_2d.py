"""The detector's 2D checked against the flow: keypoints whose motion the flow contradicts down-weighted.

A keypoint the detector placed on the limb moves with the limb, so its motion from frame t to t + 1 is what the
flow says at it. One the detector placed off the limb (a jump, a guess on the background, the other arm) moves
otherwise. Per keypoint and frame, the disagreement

    d_t,j = ( |x_t,j + F_t(x_t,j) - x_t+1,j| + |x_t,j + B_t(x_t,j) - x_t-1,j| ) / 2     (px)

(forward flow F, backward flow B, DIS on the pose stage's person crops; one side alone at the video's ends or where
the other keypoint is unobserved) is turned into a weight

    w_t,j = 1 / (1 + (d_t,j / (s * median d))^2)

(median over the pair's keypoints, ``s`` = ``--scales``) that multiplies the keypoint's confidence, in L_2D and in
the 3D terms, as swap repair down-weights a swapped frame. ``--gates g`` instead leaves out (confidence 0) only the
keypoints whose disagreement exceeds g medians, the gross misses, and keeps the others as they are. The probe first prints how the disagreement ranks the
2D error against the held-out reference (Spearman's rho, and the AUC for errors over twice the pair's median).
Each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first) is then
refined without the flow term and with it, from the estimate as it is and with the checked confidences.

    python benchmarks/experiments/flow_checked_2d.py [--scales 1,3] [--gates 4] [--reference heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from scipy.stats import mannwhitneyu, spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real import HEAD, baseline_runs, experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402
from chain_error import chain_back  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.infer import compute_video_flow  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.flow.tracks import chain_flow  # noqa: E402
from flowpose.refinement.loop import pose_person_boxes  # noqa: E402


def disagreement(forward, backward, x: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(T, J) d_t,j of the module docstring, px; NaN where neither neighbour is observed. ``x`` (T, J, 2) px,
    ``seen`` (T, J) bool."""
    ahead, behind = np.full(x.shape[:2], np.nan), np.full(x.shape[:2], np.nan)
    step, _ = chain_flow(forward, torch.as_tensor(x[:-1]), 1)
    ahead[:-1] = np.linalg.norm(x[:-1] + step.numpy() - x[1:], axis=-1)
    ahead[:-1][~(seen[:-1] & seen[1:])] = np.nan
    back = chain_back(backward, torch.as_tensor(x[1:]), 1).numpy()  # frame t's keypoints carried to t - 1
    behind[1:] = np.linalg.norm(back - x[:-1], axis=-1)
    behind[1:][~(seen[1:] & seen[:-1])] = np.nan
    both = np.stack([ahead, behind])
    count = np.isfinite(both).sum(0)
    return np.where(count > 0, np.nansum(both, axis=0) / np.maximum(count, 1), np.nan)


def main() -> None:
    """Print the probe's ranking per pair, then refine every pair as it is and checked; print the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--scales", default="1,3", help="s: the weight's width in medians of the disagreement")
    p.add_argument("--gates", default="", help="g: keypoints disagreeing by more than g medians left out")
    args = p.parse_args()
    scales = [float(s) for s in args.scales.split(",") if s]
    gates = [float(g) for g in args.gates.split(",") if g]
    config = replace(get_preset("fast"), cycles=args.cycles)
    model = load_flow_model("dis")
    results, pooled = [], ([], [])
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        boxes = pose_person_boxes(init, frames.shape[1:3], config)
        field = compute_video_flow(model, frames, boxes=boxes, keep_backward=True)
        forward, backward = field.to_torch("cpu", torch.float64), field.reverse.to_torch("cpu", torch.float64)
        x = init.joints2d.astype(np.float64)
        conf = init.confidence()
        seen = np.isfinite(x).all(-1) & (conf > 0)
        d = disagreement(forward, backward, np.nan_to_num(x), seen)
        q = project_np(np.nan_to_num(gt, nan=1.0), init.K_per_frame())
        err = np.linalg.norm(x - q, axis=-1)
        scored = seen & np.isfinite(gt).all(-1) & keep[:, None] & np.isfinite(d)
        scored[:, HEAD] = False
        big = err[scored] > 2 * np.median(err[scored])
        auc = (f"{mannwhitneyu(d[scored][big], d[scored][~big]).statistic / (big.sum() * (~big).sum()):.2f}"
               if big.any() and not big.all() else "- (no error over twice the median)")
        print(f"{name}: 2D error median {np.median(err[scored]):.1f} px, disagreement median "
              f"{np.nanmedian(d[seen]):.1f} px, rho {spearmanr(d[scored], err[scored]).correlation:+.2f}, "
              f"AUC {auc}", flush=True)
        pooled[0].append(d[scored] / np.nanmedian(d[seen]))
        pooled[1].append(err[scored] / np.median(err[scored]))
        row = baseline_runs(init, frames, config)
        typical = np.nanmedian(d[seen])
        weights = {f"s {s:g}": np.where(np.isfinite(d), 1.0 / (1.0 + (d / (s * typical)) ** 2), 1.0) for s in scales}
        weights |= {f"gate {g:g}": np.where(np.isfinite(d) & (d > g * typical), 0.0, 1.0) for g in gates}
        for label, w in weights.items():
            checked = replace(init, conf=(conf * w).astype(np.float32))
            row[f"without flow, 2D checked, {label}"] = refine(checked, frames, config=NO_FLOW_RUNS["flow_off"](config))
            row[f"flowpose, 2D checked, {label}"] = refine(checked, frames, config=config)
        results.append(score_runs(name, row, gt, keep))
    d_all, e_all = np.concatenate(pooled[0]), np.concatenate(pooled[1])
    print(f"\npooled (each pair in its medians): rho {spearmanr(d_all, e_all).correlation:+.2f}")
    print_mean_table(results)


if __name__ == "__main__":
    main()
