"""Held-out pseudo ground truth: each person of ``people_gt.npz`` triangulated again without the view that is scored.

``people_gt.npz`` triangulates each person from every view that saw them, the scored view included. Its image
in that view then leans toward that view's own MediaPipe keypoints, which are also the refinement's 2D anchors
(L_2D) and err together with the estimate's 3D; where only two views saw a joint, the two-view triangulation
reprojects onto the scored view's keypoint almost exactly. A refinement that moves a joint away from a wrong
keypoint is then scored against that keypoint's error. This builder removes the scored view: for each view v,
each person's joints are triangulated from the detections the *other* views gave them (``people_gt.npz``'s
``members``), first from all of those detections, then again from those that reproject within ``--inlier-px`` of
that first body; a joint is kept where at least 2 views agree with the second body within ``--inlier-px`` too.
Each other view's detection is tried under its own labels and with left and right exchanged (the first view's as
given): the labelling under which most joints are kept from most views wins (then the smaller reprojection error),
since MediaPipe turns a person round in one view and not in another. Which way round the body is then labelled is
taken from ``people_gt.npz`` (:func:`build_pose2sim_people.exchanged_nearer` against its raw body of the frame, made consistent over time). That one
bit per frame comes from every view, the scored one included; the chain of frames alone (as ``people_gt.npz`` is
made) labelled the woman mirrored in 29 of cam04's frames (benchmarks/RESULTS.md, sixty-first session). The joints
are filtered in time as ``people_gt.npz``'s are.

What stays shared with the scored view: which detection of each other view is the person (``members`` was found
with every view) and which way round each frame's body is labelled, nothing else. The held-out reference is weaker where only three views saw the person (two
left) and missing where only two did (one left): fewer frames are scored against it.

Output ``people_gt.heldout.npz``: ``joints3d_world`` (V, P, T, 17, 3) filtered (the reference for view V), ``raw``
unfiltered, ``views_used`` (V, P, T, 17) how many views each joint was triangulated from, ``views`` (V,) names.

    python benchmarks/build_pose2sim_people.py   # first
    python benchmarks/build_pose2sim_heldout.py
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from build_pose2sim_devset import REPO, project, temporal_filter, triangulate, undistort
from build_pose2sim_people import exchanged_nearer, keypoints17
from cache_stamp import fresh_reference, stamp

from flowpose.skeleton import H36M17


def triangulate_from(px: list[np.ndarray], ok: list[np.ndarray], cams: list[dict], members: dict[int, int],
                     inlier_px: float) -> tuple[np.ndarray, np.ndarray]:
    """One person in one frame from the given views' detections (view -> detection index).

    Args:
        px: per view, (N_v, 17, 2) detections, px.
        ok: per view, (N_v, 17) usable joints.
    Returns:
        (17, 3) world metres (NaN where fewer than 2 views remain) and (17,) the number of views used.
    """
    X, used = np.full((17, 3), np.nan), np.zeros(17, int)
    for j in range(17):
        views = [v for v, i in members.items() if ok[v][i, j]]
        for _ in range(2):  # all views, then those within inlier_px of the first triangulation
            if len(views) < 2:
                break
            norm = np.array([undistort(px[v][members[v], j][None], cams[v])[0] for v in views])
            X[j] = triangulate(norm, [cams[v] for v in views])
            used[j] = len(views)
            views = [v for v in views
                     if np.linalg.norm(project(X[j][None], cams[v])[0] - px[v][members[v], j]) < inlier_px]
        if used[j] and len(views) < 2:
            X[j], used[j] = np.nan, 0
    return X, used


def triangulate_either_way(px: list[np.ndarray], ok: list[np.ndarray], cams: list[dict], members: dict[int, int],
                           inlier_px: float, flip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`triangulate_from` with each member detection but the first also tried with left and right exchanged
    (``flip``, the layout's permutation); the labelling that keeps the most joints from the most views wins, then
    the one with the smaller median reprojection error. Same shapes as :func:`triangulate_from`."""
    views = sorted(members)
    best = None
    for exchanged in itertools.product((False, True), repeat=max(len(views) - 1, 0)):
        turn = dict(zip(views[1:], exchanged))
        px_l = [x[:, flip] if turn.get(u) else x for u, x in enumerate(px)]
        ok_l = [o[:, flip] if turn.get(u) else o for u, o in enumerate(ok)]
        X, used = triangulate_from(px_l, ok_l, cams, members, inlier_px)
        fin = np.isfinite(X).all(-1)
        errors = [np.linalg.norm(project(X[use], cams[u]) - px_l[u][i][use], axis=-1)
                  for u, i in members.items() if (use := fin & ok_l[u][i]).any()]
        error = float(np.nanmedian(np.concatenate(errors))) if errors else np.inf
        key = (int(fin.sum()), int(used.sum()), -error)
        if best is None or key > best[0]:
            best = (key, X, used)
    return best[1], best[2]  # the product above always yields one labelling (the views as given)


def main() -> None:
    """Write ``people_gt.heldout.npz`` (module docstring) and print, per view and person, how many frames the
    held-out reference can score and how far it lies from ``people_gt.npz`` in that view's image."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--inlier-px", type=float, default=30.0, help="reprojection error of an agreeing view, px")
    p.add_argument("--min-conf", type=float, default=0.5, help="MediaPipe visibility below which a 2D joint is unused")
    p.add_argument("--sigma", type=float, default=1.5, help="temporal filter, frames")
    args = p.parse_args()
    views = sorted(f.name.split(".")[0] for f in args.out.glob("cam*.people.npz"))
    cams, px, ok = [], [], []
    for view in views:
        with np.load(args.out / f"{view}.camera.npz") as c:
            cams.append({k: c[k] for k in ("K", "dist", "R", "t")})
        with np.load(args.out / f"{view}.people.npz") as d:
            k, u = keypoints17(d["image"], tuple(int(s) for s in d["size"]), args.min_conf)
        px.append(k)
        ok.append(u)
    with np.load(fresh_reference(args.out / "people_gt.npz")) as d:
        full, members = d["joints3d_world"].astype(np.float64), d["members"]  # (P, T, 17, 3), (P, T, V)
        full_raw = d["raw"].astype(np.float64)
    P, T, V = members.shape
    raw = np.full((V, P, T, 17, 3), np.nan)
    used = np.zeros((V, P, T, 17), int)
    for v in range(V):
        for q in range(P):
            for t in range(T):
                m = {u: int(members[q, t, u]) for u in range(V) if u != v and members[q, t, u] >= 0}
                raw[v, q, t], used[v, q, t] = triangulate_either_way([x[t] for x in px], [o[t] for o in ok], cams, m,
                                                                     args.inlier_px, H36M17.flip_permutation)
            turned = exchanged_nearer(raw[v, q] - raw[v, q, :, :1], full_raw[q] - full_raw[q, :, :1],
                                      H36M17.flip_permutation)
            raw[v, q, turned] = raw[v, q, turned][:, H36M17.flip_permutation]
            used[v, q, turned] = used[v, q, turned][:, H36M17.flip_permutation]
    held = temporal_filter(raw, args.sigma)
    np.savez(args.out / "people_gt.heldout.npz", joints3d_world=held.astype(np.float32), raw=raw.astype(np.float32),
             views_used=used, views=np.array(views))
    stamp(args.out / "people_gt.heldout.npz", Path(__file__))
    for v, view in enumerate(views):
        for q in range(P):
            both = np.isfinite(held[v, q]).all(-1) & np.isfinite(full[q]).all(-1)
            frames = int((np.isfinite(full[q]).all(-1).sum(-1) >= 12).sum())
            kept = int((np.isfinite(held[v, q]).all(-1).sum(-1) >= 12).sum())
            if not both.any():
                print(f"{view}/p{q}: no joint triangulated without this view ({frames} frames with it)")
                continue
            a, b = project(held[v, q][both], cams[v]), project(full[q][both], cams[v])
            d3 = np.linalg.norm(held[v, q][both] - full[q][both], axis=-1) * 1000.0
            # This view's own keypoints where it gave the person a detection: how near each reference lies to them.
            t_idx, j_idx = np.nonzero(both)
            det = members[q, t_idx, v]
            own = det >= 0
            own[own] = ok[v][t_idx[own], det[own], j_idx[own]]
            kp = px[v][t_idx[own], det[own], j_idx[own]]
            to_kp = [np.median(np.linalg.norm(r[own] - kp, axis=-1)) for r in (b, a)]
            print(f"{view}/p{q}: {kept} frames with 12+ joints without this view ({frames} with it); against "
                  f"people_gt.npz median {np.median(d3):.0f} mm, {np.median(np.linalg.norm(a - b, axis=-1)):.1f} px "
                  f"in this view; views per joint {used[v, q][used[v, q] > 0].mean():.2f}; this view's keypoints "
                  f"lie a median {to_kp[0]:.1f} px from people_gt.npz, {to_kp[1]:.1f} px from the held-out reference")


if __name__ == "__main__":
    main()
