"""Where is the flow read? The same flow sampled at the estimate's projections, at the 2D keypoints, and at the
pseudo ground truth's projections.

``oracle_ceilings.py --strides 3,9,27`` replaced both the flow and the places it is read by the pseudo ground
truth's motion, and lowered MPJPE by 6%; the DIS flow chained over the same spans by nothing. This experiment
separates the two: L_opt reads the real (DIS) flow, neighbouring and chained, at

- ``estimate``: the current estimate's projections p_t (the default, :func:`flow_target`);
- ``keypoints``: the detector's 2D keypoints, where every joint a point is made of was observed (bone points
  interpolated along the 2D bone), else p_t; a cue a user has;
- ``truth``: the pseudo ground truth's projections, where it has the joints, else p_t (an oracle of place).

The residual stays p_{t+k} - p_t - D^k_t(q_t): the motion read at q_t is asked of the estimate's points.

    python benchmarks/experiments/flow_location.py [--strides 3,9,27] [--views ...] [--reference all|heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, score_runs, tracked_pairs, with_spans  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.camera import project  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.tracks import chain_flow  # noqa: E402
from flowpose.refinement import optimize  # noqa: E402
from flowpose.refinement.objective import ChainTarget, flow_target, projected_points  # noqa: E402


def truth_places(gt: np.ndarray):
    """Places from the projected pseudo ground truth: (T, N, 2) px and (T, N) bool known."""

    def places(problem, dtype):
        A = problem.point_matrix.to(dtype)
        G = torch.as_tensor(gt, dtype=dtype)
        missing = (~torch.isfinite(G).all(-1)).to(dtype)
        q = project(torch.einsum("nj,tjc->tnc", A, torch.nan_to_num(G, nan=1.0)), problem.K.to(dtype))
        return q, (missing @ (A != 0).to(dtype).T) == 0

    return places


def keypoint_places(problem, dtype):
    """Places from the 2D keypoints, interpolated along the image bones: (T, N, 2) px and (T, N) bool known."""
    A = problem.point_matrix.to(dtype)
    x, c = problem.x2d.to(dtype), problem.conf2d.to(dtype)
    missing = (~(torch.isfinite(x).all(-1) & (c > 0))).to(dtype)
    q = torch.einsum("nj,tjc->tnc", A, torch.nan_to_num(x, nan=0.0))
    return q, (missing @ (A != 0).to(dtype).T) == 0


def located_target(places):
    """A stand-in for :func:`flow_target` that reads the flow at ``places`` where they are known."""

    def target(X, problem, config, flow, backward=None):
        real = flow_target(X, problem, config, flow, backward)
        if real is None:
            return None
        with torch.no_grad():
            q, known = places(problem, X.dtype)
            points = torch.where(known[..., None], q, projected_points(X, problem))
            w = problem.point_weights
            pair = torch.minimum(w[:-1], w[1:])
            flow_px, conf = flow.sample(points[:-1])
            chains = []
            for chain in real.chains:
                k = chain.stride
                d, cc = chain_flow(flow, points[:-k], k)
                chains.append(ChainTarget(k, d, cc * torch.minimum(w[:-k], w[k:])))
        return replace(real, flow_px=flow_px, weights=conf * pair, chains=tuple(chains))

    return target


def main() -> None:
    """Refine every pair with the flow read at each place, with and without the long-range spans."""
    p = experiment_parser(__doc__.split("\n\n")[0], strides="3,9,27")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    spans = with_spans(config, args.strides)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        row = {"without flow": refine(init, frames, config=NO_FLOW_RUNS["flow_off"](config))}
        for where, places in (("estimate", None), ("keypoints", keypoint_places), ("truth", truth_places(gt))):
            for label, cfg in (("", config), (", spans", spans)):
                if places is None:
                    row[where + label] = refine(init, frames, config=cfg)
                    continue
                with mock.patch.object(optimize, "flow_target", located_target(places)):
                    row[where + label] = refine(init, frames, config=cfg)
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
