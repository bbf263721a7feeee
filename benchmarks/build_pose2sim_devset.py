"""Build the real development set: pseudo ground truth triangulated from the four calibrated pose2sim views.

Input: ``../shared/data/video/pose2sim_multiperson/`` (4 synchronised 1088x1920 cameras, 100 frames at 60 fps,
a Qualisys calibration). Nothing of it is copied into the repository; the output goes to ``--out`` (default
``results/pose2sim``, ignored by git).

1. The calibration is read as ../shared/DATA.md says: pixel values in 1/64 px, positions in mm, the rotation
   ``M`` world -> Qualisys camera, whose axes differ from OpenCV's by a 180 degree turn about x:
   ``R = diag(1, -1, -1) M``, ``t = -R c``. Both ``M`` and ``M^T`` are tried and the one that reprojects
   better is kept (the reprojection errors of both are printed: the proof of the reading).
2. MediaPipe's pose landmarker (the ``estimate`` extra, offline) runs on every frame of every view. Its
   poses, placed with the calibrated K, are also each view's initial estimate for the benchmark.
3. One person is followed through the video. In each frame a body is triangulated (DLT on undistorted
   points) from every pair of views, and the views whose detections it reprojects into within
   ``--inlier-px`` (median over joints) agree with it; a view whose detector followed another person does
   not. The first frame takes the body most views agree on, each later frame the one nearest the last
   pelvis. Each joint is then triangulated from the agreeing views in which it reprojects within
   ``--inlier-px`` (a view that swapped that limb falls out), and kept with at least 2 of them.
4. The joints are filtered in time (Gaussian, sigma ``--sigma`` frames, NaN-aware).

It is pseudo ground truth: MediaPipe's own 2D error and the calibration set a floor of a few centimetres.
Frames where a view's detector followed another person than the triangulated one are marked invalid for
that view (fewer than half of its joints are inliers).

    python benchmarks/build_pose2sim_devset.py
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import cv2
import numpy as np
from cache_stamp import is_fresh, stamp
from scipy.ndimage import gaussian_filter1d

from flowpose.estimate.mediapipe import EstimateConfig, poses_from_landmarks
from flowpose.estimate.people import detect_people
from flowpose.io.poses import save_poses
from flowpose.io.rig_files import read_rig
from flowpose.io.video import open_video
from flowpose.joint_map import to_h36m17
from flowpose.skeleton import MEDIAPIPE33

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson"


def read_qca(path: Path, transpose: bool) -> list[dict]:
    """Cameras of a Qualisys ``.qca.txt``: name, K (3, 3), dist (5,), R (3, 3), t (3,) in metres (OpenCV), as
    flowpose reads them (``flowpose.io.rig_files``, what ``--intrinsics`` and ``export --extrinsics`` read:
    ``R = diag(1, -1, -1) M``). ``transpose``: the other reading, ``M^T`` in M's place, about the same centre."""
    cams = []
    flip = np.diag([1.0, -1.0, -1.0])
    for rig in read_rig(path):
        R, t = rig.R, rig.t
        if transpose:
            centre = -rig.R.T @ rig.t
            R = flip @ (flip @ rig.R).T
            t = -R @ centre
        cams.append({"name": rig.name, "K": rig.K, "dist": rig.dist, "R": R, "t": t})
    return cams


def undistort(points: np.ndarray, cam: dict) -> np.ndarray:
    """(N, 2) distorted pixels -> (N, 2) normalised image coordinates."""
    return cv2.undistortPoints(points.reshape(-1, 1, 2).astype(np.float64), cam["K"], cam["dist"]).reshape(-1, 2)


def project(X: np.ndarray, cam: dict) -> np.ndarray:
    """(N, 3) world metres -> (N, 2) distorted pixels."""
    rvec, _ = cv2.Rodrigues(cam["R"])
    px, _ = cv2.projectPoints(X.reshape(-1, 1, 3).astype(np.float64), rvec, cam["t"], cam["K"], cam["dist"])
    return px.reshape(-1, 2)


def triangulate(norm: np.ndarray, cams: list[dict]) -> np.ndarray:
    """DLT from (V, 2) normalised points of the given cameras -> (3,) world point."""
    rows = []
    for (x, y), cam in zip(norm, cams):
        P = np.hstack([cam["R"], cam["t"][:, None]])
        rows += [x * P[2] - P[0], y * P[2] - P[1]]
    _, _, vt = np.linalg.svd(np.asarray(rows))
    return vt[-1, :3] / vt[-1, 3]


def body_from_pair(px: np.ndarray, ok: np.ndarray, cams: list[dict], pair: tuple[int, int]) -> np.ndarray:
    """(17, 3) joints triangulated from two views (NaN where either lacks the joint)."""
    X = np.full((17, 3), np.nan)
    for j in range(17):
        if ok[pair[0], j] and ok[pair[1], j]:
            X[j] = triangulate(np.array([undistort(px[v, j][None], cams[v])[0] for v in pair]), [cams[v] for v in pair])
    return X


def view_errors(X: np.ndarray, px: np.ndarray, ok: np.ndarray, cams: list[dict]) -> np.ndarray:
    """(V, 17) reprojection error of each joint in each view, px (inf where unknown)."""
    errs = np.full(ok.shape, np.inf)
    fin = np.isfinite(X).all(-1)
    for v, cam in enumerate(cams):
        use = fin & ok[v]
        if use.any():
            errs[v, use] = np.linalg.norm(project(X[use], cam) - px[v, use], axis=-1)
    return errs


def frame_candidates(px: np.ndarray, ok: np.ndarray, cams: list[dict], inlier_px: float) -> list[dict]:
    """One body per view pair: its agreeing views (median joint error under ``inlier_px``), refitted on them."""
    out = []
    for pair in itertools.combinations(range(len(cams)), 2):
        X = body_from_pair(px, ok, cams, pair)
        if np.isfinite(X).all(-1).sum() < 8:
            continue
        errs = view_errors(X, px, ok, cams)
        agree = [v for v in range(len(cams)) if np.median(errs[v][np.isfinite(errs[v])]) < inlier_px] \
            if all(np.isfinite(errs[v]).any() for v in range(len(cams))) else [v for v in pair]
        if len(agree) < 2:
            continue
        out.append({"agree": agree, "X": X, "pelvis": X[0], "error": float(np.nanmedian(errs[agree]))})
    return out


def refit(px: np.ndarray, ok: np.ndarray, cams: list[dict], agree: list[int], seed: np.ndarray,
          inlier_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Per joint: triangulate from the agreeing views where the joint reprojects within ``inlier_px`` of the
    candidate body (a view that swapped that limb drops out), keeping joints seen by at least 2 of them."""
    errs = view_errors(seed, px, ok, cams)
    X = np.full((17, 3), np.nan)
    inl = np.zeros((17, len(cams)), bool)
    for j in range(17):
        views = [v for v in agree if errs[v, j] < inlier_px]
        if len(views) >= 2:
            X[j] = triangulate(np.array([undistort(px[v, j][None], cams[v])[0] for v in views]), [cams[v] for v in views])
            inl[j, views] = True
    return X, inl


def track_person(px: np.ndarray, ok: np.ndarray, cams: list[dict], inlier_px: float, jump_m: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 3) joints and (T, 17, V) inliers of one person over the video: the body most views agree on in
    the first frame, then each frame the candidate nearest the last pelvis (within ``jump_m``), most views
    first; frames with none are NaN."""
    T, V = px.shape[0], len(cams)
    X, inl = np.full((T, 17, 3), np.nan), np.zeros((T, 17, V), bool)
    last = None
    for t in range(T):
        cands = frame_candidates(px[t], ok[t], cams, inlier_px)
        if last is not None:
            cands = [c for c in cands if np.isfinite(c["pelvis"]).all() and np.linalg.norm(c["pelvis"] - last) < jump_m]
        if not cands:
            continue
        best = max(cands, key=lambda c: (len(c["agree"]), -c["error"]))
        X[t], inl[t] = refit(px[t], ok[t], cams, best["agree"], best["X"], inlier_px)
        if np.isfinite(X[t, 0]).all():
            last = X[t, 0]
    return X, inl


def temporal_filter(X: np.ndarray, sigma: float) -> np.ndarray:
    """NaN-aware Gaussian filter (a normalised convolution) along the frames, axis -3, of (..., T, 17, 3) joints;
    joints NaN before stay NaN."""
    ok = np.isfinite(X).all(-1, keepdims=True)
    num = gaussian_filter1d(np.where(ok, X, 0.0), sigma, axis=-3, mode="nearest")
    den = gaussian_filter1d(ok.astype(float), sigma, axis=-3, mode="nearest")
    return np.where(ok, num / np.maximum(den, 1e-9), np.nan)


def main() -> None:
    """Run the four steps of the module docstring and write the dev set."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--out", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--inlier-px", type=float, default=30.0, help="reprojection error of an agreeing view, px")
    p.add_argument("--min-conf", type=float, default=0.5, help="MediaPipe visibility below which a 2D joint is unused")
    p.add_argument("--sigma", type=float, default=1.5, help="temporal filter, frames")
    p.add_argument("--jump-m", type=float, default=0.4, help="largest pelvis move between frames of one person, m")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    videos = sorted((args.data / "videos").glob("cam*.mp4"))

    # 2. MediaPipe on every view (cached: the slow step).
    detections = []
    for video in videos:
        cache = args.out / f"{video.stem}.mediapipe.npz"
        if not is_fresh(cache, Path(__file__)):
            with open_video(video) as reader:
                found = detect_people(reader.read(), EstimateConfig(people=1), progress=True)
                image = np.full((len(found), 33, 4), np.nan)
                world = np.full((len(found), 33, 3), np.nan)
                for t, dets in enumerate(found):
                    if dets:
                        image[t], world[t] = dets[0].payload
                fps, size = reader.fps, reader.size
            np.savez(cache, image=image, world=world, fps=fps, size=np.array(size))
            stamp(cache, Path(__file__))
        with np.load(cache) as d:
            detections.append({k: d[k] for k in d.files})
    H, W = (int(v) for v in detections[0]["size"])
    x2d = []
    for d in detections:
        px = d["image"][..., :2] * np.array([W, H]) - 0.5
        x2d.append((to_h36m17(px, MEDIAPIPE33.name, missing="nan"),
                    to_h36m17(np.nan_to_num(d["image"][..., 3:4], nan=0.0), MEDIAPIPE33.name, missing="nan")[..., 0]))
    V = len(videos)

    # 1 + 3. Both readings of the rotation; triangulate with each, keep the better.
    results = {}
    for transpose in (False, True):
        cams = read_qca(args.data / "calibration" / "Calib.qca.txt", transpose)
        px = np.stack([x2d[v][0] for v in range(V)], axis=1)  # (T, V, 17, 2)
        ok = np.stack([np.isfinite(x2d[v][0]).all(-1) & (x2d[v][1] >= args.min_conf) for v in range(V)], axis=1)
        X, inl = track_person(px, ok, cams, args.inlier_px, args.jump_m)
        errs = [np.linalg.norm(project(X[inl[..., v]], cams[v]) - x2d[v][0][inl[..., v]], axis=-1)
                for v in range(V)]
        mean = [float(e.mean()) if e.size else float("nan") for e in errs]
        results[transpose] = (cams, X, inl, mean)
        print(f"rotation {'M^T' if transpose else 'M'}: triangulated {np.isfinite(X).all(-1).mean():.0%} of joints, "
              f"reprojection error per view (px, inliers): {', '.join(f'{m:.1f}' for m in mean)}, "
              f"inlier share per view: {', '.join(f'{inl[..., v].mean():.0%}' for v in range(V))}")
    transpose = min(results, key=lambda k: (-np.isfinite(results[k][1]).all(-1).mean(), np.nanmean(results[k][3])))
    cams, X, inl, reproj = results[transpose]
    print(f"kept rotation reading {'M^T' if transpose else 'M'}")

    # 4. Temporal filter.
    Xs = temporal_filter(X, args.sigma)
    ok = np.isfinite(X).all(-1, keepdims=True)
    valid = inl.mean(1) >= 0.5  # (T, V): the view's detector followed the triangulated person
    bones = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (8, 11), (11, 12), (12, 13), (8, 14), (14, 15), (15, 16)]
    lengths = {f"{a}-{b}": float(np.nanstd(np.linalg.norm(Xs[:, a] - Xs[:, b], axis=-1)) * 1000) for a, b in bones}
    np.savez(args.out / "pseudo_gt.npz", joints3d_world=Xs.astype(np.float32), raw=X.astype(np.float32), inliers=inl,
             valid=valid, fps=float(detections[0]["fps"]))
    stamp(args.out / "pseudo_gt.npz", Path(__file__))
    for _v, (video, cam, d) in enumerate(zip(videos, cams, detections)):
        init = poses_from_landmarks(d["image"], d["world"], (H, W), fps=float(d["fps"]), K=cam["K"])
        save_poses(init, args.out / f"{video.stem}.poses.npz")
        np.savez(args.out / f"{video.stem}.camera.npz", K=cam["K"], dist=cam["dist"], R=cam["R"], t=cam["t"])
    pelvis = Xs[:, 0]
    summary = {"rotation_reading": "M^T" if transpose else "M", "reprojection_px": reproj,
               "pelvis_world_m_first_last": [pelvis[np.isfinite(pelvis).all(-1)][i].round(3).tolist() for i in (0, -1)],
               "frames_with_every_joint_but_the_head": int(np.isfinite(np.delete(Xs, 10, axis=1)).all((1, 2)).sum()),
               "valid_frames_per_view": valid.sum(0).tolist(), "triangulated_share": float(ok.mean()),
               "bone_length_std_mm": lengths}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
