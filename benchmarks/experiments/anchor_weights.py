"""Does the flow take more of the error when the per-frame anchors are weaker? The real set, with and without flow.

``real_error_parts.py`` found that the flow takes 3.1 mm of the 40.8 mm of frame-to-frame error in the image plane
that the pose stage without flow leaves, though a perfect 2D motion cue could take all of it (-9.1% MPJPE). The
per-frame anchors, the 2D keypoints (L_2D) and the 3D estimate (L_3D's root-relative part), err together with the
estimate on real video and hold each frame where it was. Here both are scaled down (``PoseStageConfig.w_2d``,
``w_3d_rel`` times each ``--scales`` value), and each of the 8 view-person pairs of the real set
(``bench_real.py --estimates tracked --everyone`` first) is refined with and without flow at each scale: the flow
term's gain is the with-flow run against the without-flow run of the same anchors. ``--sigmas`` sets the two
anchors' scales instead, as ``sigma_2d:sigma_3d`` pairs (px and mm; the default is 2:60, w = 1 / sigma^2), e.g.
the optimum of ``tune_pose_stage.py --profiles mediapipe`` on the realistic profile's tuning clip.

    python benchmarks/experiments/anchor_weights.py [--scales 0.25] [--sigmas 1.5:200,2:200] [--views ...]
        [--reference all|heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import RefineConfig, get_preset  # noqa: E402


def anchored(config: RefineConfig, scale: float) -> RefineConfig:
    """``config`` with the 2D and the root-relative 3D weights times ``scale``."""
    pose = config.pose
    return replace(config, pose=replace(pose, w_2d=pose.w_2d * scale, w_3d_rel=pose.w_3d_rel * scale))


def with_sigmas(config: RefineConfig, sigma_2d: float, sigma_3d: float) -> RefineConfig:
    """``config`` with w_2d = 1 / sigma_2d^2 (px) and the root-relative w_3d_rel = 1 / sigma_3d^2 (mm)."""
    return replace(config, pose=replace(config.pose, w_2d=sigma_2d**-2, w_3d_rel=sigma_3d**-2))


def main() -> None:
    """Refine every pair with and without flow at each anchor scale and print the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--scales", default="0.25", help="anchor weight scales, comma-separated (1 is always run)")
    p.add_argument("--sigmas", default="", help="sigma_2d:sigma_3d pairs, px:mm, comma-separated")
    args = p.parse_args()
    base = replace(get_preset("fast"), cycles=args.cycles)
    configs = {"": base}
    for s in (float(s) for s in args.scales.split(",") if s and float(s) != 1.0):
        configs[f", anchors x{s:g}"] = anchored(base, s)
    for pair in (s for s in args.sigmas.split(",") if s):
        s2d, s3d = (float(v) for v in pair.split(":"))
        configs[f", sigma 2D {s2d:g} px, 3D {s3d:g} mm"] = with_sigmas(base, s2d, s3d)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        runs = {}
        for label, config in configs.items():
            runs[f"without flow{label}"] = refine(init, frames, config=NO_FLOW_RUNS["flow_off"](config))
            runs[f"flowpose{label}"] = refine(init, frames, config=config)
        results.append(score_runs(name, runs, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
