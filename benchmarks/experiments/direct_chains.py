"""Long-range tracks matched directly between frame t and t + k: do they pay where the chained flow drifts?

``oracle_ceilings.py --strides 3,9,27`` showed that perfect long-range correspondences lower MPJPE by 6% on the
real set, and the DIS flow chained over the same spans (``flowpose.flow.tracks.chain_flow``) by nothing: each step
adds its error, and one failed step drops the track. Here each chained endpoint is refined by matching the point's
own neighbourhood in frame t directly in frame t + k (OpenCV's pyramidal Lucas-Kanade, started at the chained
endpoint), and checked by matching back from t + k to t (forward-backward error). L_opt's long-range target
D^k_t(p_t) becomes the matched endpoint, weighted by the detection weights times exp(-(e_fb / 2 px)^2): tracks the
chain dropped count again where the direct match agrees with itself.

With ``--matcher dis`` the match is dense instead: OpenCV's DIS flow (the package's ``fine`` setting) computed
directly from frame t to frame t + k and back, on the frames scaled by ``--scale``, read at the points
(bilinear); the forward-backward error is |F(p) + B(p + F(p))|. DIS searches coarse to fine over the whole
frame, so it needs no start from the chain, and it regularises the match over the surface where a window of
Lucas-Kanade matches only its own pixels.

Each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first) is refined
without flow, with the default, with the chained spans, and with the directly matched spans.

    python benchmarks/experiments/direct_chains.py [--strides 3,9,27] [--matcher lk|dis] [--window 21] [--scale 0.5]
        [--views ...] [--reference all|heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from unittest import mock

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, print_mean_table, score_runs, tracked_pairs, with_spans  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.field import FlowField, FlowTensors  # noqa: E402
from flowpose.refinement import optimize  # noqa: E402
from flowpose.refinement.objective import flow_target, projected_points  # noqa: E402

FB_SCALE_PX = 2.0
"""Forward-backward error at which a direct match's weight falls to 1/e."""


def direct_match(gray: list[np.ndarray], t: int, k: int, points: np.ndarray, guess: np.ndarray, window: int):
    """Endpoints in frame t + k of (N, 2) points of frame t, Lucas-Kanade from ``guess``; and their weights."""
    lk = dict(winSize=(window, window), maxLevel=3,
              criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
    p0 = points.astype(np.float32).reshape(-1, 1, 2)
    p1, ok1, _ = cv2.calcOpticalFlowPyrLK(gray[t], gray[t + k], p0, guess.astype(np.float32).reshape(-1, 1, 2),
                                          flags=cv2.OPTFLOW_USE_INITIAL_FLOW, **lk)
    back, ok2, _ = cv2.calcOpticalFlowPyrLK(gray[t + k], gray[t], p1, p0.copy(),
                                            flags=cv2.OPTFLOW_USE_INITIAL_FLOW, **lk)
    fb = np.linalg.norm((back - p0).reshape(-1, 2), axis=-1)
    weight = np.exp(-((fb / FB_SCALE_PX) ** 2)) * (ok1.ravel() > 0) * (ok2.ravel() > 0)
    return p1.reshape(-1, 2), np.nan_to_num(weight)


class DisMatcher:
    """Endpoints and forward-backward weights from DIS flow computed directly between frames t and t + k."""

    def __init__(self, gray: list[np.ndarray], scale: float) -> None:
        self.scale = scale
        self.size = gray[0].shape[:2]
        self.gray = [cv2.resize(g, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) for g in gray]
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.dis.setFinestScale(0)  # the package's "fine" DIS (flowpose.flow.classical)
        self.fields: dict[tuple[int, int], FlowTensors] = {}

    def field(self, a: int, b: int) -> FlowTensors:
        """DIS flow from frame a to frame b on the scaled frame's grid, in full-frame px (cached: every round
        asks again). Grid pixel (i, j) sits at full-frame (j, i) / scale + (1 / scale - 1) / 2, as
        ``cv2.resize`` maps pixel centres."""
        if (a, b) not in self.fields:
            flow = self.dis.calc(self.gray[a], self.gray[b], None)[None] / self.scale
            origin = np.full((1, 2), (1.0 / self.scale - 1.0) / 2.0)
            field = FlowField(flow, np.ones(flow.shape[:3]), origin, np.array([1.0 / self.scale]), self.size)
            self.fields[(a, b)] = field.to_torch("cpu", torch.float64)
        return self.fields[(a, b)]

    def __call__(self, t: int, k: int, points: np.ndarray, guess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Endpoints in frame t + k of (N, 2) full-frame points of frame t, and their weights (``guess`` unused)."""
        p = torch.as_tensor(points[None], dtype=torch.float64)
        forward, inside = self.field(t, t + k).sample(p)
        back, inside_back = self.field(t + k, t).sample(p + forward)
        fb = torch.linalg.norm(forward + back, dim=-1)[0].numpy()
        weight = np.exp(-((fb / FB_SCALE_PX) ** 2)) * (inside * inside_back)[0].numpy()
        return points + forward[0].numpy(), weight


def direct_target(match):
    """A stand-in for :func:`flow_target` whose long-range spans are matched directly (module docstring):
    ``match(t, k, points, guess)`` gives the endpoints and their weights."""

    def target(X, problem, config, flow, backward=None):
        real = flow_target(X, problem, config, flow, backward)
        if real is None or not real.chains:
            return real
        with torch.no_grad():
            points = projected_points(X, problem).double().numpy()
        w = problem.point_weights.double().numpy()
        chains = []
        for chain in real.chains:
            k = chain.stride
            guess = points[:-k] + chain.displacement.double().numpy()
            displacement = np.zeros_like(guess)
            weights = np.zeros(guess.shape[:2])
            for t in range(len(guess)):
                end, fb = match(t, k, points[t], guess[t])
                displacement[t], weights[t] = end - points[t], fb * np.minimum(w[t], w[t + k])
            chains.append(replace(chain, displacement=torch.as_tensor(displacement, dtype=X.dtype),
                                  weights=torch.as_tensor(weights, dtype=X.dtype)))
        return replace(real, chains=tuple(chains))

    return target


def main() -> None:
    """Refine every pair four ways and print each and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0], strides="3,9,27")
    p.add_argument("--matcher", choices=("lk", "dis"), default="lk", help="Lucas-Kanade from the chain, or DIS")
    p.add_argument("--window", type=int, default=21, help="Lucas-Kanade window, px")
    p.add_argument("--scale", type=float, default=0.5, help="DIS runs on the frames scaled by this")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    spans = with_spans(config, args.strides)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        row = {
            "without flow": refine(init, frames, config=NO_FLOW_RUNS["flow_off"](config)),
            "flowpose": refine(init, frames, config=config),
            "spans, chained": refine(init, frames, config=spans),
        }
        if args.matcher == "dis":
            match = DisMatcher(gray, args.scale)
        else:
            def match(t, k, points, guess, gray=gray):
                return direct_match(gray, t, k, points, guess, args.window)
        with mock.patch.object(optimize, "flow_target", direct_target(match)):
            row["spans, matched directly"] = refine(init, frames, config=spans)
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
