"""Two priors of the pose stage tried again on the real set, each with and without flow (#19, thirty-sixth session).

1. Left/right symmetry of the bone lengths. L_bone keeps each bone's length constant over the video, not equal to
   its mirror's; MediaPipe's left and right bones differ by a factor of 1.00 to 1.08 on the real set. Added here:
   ``ratio * mean_pairs (lbar_left - lbar_right)^2`` (mm^2, the mean lengths of the six mirrored bone pairs: hip,
   thigh, shin, shoulder, upper arm, forearm), in L_bone's units, at ``sigma`` mm (``ratio = 10^2 / sigma^2``:
   L_bone's own sigma is 10 mm). Patched in for the run, not a package option.
2. The acceleration prior's strength (``PoseStageConfig.w_acc`` scaled), with the flow and without; and with
   ``flow_aware_acc`` (the prior centred on the acceleration the flow observed): does the flow earn more where the
   smoothness prior is weaker, so that observed motion can replace it?

Each pair of the real set (``bench_real.py --estimates tracked --everyone`` first, which caches the tracked
estimates) is refined every way; the table gives the means over the 8 pairs and each run against the default
without flow (swaps repaired by continuity, the 3% target's baseline).

    python benchmarks/experiments/pose_priors.py [--reference all|heldout] [--sigmas 10,30] [--acc-scales 0.25,0.5]
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from unittest import mock

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import flow_off_continuity  # noqa: E402
from flowpose.config import RefineConfig, get_preset  # noqa: E402
from flowpose.refinement import objective  # noqa: E402
from flowpose.refinement.body_losses import bone_length_loss, bone_lengths  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

MIRRORED = (("r_hip", "l_hip"), ("r_knee", "l_knee"), ("r_ankle", "l_ankle"), ("r_shoulder", "l_shoulder"),
            ("r_elbow", "l_elbow"), ("r_wrist", "l_wrist"))
"""Each bone named by its child joint, right then left."""


def mirrored_bones() -> torch.Tensor:
    """(6, 2) long: the indices into ``H36M17.bones`` of each right bone and its left mirror."""
    child = {c: b for b, (_, c) in enumerate(H36M17.bones)}
    return torch.tensor([[child[H36M17.index(r)], child[H36M17.index(left)]] for r, left in MIRRORED])


def with_symmetry(sigma_mm: float):
    """``bone_length_loss`` plus the symmetry of the mean lengths of the mirrored bones, at ``sigma_mm``."""
    pairs, ratio = mirrored_bones(), 10.0**2 / sigma_mm**2

    def loss(X: torch.Tensor, bones: torch.Tensor) -> torch.Tensor:
        mean = bone_lengths(X, bones).mean(0)  # (B,) mm
        d = mean[pairs[:, 0]] - mean[pairs[:, 1]]
        return bone_length_loss(X, bones) + ratio * (d * d).mean()

    return loss


def main() -> None:
    """Refine every pair every way and print the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--sigmas", default="10,30", help="symmetry sigmas, mm, comma-separated ('' for none)")
    p.add_argument("--acc-scales", default="0.25,0.5", help="factors of w_acc, comma-separated ('' for none)")
    args = p.parse_args()
    base = replace(get_preset("fast"), cycles=args.cycles)
    runs: dict[str, tuple[RefineConfig, float | None, bool]] = {}  # name -> config, symmetry sigma, flow-free too
    for s in filter(None, args.sigmas.split(",")):
        runs[f"symmetry {s} mm"] = (base, float(s), True)
    for k in filter(None, args.acc_scales.split(",")):
        weaker = replace(base.pose, w_acc=base.pose.w_acc * float(k))
        runs[f"acc x{k}"] = (replace(base, pose=weaker), None, True)
        runs[f"acc x{k}, flow-aware"] = (replace(base, pose=replace(weaker, flow_aware_acc=True)), None, False)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        refined = {"without flow": refine(init, frames, config=flow_off_continuity(base)),
                   "flowpose": refine(init, frames, config=base)}
        for label, (config, sigma, flow_free) in runs.items():
            with mock.patch.object(objective, "bone_length_loss", with_symmetry(sigma)) if sigma else nullcontext():
                if flow_free:
                    refined[f"without flow, {label}"] = refine(init, frames, config=flow_off_continuity(config))
                refined[f"flowpose, {label}"] = refine(init, frames, config=config)
        results.append(score_runs(name, refined, gt, keep))
    print_mean_table(results, baseline="without flow")


if __name__ == "__main__":
    main()
