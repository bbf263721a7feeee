"""Which limb is in front where two cross in the image: does the estimate get it right, what would the right
order earn, and can the flow tell it? (a probe; #19)

A single view's 2D says nothing of which of two crossing limbs is nearer; the image does. Where an arm passes
in front of the torso the pixels of the crossing move with the arm, and the torso's there are hidden. So the
flow at a crossing says which limb is in front when the two move apart in the image: an ordinal depth
constraint that no keypoint carries. This probe measures, on the 8 view-person pairs of the real set
(``bench_real.py --estimates tracked --everyone`` first):

1. **Crossings.** For every frame and every two bones that share no joint, the closest points of their projected
   segments (the estimate's 3D through K; parameters s, u along the bones). They cross where the two are nearer
   than ``--overlap-m`` (the two limbs' radii, metres, turned to px at their depth). The reference orders a
   crossing when its two bone points (at the same s, u) differ in depth by more than ``--decided-m``.
2. **The estimate's order**: how often it puts the other bone in front.
3. **The flow's verdict** (DIS on the pose stage's crops): the flow at the crossing's pixel against each bone's
   motion there to the next frame (the 2D keypoints' motion along the bone); the nearer motion is the bone in
   front. It is asked only where the two motions differ by more than ``--apart-px``.
4. **What the order is worth**: each pair refined without flow, and without flow plus a hinge on every crossing
   the reference orders, ``w relu(m - (z_back - z_front))^2`` at the bone points (``--margin-m`` m,
   ``--weight``): the reference's order (an oracle) and the flow's verdict where it gives one.

    python benchmarks/experiments/depth_order.py [--reference all|heldout] [--overlap-m 0.1] [--decided-m 0.05]
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

import flowpose.refinement.objective as objective  # noqa: E402
from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.infer import compute_video_flow  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.refinement.loop import pose_person_boxes  # noqa: E402


@dataclass(frozen=True)
class Crossings:
    """Crossings of two bones in the image, one row each: frame t, bone a (a0 -> a1) at s, bone b at u, the
    crossing's pixel (N, 2) and ``front`` (+1: a nearer, -1: b nearer, 0: not ordered)."""

    t: np.ndarray
    a: np.ndarray
    s: np.ndarray
    b: np.ndarray
    u: np.ndarray
    pixel: np.ndarray
    front: np.ndarray

    def where(self, keep: np.ndarray) -> "Crossings":
        """The rows of the (N,) bool ``keep``."""
        return Crossings(*(getattr(self, f)[keep] for f in ("t", "a", "s", "b", "u", "pixel", "front")))


def closest_params(p0, p1, q0, q1) -> tuple[np.ndarray, np.ndarray]:
    """Parameters s, u in [0, 1] of the closest points of 2D segments p0-p1 and q0-q1 (arrays (..., 2)),
    by the clamped line solution refined once on each side (exact for non-parallel segments)."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e, f = (d1 * d1).sum(-1), (d2 * d2).sum(-1), (d2 * r).sum(-1)
    b, c = (d1 * d2).sum(-1), (d1 * r).sum(-1)
    den = np.maximum(a * e - b * b, 1e-9)
    s = np.clip((b * f - c * e) / den, 0, 1)
    u = np.clip((b * s + f) / np.maximum(e, 1e-9), 0, 1)
    s = np.clip((b * u - c) / np.maximum(a, 1e-9), 0, 1)
    return s, u


def at(X: np.ndarray, bones: np.ndarray, idx: np.ndarray, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points of bones ``idx`` at parameters ``s`` in frames ``t`` of joints X (T, J, D): (N, D)."""
    return (1 - s)[:, None] * X[t, bones[idx, 0]] + s[:, None] * X[t, bones[idx, 1]]


def crossings(est: np.ndarray, K: np.ndarray, ref: np.ndarray, bones: np.ndarray, frames: np.ndarray,
              overlap_m: float, decided_m: float) -> Crossings:
    """Every crossing of the estimate's projected bones (module docstring, step 1) in ``frames`` (T,) bool,
    ordered by the reference ``ref`` (T, J, 3) camera metres (NaN where it lacks a joint)."""
    x = project_np(est, K)
    B = len(bones)
    pa, pb = np.triu_indices(B, 1)
    shares = (bones[pa, :, None] == bones[pb, None, :]).any((1, 2))
    pa, pb = pa[~shares], pb[~shares]
    rows = []
    for t in np.flatnonzero(frames):
        s, u = closest_params(x[t, bones[pa, 0]], x[t, bones[pa, 1]], x[t, bones[pb, 0]], x[t, bones[pb, 1]])
        ta = np.full(len(pa), t)
        xa, xb = at(x, bones, pa, s, ta), at(x, bones, pb, u, ta)
        za, zb = at(est, bones, pa, s, ta)[:, 2], at(est, bones, pb, u, ta)[:, 2]
        near = np.linalg.norm(xa - xb, axis=-1) < overlap_m * K[t, 0, 0] / np.minimum(za, zb)
        ra, rb = at(ref, bones, pa, s, ta)[:, 2], at(ref, bones, pb, u, ta)[:, 2]
        gap = rb - ra  # > 0: a nearer
        front = np.where(np.isfinite(gap) & (np.abs(gap) > decided_m), np.sign(gap), 0)
        for i in np.flatnonzero(near):
            rows.append((t, pa[i], s[i], pb[i], u[i], *(0.5 * (xa[i] + xb[i])), front[i]))
    r = np.array(rows, dtype=np.float64).reshape(-1, 8)
    return Crossings(r[:, 0].astype(int), r[:, 1].astype(int), r[:, 2], r[:, 3].astype(int), r[:, 4], r[:, 5:7],
                     r[:, 7].astype(int))


def flow_verdict(c: Crossings, x2d: np.ndarray, seen: np.ndarray, bones: np.ndarray, forward, apart_px: float) -> np.ndarray:
    """(N,) the flow's front (+1 a, -1 b, 0 no verdict) at each crossing before the last frame: the bone whose
    2D motion to the next frame (keypoints ``x2d`` (T, J, 2) px, both ends ``seen`` in both frames) is nearer
    the flow at the crossing's pixel, where the two motions differ by more than ``apart_px``."""
    verdict = np.zeros(len(c.t), int)
    ok = c.t < len(x2d) - 1
    if not ok.any():
        return verdict
    t = c.t[ok]
    ends = lambda idx, tt: seen[tt, bones[idx, 0]] & seen[tt, bones[idx, 1]]  # noqa: E731
    both = ends(c.a[ok], t) & ends(c.a[ok], t + 1) & ends(c.b[ok], t) & ends(c.b[ok], t + 1)
    ma = at(x2d, bones, c.a[ok], c.s[ok], t + 1) - at(x2d, bones, c.a[ok], c.s[ok], t)
    mb = at(x2d, bones, c.b[ok], c.u[ok], t + 1) - at(x2d, bones, c.b[ok], c.u[ok], t)
    pts = torch.zeros((forward.values.shape[0], 1, 2), dtype=forward.values.dtype)
    F = np.zeros((len(t), 2))
    for i, (tt, p) in enumerate(zip(t, c.pixel[ok])):
        pts[tt, 0] = torch.as_tensor(p)
        F[i] = forward.sample(pts[tt:tt + 1])[0][0, 0].numpy()
    da, db = np.linalg.norm(F - ma, axis=-1), np.linalg.norm(F - mb, axis=-1)
    decided = both & (np.linalg.norm(ma - mb, axis=-1) > apart_px)
    verdict[np.flatnonzero(ok)] = np.where(decided, np.where(da < db, 1, -1), 0)
    return verdict


@contextmanager
def order_hinge(c: Crossings, front: np.ndarray, bones: np.ndarray, margin_m: float, weight: float):
    """Within the block, L_pose has one more term (added to ``acc``'s slot so the term names stay): the hinge
    of the module docstring over the crossings whose ``front`` (N,) is not 0."""
    use = front != 0
    t = torch.as_tensor(c.t[use])
    a, b = torch.as_tensor(bones[c.a[use]]), torch.as_tensor(bones[c.b[use]])
    s, u = torch.as_tensor(c.s[use]), torch.as_tensor(c.u[use])
    sign = torch.as_tensor(front[use], dtype=torch.float64)
    original = objective.pose_terms

    def patched(X, problem, config, target=None):
        terms = original(X, problem, config, target)
        if len(t):
            s_, u_ = s.to(X.dtype), u.to(X.dtype)
            za = (1 - s_) * X[t, a[:, 0], 2] + s_ * X[t, a[:, 1], 2]
            zb = (1 - u_) * X[t, b[:, 0], 2] + u_ * X[t, b[:, 1], 2]
            behind = sign.to(X.dtype) * (zb - za)  # the back one's depth less the front one's, metres
            hinge = torch.relu(margin_m - behind) ** 2
            terms["acc"] = terms["acc"] + weight * hinge.sum() / X.shape[0]
        return terms

    objective.pose_terms = patched
    try:
        yield
    finally:
        objective.pose_terms = original


def main() -> None:
    """Count, judge and refine every pair (module docstring); print the counts and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--overlap-m", type=float, default=0.1)
    p.add_argument("--decided-m", type=float, default=0.05)
    p.add_argument("--apart-px", type=float, default=2.0)
    p.add_argument("--margin-m", type=float, default=0.05)
    p.add_argument("--weight", type=float, default=1e4)
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    off = NO_FLOW_RUNS["flow_off"](config)
    model = load_flow_model("dis")
    results, totals = [], np.zeros(6, int)
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        bones = np.array([bn for bn in init.skel.bones if HEAD not in bn])
        K = init.K_per_frame()
        c = crossings(init.joints3d.astype(np.float64), K, gt, bones, keep, args.overlap_m, args.decided_m)
        X = init.joints3d.astype(np.float64)
        est_front = np.sign(at(X, bones, c.b, c.u, c.t)[:, 2] - at(X, bones, c.a, c.s, c.t)[:, 2]).astype(int)
        ordered = c.front != 0
        boxes = pose_person_boxes(init, frames.shape[1:3], config)
        forward = compute_video_flow(model, frames, boxes=boxes).to_torch("cpu", torch.float64)
        x2d = init.joints2d.astype(np.float64)
        verdict = flow_verdict(c, x2d, init.confidence() > 0, bones, forward, args.apart_px)
        judged = ordered & (verdict != 0)
        counts = np.array([len(c.t), ordered.sum(), (ordered & (est_front != c.front)).sum(), judged.sum(),
                           (judged & (verdict == c.front)).sum(), (judged & (est_front != c.front)).sum()])
        totals += counts
        print(f"{name}: crossings {counts[0]}, ordered by the reference {counts[1]}, the estimate wrong on "
              f"{counts[2]}; the flow judges {counts[3]}, right on {counts[4]} (the estimate wrong on {counts[5]} "
              f"of them)", flush=True)
        runs = {"without flow": refine(init, frames, config=off)}
        with order_hinge(c, c.front, bones, args.margin_m, args.weight):
            runs["without flow, the reference's order (oracle)"] = refine(init, frames, config=off)
        with order_hinge(c, verdict, bones, args.margin_m, args.weight):
            runs["without flow, the flow's order"] = refine(init, frames, config=off)
        results.append(score_runs(name, runs, gt, keep))
    print(f"\nall: crossings {totals[0]}, ordered {totals[1]}, the estimate wrong on {totals[2]} "
          f"({100 * totals[2] / max(totals[1], 1):.0f}%); the flow judges {totals[3]}, right on {totals[4]} "
          f"({100 * totals[4] / max(totals[3], 1):.0f}%; the estimate wrong on {totals[5]} of them)")
    print_mean_table(results)


if __name__ == "__main__":
    main()
