"""About which point should L_3D compare the pose with the estimate? The real set, four centres, and why.

Until the thirty-fifth session L_3D's relative term was taken about the pelvis and its lateral term held the
pelvis across its viewing ray; on real video the refined pelvis came 16-53 mm off the hips. This experiment
(``bench_real.py --estimates tracked --everyone`` first, which caches each pair's tracked estimate) prints:

1. how far across the truth's viewing ray each estimate's pelvis and the centroid of its joints lie from the
   truth's (median over the scored frames): the point an anchor should hold is the one the estimate places well;
2. the gradient of each term of L_pose on the pelvis, and on the hips' mean, at the solution about the pelvis
   without flow (``--gradients PAIR``, cam04/p0 by default): which terms pull the pelvis off its hips;
3. each pair refined with and without flow (swaps repaired by continuity, the 3% target's baseline), L_3D about: the pelvis (``pose3d_centre="root"``), the hip midpoint,
   the centroid for the relative term with the lateral term on the pelvis, and the centroid (the default); with
   the mean distance of the refined pelvis from the refined hips' midpoint.

    python benchmarks/experiments/l3d_centre.py [--reference all|heldout] [--views ...] [--gradients cam04/p0]
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import flow_off_continuity  # noqa: E402
from flowpose.config import RefineConfig, get_preset  # noqa: E402
from flowpose.refinement import objective, optimize  # noqa: E402
from flowpose.refinement.loop import pose_stage_config  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

HIPS = (H36M17.index("l_hip"), H36M17.index("r_hip"))


def lateral_error_mm(points: np.ndarray, truth: np.ndarray) -> float:
    """Median distance (mm) across the truth's viewing ray between (T, 3) points and the truth's (T, 3)."""
    ray = truth / np.linalg.norm(truth, axis=-1, keepdims=True)
    d = points - truth
    return float(np.median(np.linalg.norm(d - (d * ray).sum(-1, keepdims=True) * ray, axis=-1)) * 1000.0)


def anchor_errors(estimate: np.ndarray, truth: np.ndarray, frames: np.ndarray) -> tuple[float, float]:
    """The estimate's pelvis and the centroid of its joints (those both poses have) across the ray from the
    truth's, median mm over the ``frames`` (T,) bool where both have the pelvis."""
    both = np.isfinite(estimate).all(-1) & np.isfinite(truth).all(-1)
    keep = np.flatnonzero(frames & both[:, 0])
    centroid = lambda X: np.stack([X[t, both[t]].mean(0) for t in keep])  # noqa: E731
    return (lateral_error_mm(estimate[keep, 0], truth[keep, 0]),
            lateral_error_mm(centroid(estimate), centroid(truth)))


def pelvis_off_hips_mm(X: np.ndarray) -> float:
    """Mean distance (mm) of the pelvis from the hips' midpoint over the frames of (T, 17, 3) joints."""
    return float(np.nanmean(np.linalg.norm(X[:, 0] - X[:, list(HIPS)].mean(1), axis=-1)) * 1000.0)


def about_hips(build=optimize.build_pose_problem):
    """``build_pose_problem`` with the hip midpoint as the problem's root (for ``pose3d_centre="root"``)."""
    return lambda init, config, device: replace(build(init, config, device), root=HIPS)


def rel_about_centroid(losses=objective.pose3d_losses):
    """``pose3d_losses`` with the relative term about the centroid and the position terms on the root."""

    def split(X, X_init, conf, *, root, delta_mm, penalty):
        centred = losses(X, X_init, conf, root=None, delta_mm=delta_mm, penalty=penalty)
        rooted = losses(X, X_init, conf, root=root, delta_mm=delta_mm, penalty=penalty)
        return replace(rooted, rel=centred.rel)

    return split


def gradients(init, frames, config: RefineConfig) -> None:
    """Print each term's gradient on the pelvis and on the hips' mean at the solution without flow."""
    X = torch.tensor(np.asarray(refine(init, frames, config=config).poses.joints3d), requires_grad=True)
    pose = pose_stage_config(init, frames.shape[1:3], config)
    problem = objective.build_pose_problem(init, pose, torch.device("cpu"))
    for name, value in objective.pose_terms(X, problem, pose, None).items():
        if not value.requires_grad:
            continue
        (g,) = torch.autograd.grad(value, X, retain_graph=True)
        pelvis, hips = g[:, 0].mean(0) * 1e3, g[:, list(HIPS)].mean((0, 1)) * 1e3
        print(f"  {name:7s} on the pelvis {np.round(pelvis.numpy(), 1)}, on the hips' mean {np.round(hips.numpy(), 1)}")
    print(f"  the pelvis off the hips' midpoint: {pelvis_off_hips_mm(X.detach().numpy()):.1f} mm (mean over frames)")


def main() -> None:
    """Anchors, gradients, and the four centres on every pair."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--gradients", default="cam04/p0", help="the pair whose gradients are printed ('' for none)")
    args = p.parse_args()
    base = replace(get_preset("fast"), cycles=args.cycles)
    rooted = replace(base, pose=replace(base.pose, pose3d_centre="root"))
    centres = {
        "pelvis": (rooted, None),
        "hip midpoint": (rooted, mock.patch.object(optimize, "build_pose_problem", about_hips())),
        "centroid rel, pelvis lateral": (rooted, mock.patch.object(objective, "pose3d_losses", rel_about_centroid())),
        "centroid": (base, None),
    }
    results, anchors, offsets = [], [], {}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        anchors.append(anchor_errors(np.asarray(init.joints3d, np.float64), gt, keep))
        print(f"{name}: across the ray, the estimate's pelvis {anchors[-1][0]:.1f} mm, its centroid "
              f"{anchors[-1][1]:.1f} mm", flush=True)
        if name == args.gradients:
            print(f"{name}, L_3D about the pelvis, without flow, gradients x 1e3 at the solution (x, y, z):")
            gradients(init, frames, flow_off_continuity(rooted))
        runs = {}
        for centre, (config, patch) in centres.items():
            with patch if patch is not None else nullcontext():
                runs[f"without flow, {centre}"] = refine(init, frames, config=flow_off_continuity(config))
                runs[f"flowpose, {centre}"] = refine(init, frames, config=config)
        for run, result in runs.items():
            offsets.setdefault(run, []).append(pelvis_off_hips_mm(np.asarray(result.poses.joints3d)))
        results.append(score_runs(name, runs, gt, keep))
    pelvis, centroid = np.mean(anchors, axis=0)
    print(f"\nacross the ray, mean of the pairs' medians: the estimate's pelvis {pelvis:.1f} mm, its centroid "
          f"{centroid:.1f} mm")
    print("the refined pelvis off the hips' midpoint, mm, per pair (mean over frames):")
    for run, values in offsets.items():
        print(f"  {run}: " + ", ".join(f"{v:.1f}" for v in values))
    print_mean_table(results, baseline="without flow, pelvis")


if __name__ == "__main__":
    main()
