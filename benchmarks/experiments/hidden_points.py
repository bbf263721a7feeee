"""Does L_opt pay more if it leaves out the points its own body hides? On the real set, against a reference.

L_opt reads the flow at every projected joint and bone point, whether or not that point is the surface seen
there. A forearm behind the torso gets the torso's flow. This experiment gives weight 0 to each point that the
current pose says is hidden by another limb of the same body, at frame t or t + k (the forward pairs, the backward
pairs and the long-range spans alike). The body is one capsule per bone, of the sketch's radii
(:data:`flowpose.refinement.sketch.H36M17_LIMB_RADIUS_M`), with the sketch's z-buffer geometry
(:func:`flowpose.refinement.rasterize.segment_foot`, :func:`~flowpose.refinement.rasterize.front_depth`). A point
is hidden when another bone's capsule covers its pixel and the capsule's front surface there is nearer than the
point's own surface (its depth less its bone's radius; a joint takes the largest radius of its bones) by more than
``margin`` metres. Bones that share a joint with the point's bone never hide it, because their capsules overlap at
every joint.

The package has no such option. The experiment wraps ``flowpose.refinement.optimize.flow_target`` for its
"visible" runs, and restores it for the others. Each pair of the real set (``bench_real.py --estimates tracked
--everyone`` first) is refined without flow, by flowpose, and by flowpose with each margin, and printed with the
share of points hidden in each L_opt target the pose stage builds. With ``--oracle``, also with visibility judged on
the reference's pose (the pseudo ground truth in the view's camera frame; the joints it lacks, such as MediaPipe's
head top and every joint of an untriangulated frame, from the pose being solved) instead of the pose being solved.
With ``--others``, also with only the points that the other people of the view hide (their tracked estimates, as
``bench_real.py`` cached them, in the same camera frame): their flow is another person's motion, where a limb behind
the same body still moves with it. ``--others-by-reference`` judges the same on the pseudo ground truths alone:
which of the scored person's reference points the other people's references hide (the references' depth order
between people in place of the single-view estimates').

    python benchmarks/experiments/hidden_points.py [--reference heldout] [--margins 0.03,0.08] [--oracle]
        [--others] [--others-by-reference]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import (  # noqa: E402
    baseline_runs,
    experiment_parser,
    heldout_references,
    print_mean_table,
    score_runs,
    tracked_pairs,
)
from cache_stamp import fresh_reference  # noqa: E402

import flowpose.refinement.optimize as optimize  # noqa: E402
from flowpose.api import refine  # noqa: E402
from flowpose.camera import project  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.io.poses import load_poses  # noqa: E402
from flowpose.refinement.objective import ChainTarget, FlowTarget, PoseProblem, projected_points  # noqa: E402
from flowpose.refinement.rasterize import front_depth, segment_foot  # noqa: E402
from flowpose.refinement.sketch import H36M17_LIMB_RADIUS_M  # noqa: E402

PIPELINE_TARGET = optimize.flow_target


def visible_points(X: torch.Tensor, problem: PoseProblem, margin: float,
                   occluder: torch.Tensor | None = None) -> torch.Tensor:
    """(T, N) float, 1 where L_opt's point n (the J joints, then the bone points) is not hidden at frame t by
    another capsule of the body (module docstring), or by a capsule of ``occluder``'s body when given, else 0.

    Args:
        X: (T, J, 3) joints, metres, camera frame (H36M-17).
        problem: supplies the bones, the point matrix and K.
        margin: metres the occluder's front must lie before the point's own surface.
        occluder: (T, J, 3) another person's joints in the same camera frame, NaN where unknown (an unknown bone
            hides nothing), or None.
    """
    bones, A = problem.bones, problem.point_matrix.to(X.dtype)
    T, J, _ = X.shape
    B = bones.shape[0]
    N = A.shape[0]
    S = (N - J) // B
    radius = torch.tensor(H36M17_LIMB_RADIUS_M, dtype=X.dtype)
    # Each point's own bones: a joint's are the bones that touch it, a bone point's its bone.
    arange = torch.arange(B)
    touch = torch.zeros(J, B, dtype=X.dtype)
    touch[bones[:, 0], arange] = 1.0
    touch[bones[:, 1], arange] = 1.0
    own = torch.cat([touch, torch.eye(B, dtype=X.dtype).repeat_interleave(S, dim=0)])  # (N, B)
    own_radius = (own * radius).amax(1)  # (N,)
    near = (own @ (touch.T @ touch) > 0)  # (N, B): the own bones and every bone that shares a joint with one
    if occluder is not None:
        near = torch.zeros_like(near)  # another body: every bone may hide
    body = X if occluder is None else occluder
    P = torch.einsum("nj,tjc->tnc", A, X)  # (T, N, 3)
    p = projected_points(X, problem)  # (T, N, 2)
    K = problem.K.to(X.dtype)
    Xa, Xb = body[:, bones[:, 0]], body[:, bones[:, 1]]  # (T, B, 3)
    a, b = project(Xa, K)[:, None], project(Xb, K)[:, None]  # (T, 1, B, 2)
    lam, d, inv_z = segment_foot(p[:, :, None], a, b, Xa[:, None, :, 2], Xb[:, None, :, 2])  # (T, N, B), the sketch's
    u = d / (K[:, 0, 0][:, None, None] * radius * inv_z)  # distance over the projected radius
    hidden = (u < 1.0) & (front_depth(inv_z, radius, u) < P[..., 2:3] - own_radius[:, None] - margin) & ~near[None]
    return (~hidden.any(-1)).to(X.dtype)


def visible_target(margin: float, shares: list[float], reference: np.ndarray | None = None,
                   others: tuple[np.ndarray, ...] = ()):
    """``flow_target`` with every pair weight times the lower visibility of its two frames; appends the share of
    hidden points of each call to ``shares``. Visibility is judged on the pose being solved, or on ``reference``
    ((T, 17, 3) camera metres, NaN where missing) when given, with the joints it lacks taken from the solved pose.
    With ``others`` ((T, 17, 3) each, NaN where unknown), only those people's bodies hide the points."""

    def target(X: torch.Tensor, problem: PoseProblem, config, flow, backward=None) -> FlowTarget | None:
        found = PIPELINE_TARGET(X, problem, config, flow, backward)
        if found is None:
            return None
        with torch.no_grad():
            judged = X.detach()
            if reference is not None:  # the joints the reference lacks are the solved pose's
                ref = torch.as_tensor(reference, dtype=X.dtype)
                judged = torch.where(torch.isfinite(ref), ref, judged)
            if others:
                v = torch.stack([visible_points(judged, problem, margin, torch.as_tensor(o, dtype=X.dtype))
                                 for o in others]).amin(0)
            else:
                v = visible_points(judged, problem, margin)
        shares.append(float(1.0 - v.mean()))
        pair = torch.minimum(v[:-1], v[1:])
        chains = tuple(ChainTarget(c.stride, c.displacement, c.weights * torch.minimum(v[: -c.stride], v[c.stride:]))
                       for c in found.chains)
        back = None if found.back_weights is None else found.back_weights * pair
        return replace(found, weights=found.weights * pair, back_weights=back, chains=chains)

    return target


def other_people(devset: Path, name: str) -> tuple[np.ndarray, ...]:
    """The tracked estimates' (T, 17, 3) camera-frame joints of every other person of pair ``name``'s view
    (``"camXX/pN"``), NaN where their tracker did not follow them."""
    view, person = name.split("/")
    found = []
    for path in sorted(devset.glob(f"{view}.p*.tracked.poses.npz")):
        if path.name.split(".")[1] == person:
            continue
        poses = load_poses(path)
        followed = poses.conf.max(-1) > 0 if poses.conf is not None else np.ones(poses.num_frames, bool)
        found.append(np.where(followed[:, None, None], poses.joints3d, np.nan))
    return tuple(found)


def other_references(devset: Path, name: str, reference: str) -> tuple[np.ndarray, ...]:
    """The other people's (T, 17, 3) pseudo ground truths of pair ``name``'s view, in its camera frame, NaN where
    missing (``reference`` as in ``bench_real.tracked_pairs``)."""
    view, person = name.split("/")
    if reference == "heldout":
        people = heldout_references(devset)[view]
    else:
        with np.load(fresh_reference(devset / "people_gt.npz")) as d:
            people = d["joints3d_world"].astype(np.float64)
    with np.load(devset / f"{view}.camera.npz") as c:
        R, t = c["R"], c["t"]
    return tuple(people[k] @ R.T + t for k in range(len(people)) if f"p{k}" != person)


def main() -> None:
    """Refine every pair without flow, with flow, and with flow on the visible points only; print the table."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--margins", default="0.03,0.08", help="metres, comma-separated")
    p.add_argument("--oracle", action="store_true",
                   help="also judge visibility on the reference's pose instead of the one being solved")
    p.add_argument("--others", action="store_true",
                   help="also leave out the points the other people hide (their tracked estimates), and only those")
    p.add_argument("--others-by-reference", action="store_true",
                   help="the same with the other people's reference poses (their true depth order) in their place")
    args = p.parse_args()
    margins = [float(m) for m in args.margins.split(",")]
    config = replace(get_preset("fast"), cycles=args.cycles)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        runs = baseline_runs(init, frames, config)
        judges = [("", None, ())] + ([(" by the reference", gt, ())] if args.oracle else [])
        if args.others:
            judges.append((" (other people hide)", None, other_people(args.devset, name)))
        if args.others_by_reference:
            judges.append((" (other people's references hide the reference)", gt,
                           other_references(args.devset, name, args.reference)))
        for (judge, reference, others), margin in ((j, m) for j in judges for m in margins):
            run, shares = f"visible points{judge}, margin {margin:g} m", []
            optimize.flow_target = visible_target(margin, shares, reference, others)
            try:
                runs[run] = refine(init, frames, config=config)
            finally:
                optimize.flow_target = PIPELINE_TARGET
            print(f"{name}, {run}: share of points hidden at each target built (the initial pose twice: its "
                  f"losses and the first round; each later round's start; the result): {np.round(shares, 3).tolist()}")
        results.append(score_runs(name, runs, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
