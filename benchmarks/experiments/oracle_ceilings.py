"""How much could any flow earn on the real set? The pose stage run with an oracle flow, and with oracle 2D.

The flow is a 2D cue: it says how the image points move, never where they are nor how deep. This experiment
bounds what it can give the pose stage on the real development set (``bench_real.py --estimates tracked
--everyone`` first, which caches each pair's tracked estimate). Each of the 8 view-person pairs is refined:

- ``without flow``: the flow term off (the baseline of the 3% target);
- ``flowpose``: the default;
- ``oracle flow``: the default, but L_opt's target F_t(p_t) replaced by the motion of the same joint or bone
  point in the pseudo ground truth, projected: pi(A X^gt_{t+1}) - pi(A X^gt_t), px (weight 0 where the pseudo
  ground truth lacks a joint), and L_opt's weight not lowered for the measured flow noise
  (``flow_sigma_factor=None``). A perfect flow, sampled at perfect correspondences. With ``--oracle-weights``
  also at L_opt weights this many times the default (``oracle flow xN``): a stronger weight lets the flow
  decide more of the motion. With ``--strides``, the long-range spans of L_opt
  (``PoseStageConfig.long_range_strides``) are run too, with the DIS flow chained along tracks (``flowpose,
  spans``) and with the pseudo ground truth's motion over each span (``oracle flow, spans``, at each of
  ``--oracle-weights``); with ``--oracle-cover`` and ``--oracle-drift-px``, that motion is also given as an
  imperfect tracker would: a share of it, plus a random walk along each track (:func:`oracle_flow_target`);
- ``flow read at the reference`` (``--read-at-reference``): the default's own flow, read where the pseudo ground
  truth projects instead of at the current pose: the flow at the right places (with ``--strides``, the spans too);
- ``oracle 2D``: the flow term off, the 2D keypoints replaced by the projection of the pseudo ground truth
  wherever it has the joint (confidence 1 there). Perfect positions in the image: the ceiling of every 2D cue.

The pseudo ground truth is triangulated from MediaPipe in four views, this view among them (with ``--reference
heldout``, from the others only), and filtered in time: both oracles are optimistic about the 2D and smooth in time. What they cannot fix is depth and the
estimate's 3D shape.

    python benchmarks/experiments/oracle_ceilings.py [--views cam01,cam02,cam03,cam04] [--reference all|heldout]
        [--strides 3,9,27 [--oracle-weights 1,4] [--oracle-cover 1,0.6 --oracle-drift-px 0,1]] [--read-at-reference]
"""

from __future__ import annotations

import argparse
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
from flowpose.camera import project, project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.pose import PoseSequence  # noqa: E402
from flowpose.refinement import optimize  # noqa: E402
from flowpose.refinement.objective import flow_target  # noqa: E402


def oracle_flow_target(gt: np.ndarray, cover: float = 1.0, drift_px: float = 0.0, seed: int = 0):
    """A stand-in for :func:`flow_target` whose F_t(p_t) is the pseudo ground truth's projected motion.

    With ``cover`` < 1 or ``drift_px`` > 0 it is a tracker with that tracker's two faults, as chained flow has
    them (``chain_error.py``, ``synth_flow_lag.py``): it gives ``cover`` times the true motion (a lag, the same
    share over every span), plus a random walk along each track, a step e_{t,n} ~ N(0, drift_px^2) px per frame
    and coordinate, so that the target over frames t .. t + k is

        D^k_t = cover (pi(A X^gt_{t+k}) - pi(A X^gt_t)) + sum_{s=t}^{t+k-1} e_s.

    The steps are drawn once per video from ``seed``: every solve round sees the same tracker.
    """

    def target(X, problem, config, flow, backward=None):
        real = flow_target(X, problem, config, flow, backward)
        if real is None:
            return None
        A = problem.point_matrix.to(X.dtype)  # (N, J)
        G = torch.as_tensor(gt, dtype=X.dtype, device=X.device)
        missing = (~torch.isfinite(G).all(-1)).to(X.dtype)  # (T, J)
        points = project(torch.einsum("nj,tjc->tnc", A, torch.nan_to_num(G, nan=1.0)), problem.K.to(X.dtype))
        known = (missing @ (A != 0).to(X.dtype).T) == 0  # (T, N): every joint of the point known
        steps = torch.randn(points[1:].shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        walk = torch.cat([torch.zeros_like(steps[:1]), steps.cumsum(0)]).to(X.dtype) * drift_px  # (T, N, 2) px
        tracked = cover * points + walk  # where a tracker started at frame 0 would say each point is
        w = problem.point_weights
        chains = []
        for chain in real.chains:  # the motion over k frames, where both ends are known
            k = chain.stride
            span, both = tracked[k:] - tracked[:-k], known[k:] & known[:-k]
            chains.append(replace(chain, displacement=torch.where(both[..., None], span, 0.0),
                                  weights=torch.minimum(w[:-k], w[k:]) * both))
        motion = tracked[1:] - tracked[:-1]  # (T-1, N, 2) px
        known = known[1:] & known[:-1]
        weights = torch.minimum(w[:-1], w[1:]) * known
        return replace(real, flow_px=torch.where(known[..., None], motion, 0.0), weights=weights,
                       chains=tuple(chains))

    return target


def add_tracker_options(p: argparse.ArgumentParser, when: str) -> None:
    """``--oracle-cover`` and ``--oracle-drift-px``: the oracle as an imperfect tracker (:func:`oracle_flow_target`),
    ``when`` saying where they apply."""
    p.add_argument("--oracle-cover", default="1", help=f"{when}: the oracle as a tracker giving these shares of the "
                   "true motion, comma-separated")
    p.add_argument("--oracle-drift-px", default="0", help=f"{when}: ... and a random walk of these px per frame, "
                   "comma-separated (every pair of cover and drift is a row)")


def tracker_settings(args: argparse.Namespace) -> list[tuple[float, float]]:
    """Every (cover, drift px per frame) pair of :func:`add_tracker_options`' lists; [(1, 0)]: the oracle itself."""
    return [(float(c), float(d)) for c in args.oracle_cover.split(",") for d in args.oracle_drift_px.split(",")]


def read_at_reference(gt: np.ndarray):
    """A stand-in for :func:`flow_target` that reads the flow where the pseudo ground truth projects (the current
    pose where it lacks a joint), not at the current pose's projections: the flow itself, at better places."""

    def target(X, problem, config, flow, backward=None):
        G = torch.as_tensor(gt, dtype=X.dtype, device=X.device)
        return flow_target(torch.where(torch.isfinite(G), G, X), problem, config, flow, backward)

    return target


def oracle_2d(init: PoseSequence, gt: np.ndarray) -> PoseSequence:
    """The estimate with its 2D keypoints replaced by the projected pseudo ground truth where it exists."""
    known = np.isfinite(gt).all(-1)
    x = project_np(np.nan_to_num(gt, nan=1.0), init.K_per_frame())
    joints2d = np.where(known[..., None], x, init.joints2d).astype(np.float32)
    conf = np.where(known, 1.0, init.conf).astype(np.float32)
    return replace(init, joints2d=joints2d, conf=conf)


def main() -> None:
    """Refine every pair in each way the options ask for and print each and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0], strides="")
    p.add_argument("--oracle-weights", default="1", help="multiples of w_flow for the oracle flow, comma-separated")
    add_tracker_options(p, "with --strides")
    p.add_argument("--read-at-reference", action="store_true", help="also the flow read where the pseudo ground "
                   "truth projects, not at the current pose (neighbouring frames, and with --strides the spans)")
    args = p.parse_args()
    weights = [float(m) for m in args.oracle_weights.split(",")]
    trackers = tracker_settings(args)
    if trackers != [(1.0, 0.0)] and not args.strides:
        raise SystemExit("--oracle-cover, --oracle-drift-px: only with --strides (they degrade the oracle's spans)")
    config = replace(get_preset("fast"), cycles=args.cycles)
    off = NO_FLOW_RUNS["flow_off"](config)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        row = {
            "without flow": refine(init, frames, config=off),
            "flowpose": refine(init, frames, config=config),
        }
        for m in weights:
            pose = replace(config.pose, w_flow=m * config.pose.w_flow)
            with mock.patch.object(optimize, "flow_target", oracle_flow_target(gt)):
                run = refine(init, frames, config=replace(config, pose=pose, flow_sigma_factor=None))
            row["oracle flow" + ("" if m == 1 else f" x{m:g}")] = run
        if args.strides:
            spans = with_spans(config, args.strides)
            row["flowpose, spans"] = refine(init, frames, config=spans)
            for m in weights:
                pose = replace(spans.pose, w_flow=m * spans.pose.w_flow)
                for cover, drift in trackers:
                    with mock.patch.object(optimize, "flow_target", oracle_flow_target(gt, cover, drift)):
                        run = refine(init, frames, config=replace(spans, pose=pose, flow_sigma_factor=None))
                    tracker = "" if (cover, drift) == (1.0, 0.0) else f", cover {cover:g}, drift {drift:g} px"
                    row["oracle flow, spans" + ("" if m == 1 else f" x{m:g}") + tracker] = run
        if args.read_at_reference:
            with mock.patch.object(optimize, "flow_target", read_at_reference(gt)):
                row["flow read at the reference"] = refine(init, frames, config=config)
                if args.strides:
                    row["flow read at the reference, spans"] = refine(init, frames, config=spans)
        row["oracle 2D"] = refine(oracle_2d(init, gt), frames, config=off)
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
