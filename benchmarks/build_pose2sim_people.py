"""Pseudo ground truth for every person of the pose2sim clip, not only the one ``build_pose2sim_devset.py`` follows.

Run ``build_pose2sim_devset.py`` first: this reuses its calibration reading (``camXX.camera.npz``) and its
triangulation. Steps:

1. Everyone is found and followed in every view (:func:`flowpose.estimate.people.find_people`, MediaPipe, up to
   ``--people`` per frame, the gap search included); the detections are cached as ``camXX.people.npz``.
2. Each frame, the people are triangulated greedily. Every pair of views and every pair of their detections
   gives a candidate body (DLT on undistorted points); a view agrees with it through its detection that
   reprojects nearest (median over joints under ``--inlier-px``). The candidate most views agree on (then the
   smallest error) is a person; its detections are used up, and the search goes on with the rest. Each joint
   is then triangulated from the agreeing detections in which it reprojects within ``--inlier-px`` (a
   detection that mixes two people keeps only the joints of the one it agrees with), with at least 2 views.
   Two people cannot stand closer than ``--apart-m`` (between their mean joints): a body found that near an
   earlier one of the same frame is the same person again, triangulated from views whose detections of them
   disagree with the first body's, and is dropped (its detections stay used up).
3. People are linked from frame to frame by the Hungarian method on the distance between their mean joints
   (at most ``--jump-m``), their left and right made consistent over time (:func:`consistent_sides`), filtered
   in time as the dev set is, and numbered by how many frames they span.

Why step 3 relabels: MediaPipe sometimes takes a person who faces the camera for one who faces away and gives their
points under the other labels (the man in cam02 and cam03, frames 43-93). Two such views triangulate the right
points under exchanged labels, and in some frames that body won: the man's hip axis reversed from one frame to the
next at frames 59, 65, 68 and 69, and filtered in time, mirrored and right frames averaged to hips 5-9 cm wide
instead of about 15. Made consistent, 7 of his frames are relabelled (benchmarks/RESULTS.md, sixty-first session).

Output ``people_gt.npz``: ``joints3d_world`` (P, T, 17, 3) filtered, ``raw`` unfiltered, ``members``
(P, T, V) the detection index each view gave each person (-1: none), ``fps``. The same floor as the dev set:
MediaPipe's 2D and the calibration, a few centimetres. The person the dev set follows is reported with its
distance to ``pseudo_gt.npz``.

    python benchmarks/build_pose2sim_people.py
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from build_pose2sim_devset import DATA, REPO, project, temporal_filter, triangulate, undistort
from cache_stamp import fresh_reference, is_fresh, stamp
from scipy.optimize import linear_sum_assignment

from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.people import find_people
from flowpose.io.video import open_video
from flowpose.joint_map import to_h36m17
from flowpose.skeleton import H36M17, MEDIAPIPE33


def people_detections(video: Path, cache: Path, people: int) -> tuple[np.ndarray, np.ndarray]:
    """Every detection of every frame of one view (cached): (T, N, 33, 4) MediaPipe image landmarks (x, y
    normalised, z, visibility) and (T, N, 33, 3) world landmarks, NaN-padded to the most people in a frame."""
    if not is_fresh(cache, Path(__file__)):
        with open_video(video) as reader:
            found = find_people(reader.read(), EstimateConfig(people=people), fps=reader.fps)
        n = max(1, max(len(d) for d in found.detections))
        image = np.full((len(found.detections), n, 33, 4), np.nan)
        world = np.full((len(found.detections), n, 33, 3), np.nan)
        for t, dets in enumerate(found.detections):
            for k, det in enumerate(dets):
                image[t, k], world[t, k] = det.payload
        np.savez(cache, image=image, world=world, size=np.array(found.image_size), fps=found.fps)
        stamp(cache, Path(__file__))
    with np.load(cache) as d:
        return d["image"], d["world"]


def keypoints17(image: np.ndarray, size: tuple[int, int], min_conf: float) -> tuple[np.ndarray, np.ndarray]:
    """(..., 33, 4) MediaPipe image landmarks -> (..., 17, 2) H36M-17 pixels and (..., 17) usable mask."""
    H, W = size
    px = to_h36m17(image[..., :2] * np.array([W, H]) - 0.5, MEDIAPIPE33.name, missing="nan")
    conf = to_h36m17(np.nan_to_num(image[..., 3:4], nan=0.0), MEDIAPIPE33.name, missing="nan")[..., 0]
    return px, np.isfinite(px).all(-1) & (np.nan_to_num(conf) >= min_conf)


def _errors(X: np.ndarray, px: np.ndarray, ok: np.ndarray, cam: dict) -> np.ndarray:
    """(N,) median reprojection error of body X (17, 3) against each of N detections (N, 17, 2) of a view, px."""
    fin = np.isfinite(X).all(-1)
    out = np.full(px.shape[0], np.inf)
    if fin.sum() < 4:
        return out
    proj = np.full((17, 2), np.nan)
    proj[fin] = project(X[fin], cam)
    for i in range(px.shape[0]):
        use = ok[i] & fin
        if use.sum() >= 4:
            out[i] = float(np.median(np.linalg.norm(proj[use] - px[i, use], axis=-1)))
    return out


def _triangulate_members(px: list[np.ndarray], ok: list[np.ndarray], cams: list[dict], members: dict[int, int],
                         seed: np.ndarray | None, inlier_px: float) -> np.ndarray:
    """(17, 3): each joint from the member detections (view -> index) where it is usable and, given a seed
    body that has the joint, reprojects within ``inlier_px`` of it (a joint the seed's view pair lacked is taken
    from every member that has it, unchecked: the members agree with the body as a whole); NaN with fewer than 2."""
    X = np.full((17, 3), np.nan)
    for j in range(17):
        views = [v for v, i in members.items() if ok[v][i, j]]
        if seed is not None and np.isfinite(seed[j]).all():
            views = [v for v in views if np.linalg.norm(project(seed[j][None], cams[v])[0] - px[v][members[v], j]) < inlier_px]
        if len(views) >= 2:
            norm = np.array([undistort(px[v][members[v], j][None], cams[v])[0] for v in views])
            X[j] = triangulate(norm, [cams[v] for v in views])
    return X


def frame_people(px: list[np.ndarray], ok: list[np.ndarray], cams: list[dict], inlier_px: float, apart_m: float
                 ) -> list[tuple[np.ndarray, dict[int, int]]]:
    """The people of one frame (module docstring, step 2): [(X (17, 3) world m, members view -> detection)].

    Args:
        px: per view, (N_v, 17, 2) detections, px.
        ok: per view, (N_v, 17) usable joints.
        apart_m: the least distance between two people's mean joints, m.
    """
    used = [np.zeros(p.shape[0], bool) for p in px]
    found = []
    while True:
        best = None
        for a, b in itertools.combinations(range(len(cams)), 2):
            for i, k in itertools.product(np.flatnonzero(~used[a]), np.flatnonzero(~used[b])):
                X = _triangulate_members(px, ok, cams, {a: int(i), b: int(k)}, None, inlier_px)
                if np.isfinite(X).all(-1).sum() < 8:
                    continue
                members, errors = {}, []
                for v in range(len(cams)):
                    e = np.where(used[v], np.inf, _errors(X, px[v], ok[v], cams[v]))
                    if e.size and e.min() < inlier_px:
                        members[v] = int(np.argmin(e))
                        errors.append(float(e.min()))
                if a not in members or b not in members:
                    continue
                key = (len(members), -float(np.mean(errors)))
                if best is None or key > best[0]:
                    best = (key, X, members)
        if best is None:
            return found
        _, seed, members = best
        X = _triangulate_members(px, ok, cams, members, seed, inlier_px)
        for v, i in members.items():
            used[v][i] = True
        if np.isfinite(X).all(-1).sum() < 8:
            continue
        centre = np.nanmean(X, axis=0)
        if all(np.linalg.norm(centre - np.nanmean(other, axis=0)) >= apart_m for other, _ in found):
            found.append((X, members))


TORSO = [1, 4, 11, 14]
"""H36M-17 hips and shoulders: the joints whose left and right say which way a body faces (the limbs swing too fast
between frames to tell)."""


def exchanged_nearer(X: np.ndarray, reference: np.ndarray, flip: np.ndarray) -> np.ndarray:
    """(...,) bool: where the (..., 17, 3) root-relative bodies ``X`` with left and right exchanged (``X[..., flip, :]``)
    put their hips and shoulders (:data:`TORSO`) nearer those of ``reference`` (same shape) than as labelled; False
    where the two share none of those joints."""
    same = np.linalg.norm(X[..., TORSO, :] - reference[..., TORSO, :], axis=-1)
    other = np.linalg.norm(X[..., flip, :][..., TORSO, :] - reference[..., TORSO, :], axis=-1)
    both = np.isfinite(same) & np.isfinite(other)
    n = both.sum(-1)
    mean = lambda d: np.where(both, d, 0.0).sum(-1) / np.maximum(n, 1)  # noqa: E731
    return (n > 0) & (mean(other) < mean(same))


def consistent_sides(X: np.ndarray, flip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One person's (T, 17, 3) bodies with left and right consistent over time: each frame's body is relabelled
    (``X[t][flip]``) where that puts its hips and shoulders (:data:`TORSO`) nearer the last kept frame's,
    root-relative (at 60 fps a body turns a few degrees a frame, while its mirror lies a hip's width away); then, if
    most frames were relabelled, all of them are taken the other way (the labels most frames' detections gave win).

    Returns:
        The relabelled bodies (T, 17, 3) and the (T,) frames relabelled.
    """
    flipped = np.zeros(len(X), bool)
    seen = np.isfinite(X[:, 0]).all(-1) & (np.isfinite(X[:, TORSO]).all(-1).sum(-1) >= 2)
    prev = None
    for t in np.flatnonzero(seen):
        rel = X[t] - X[t, 0]
        if prev is not None:
            flipped[t] = exchanged_nearer(rel, prev, flip)
        cur = rel[flip] if flipped[t] else rel
        prev = cur if prev is None else np.where(np.isfinite(cur), cur, prev)
    if 2 * flipped.sum() > seen.sum():
        flipped = seen & ~flipped
    out = X.copy()
    out[flipped] = X[flipped][:, flip]
    return out, flipped


def link_people(per_frame: list[list[tuple[np.ndarray, dict[int, int]]]], num_views: int, jump_m: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Link each frame's people into people over the video (module docstring, step 3).

    Returns:
        X: (P, T, 17, 3) world metres, NaN where a person was not triangulated.
        members: (P, T, V) detection index per view, -1 where none.
    """
    T = len(per_frame)
    tracks: list[dict] = []
    for t, people in enumerate(per_frame):
        centres = [np.nanmean(X, axis=0) for X, _ in people]
        live = [tr for tr in tracks if t - tr["last"] <= 10]
        cost = np.array([[np.linalg.norm(c - tr["centre"]) for c in centres] for tr in live]).reshape(len(live), len(centres))
        matched = {}
        if cost.size:
            for r, c in zip(*linear_sum_assignment(np.where(cost < jump_m, cost, 1e6))):
                if cost[r, c] < jump_m:
                    matched[c] = live[r]
        for c, (X, members) in enumerate(people):
            tr = matched.get(c)
            if tr is None:
                tr = {"X": np.full((T, 17, 3), np.nan), "members": np.full((T, num_views), -1)}
                tracks.append(tr)
            tr["X"][t], tr["centre"], tr["last"] = X, centres[c], t
            for v, i in members.items():
                tr["members"][t, v] = i
    tracks.sort(key=lambda tr: -np.isfinite(tr["X"]).all(-1).any(-1).sum())
    return np.array([tr["X"] for tr in tracks]), np.array([tr["members"] for tr in tracks])


def main() -> None:
    """Run the three steps of the module docstring and write ``people_gt.npz``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--out", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--people", type=int, default=3, help="people searched per frame")
    p.add_argument("--inlier-px", type=float, default=30.0, help="reprojection error of an agreeing view, px")
    p.add_argument("--min-conf", type=float, default=0.5, help="MediaPipe visibility below which a 2D joint is unused")
    p.add_argument("--sigma", type=float, default=1.5, help="temporal filter, frames")
    p.add_argument("--jump-m", type=float, default=0.4, help="largest move of a person's mean joint between frames, m")
    p.add_argument("--min-frames", type=int, default=20, help="people triangulated in fewer frames are dropped")
    p.add_argument("--apart-m", type=float, default=0.3,
                   help="least distance between two people's mean joints in one frame, m (nearer: the same person)")
    args = p.parse_args()
    videos = sorted((args.data / "videos").glob("cam*.mp4"))
    cams = []
    for video in videos:
        with np.load(args.out / f"{video.stem}.camera.npz") as c:
            cams.append({k: c[k] for k in ("K", "dist", "R", "t")})
    px, ok = [], []
    for video in videos:
        image, _ = people_detections(video, args.out / f"{video.stem}.people.npz", args.people)
        with np.load(args.out / f"{video.stem}.people.npz") as d:
            size = tuple(int(s) for s in d["size"])
            fps = float(d["fps"])
        k, u = keypoints17(image, size, args.min_conf)
        px.append(k)
        ok.append(u)
    T = px[0].shape[0]
    per_frame = []
    for t in range(T):
        keep = [np.isfinite(px[v][t]).any((-1, -2)) for v in range(len(cams))]
        frame_px = [px[v][t][keep[v]] for v in range(len(cams))]
        frame_ok = [ok[v][t][keep[v]] for v in range(len(cams))]
        people = frame_people(frame_px, frame_ok, cams, args.inlier_px, args.apart_m)
        index = [np.flatnonzero(k) for k in keep]  # back to the cached detection indices
        per_frame.append([(X, {v: int(index[v][i]) for v, i in m.items()}) for X, m in people])
    X, members = link_people(per_frame, len(cams), args.jump_m)
    triangulated = X.copy()  # under the labels the members' detections gave
    relabelled = np.zeros(X.shape[:2], bool)
    for q in range(len(X)):
        X[q], relabelled[q] = consistent_sides(X[q], H36M17.flip_permutation)
    frames = np.isfinite(X).all(-1).any(-1).sum(-1)
    kept = frames >= args.min_frames
    X, members, relabelled, triangulated = X[kept], members[kept], relabelled[kept], triangulated[kept]
    Xs = temporal_filter(X, args.sigma)
    np.savez(args.out / "people_gt.npz", joints3d_world=Xs.astype(np.float32), raw=X.astype(np.float32),
             members=members, fps=fps)
    stamp(args.out / "people_gt.npz", Path(__file__))
    followed = None
    if (args.out / "pseudo_gt.npz").exists():
        followed = np.load(fresh_reference(args.out / "pseudo_gt.npz"))["joints3d_world"]
    for q in range(len(X)):
        seen = np.isfinite(X[q]).all(-1).any(-1)
        errs = []
        for v in range(len(cams)):
            for t in np.flatnonzero(members[q, :, v] >= 0):
                fin = np.isfinite(triangulated[q, t]).all(-1) & ok[v][t, members[q, t, v]]
                if fin.any():
                    errs.append(np.linalg.norm(project(triangulated[q, t][fin], cams[v]) - px[v][t, members[q, t, v]][fin],
                                               axis=-1))
        err = np.concatenate(errs) if errs else np.array([np.nan])
        line = (f"person {q}: {int(seen.sum())} frames ({np.flatnonzero(seen)[0]}-{np.flatnonzero(seen)[-1]}), "
                f"{np.isfinite(X[q]).all(-1).mean():.0%} of joints, views per frame {(members[q] >= 0).sum(-1)[seen].mean():.1f}, "
                f"reprojection median {np.median(err):.1f} px, left and right relabelled in {int(relabelled[q].sum())} "
                f"(frames {np.flatnonzero(relabelled[q]).tolist()}), mean pelvis {np.nanmean(X[q, :, 0], axis=0).round(2).tolist()} m")
        if followed is not None:
            d = np.linalg.norm(Xs[q] - followed, axis=-1)
            if np.isfinite(d).any():
                line += f"; from the dev set's person: median {np.nanmedian(d) * 1000:.0f} mm"
        print(line)


if __name__ == "__main__":
    main()
