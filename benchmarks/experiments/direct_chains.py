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

With ``--matcher dis-guided`` DIS runs on a crop around the person, started from the motion the current poses
imply between t and t + k (:class:`GuidedDisMatcher`): the pose stage guides the flow's long-range search.

Each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first) is refined
without flow, with the default, with the chained spans, and with the directly matched spans.

    python benchmarks/experiments/direct_chains.py [--strides 3,9,27] [--matcher lk|dis|dis-guided] [--window 21] [--scale 0.5]
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
from scipy.ndimage import map_coordinates

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import (  # noqa: E402
    baseline_runs,
    experiment_parser,
    print_mean_table,
    score_runs,
    tracked_pairs,
    with_spans,
)

from flowpose.api import refine  # noqa: E402
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


class GuidedDisMatcher:
    """DIS between frames t and t + k on a crop around the person, started from the motion the current poses
    imply (``dis-guided``): the points' pose-predicted displacements, spread over the crop by normalised Gaussian
    interpolation (sigma ``SIGMA_BODY`` of the points' box diagonal) and fading to 0 away from the body, are
    DIS's initial flow, so a fast limb's 9-frame motion need not be found by DIS's coarse-to-fine search alone.
    The backward flow starts from the opposite motion at the predicted points; the forward-backward error
    weighs each endpoint as :class:`DisMatcher` does. Recomputed when any predicted displacement moved by more
    than ``REUSE_PX`` since the last call for that span."""

    SIGMA_BODY = 0.08
    PAD_BODY = 0.25
    REUSE_PX = 2.0

    def __init__(self, gray: list[np.ndarray], scale: float) -> None:
        self.scale = scale
        self.gray = gray
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.dis.setFinestScale(0)
        self.cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _init(self, shape, origin, points, displacement, sigma):
        """(h, w, 2) initial flow on the crop grid (scaled px) from (N, 2) full-frame points and displacements;
        interpolated on a grid 4 times coarser and resized (it is smooth at the scale of sigma)."""
        h, w = shape
        hc, wc = max(h // 4, 1), max(w // 4, 1)
        ys, xs = np.mgrid[0:hc, 0:wc].astype(np.float32)
        gx = origin[0] + (xs + 0.5) * (w / wc) / self.scale - 0.5
        gy = origin[1] + (ys + 0.5) * (h / hc) / self.scale - 0.5
        r2 = (gx[..., None] - points[:, 0]) ** 2 + (gy[..., None] - points[:, 1]) ** 2
        wts = np.exp(-r2 / (2 * sigma**2))
        flow = (wts @ displacement) / np.maximum(wts.sum(-1), 1.0)[..., None]
        return cv2.resize((flow * self.scale).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)

    def _sample(self, flow, origin, points):
        """(N, 2) full-frame px of a crop-grid flow (scaled px) read bilinearly at full-frame points."""
        gx = (points[:, 0] - origin[0] + 0.5) * self.scale - 0.5
        gy = (points[:, 1] - origin[1] + 0.5) * self.scale - 0.5
        out = [map_coordinates(flow[..., c], [gy, gx], order=1, mode="nearest") for c in (0, 1)]
        inside = (gx >= 0) & (gy >= 0) & (gx <= flow.shape[1] - 1) & (gy <= flow.shape[0] - 1)
        return np.stack(out, -1) / self.scale, inside

    def __call__(self, t: int, k: int, points: np.ndarray, guess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Endpoints in frame t + k of (N, 2) full-frame points of frame t, started at ``guess`` (the poses'
        prediction), and their weights."""
        ok = np.isfinite(points).all(-1) & np.isfinite(guess).all(-1)
        if ok.sum() < 3:
            return points.copy(), np.zeros(len(points))
        d = np.where(ok[:, None], guess - points, 0.0)
        cached = self.cache.get((t, k))
        if cached is not None and np.abs(cached[0] - d)[ok].max() <= self.REUSE_PX:
            return cached[1], cached[2]
        both = np.concatenate([points[ok], guess[ok]])
        lo, hi = both.min(0), both.max(0)
        size = float(np.linalg.norm(hi - lo))
        H, W = self.gray[t].shape
        lo = np.maximum(np.floor(lo - self.PAD_BODY * size), 0).astype(int)
        hi = np.minimum(np.ceil(hi + self.PAD_BODY * size), [W - 1, H - 1]).astype(int)
        crop = [cv2.resize(g[lo[1]:hi[1] + 1, lo[0]:hi[0] + 1], None, fx=self.scale, fy=self.scale,
                           interpolation=cv2.INTER_AREA) for g in (self.gray[t], self.gray[t + k])]
        shape = crop[0].shape
        sigma = self.SIGMA_BODY * size
        forward = self.dis.calc(crop[0], crop[1], self._init(shape, lo, points[ok], d[ok], sigma))
        backward = self.dis.calc(crop[1], crop[0], self._init(shape, lo, guess[ok], -d[ok], sigma))
        f, in_f = self._sample(forward, lo, np.where(ok[:, None], points, lo))
        end = points + f
        b, in_b = self._sample(backward, lo, np.where(ok[:, None], end, lo))
        fb = np.linalg.norm(f + b, axis=-1)
        weight = np.exp(-((fb / FB_SCALE_PX) ** 2)) * in_f * in_b * ok
        self.cache[(t, k)] = (d, end, weight)
        return end, weight


def direct_target(match, guess_from_pose: bool = False):
    """A stand-in for :func:`flow_target` whose long-range spans are matched directly (module docstring):
    ``match(t, k, points, guess)`` gives the endpoints and their weights. ``guess`` is the chained endpoint, or
    with ``guess_from_pose`` the points where the current poses project in frame t + k."""

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
            guess = points[k:] if guess_from_pose else points[:-k] + chain.displacement.double().numpy()
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
    p.add_argument("--matcher", choices=("lk", "dis", "dis-guided"), default="lk",
                   help="Lucas-Kanade from the chain, DIS, or DIS on the person's crop started from the poses' motion")
    p.add_argument("--window", type=int, default=21, help="Lucas-Kanade window, px")
    p.add_argument("--scale", type=float, default=0.5, help="DIS runs on the frames scaled by this")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    spans = with_spans(config, args.strides)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        row = {**baseline_runs(init, frames, config), "spans, chained": refine(init, frames, config=spans)}
        if args.matcher == "dis":
            match = DisMatcher(gray, args.scale)
        elif args.matcher == "dis-guided":
            match = GuidedDisMatcher(gray, args.scale)
        else:
            def match(t, k, points, guess, gray=gray):
                return direct_match(gray, t, k, points, guess, args.window)
        with mock.patch.object(optimize, "flow_target", direct_target(match, args.matcher == "dis-guided")):
            row["spans, matched directly"] = refine(init, frames, config=spans)
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
