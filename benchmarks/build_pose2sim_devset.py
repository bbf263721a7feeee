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
3. Each H36M-17 joint of each frame is triangulated (DLT on undistorted points) from the largest set of
   views that agree within ``--inlier-px`` (all subsets of 2 to 4 views are tried; a view whose detector
   followed another person, or swapped a limb, falls out), and kept only with at least 2 inlier views.
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
import re
from pathlib import Path

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

from flowpose.estimate.mediapipe import EstimateConfig, poses_from_landmarks, run_landmarker
from flowpose.io.poses import save_poses
from flowpose.io.video import open_video
from flowpose.skeleton import MEDIAPIPE33, to_h36m17

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson"
QCA_PX = 64.0  # Qualisys stores pixel values in 1/64 px


def _attributes(block: str, tag: str) -> dict[str, str]:
    """The attributes of the first ``<tag ...>`` element in ``block``."""
    return dict(re.findall(r'(\w+)="([^"]*)"', re.search(rf"<{tag} [^>]*>", block).group(0)))


def read_qca(path: Path, transpose: bool) -> list[dict]:
    """Cameras of a Qualisys ``.qca.txt``: name, K (3, 3), dist (5,), R (3, 3), t (3,) in metres (OpenCV)."""
    text = path.read_text()
    cams = []
    for block in re.findall(r"<camera .*?</camera>", text, flags=re.S):
        cam, tr, intr = (_attributes(block, tag) for tag in ("camera", "transform", "intrinsic"))
        M = np.array([[float(tr[f"r{i}{j}"]) for j in (1, 2, 3)] for i in (1, 2, 3)])
        M = M.T if transpose else M
        R = np.diag([1.0, -1.0, -1.0]) @ M
        c = np.array([float(tr[k]) for k in "xyz"]) / 1000.0
        K = np.array([
            [float(intr["focalLengthU"]) / QCA_PX, 0.0, float(intr["centerPointU"]) / QCA_PX],
            [0.0, float(intr["focalLengthV"]) / QCA_PX, float(intr["centerPointV"]) / QCA_PX],
            [0.0, 0.0, 1.0],
        ])
        dist = np.array([float(intr[k]) for k in ("radialDistortion1", "radialDistortion2", "tangentalDistortion1",
                                                    "tangentalDistortion2", "radialDistortion3")])
        cams.append({"name": cam["serial"], "K": K, "dist": dist, "R": R, "t": -R @ c})
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


def robust_point(px: np.ndarray, ok: np.ndarray, cams: list[dict], inlier_px: float) -> tuple[np.ndarray, np.ndarray]:
    """The point from the largest agreeing subset of views (ties: smallest error), and the inlier mask."""
    best, best_key = (np.full(3, np.nan), np.zeros(len(cams), bool)), (0, np.inf)
    views = [v for v in range(len(cams)) if ok[v]]
    for k in range(len(views), 1, -1):
        for subset in itertools.combinations(views, k):
            X = triangulate(np.array([undistort(px[v][None], cams[v])[0] for v in subset]), [cams[v] for v in subset])
            errs = np.array([np.linalg.norm(project(X[None], cams[v])[0] - px[v]) if ok[v] else np.inf
                             for v in range(len(cams))])
            if not np.isfinite(X).all() or any(((cams[v]["R"] @ X + cams[v]["t"])[2] <= 0) for v in subset):
                continue
            inl = errs < inlier_px
            key = (int(inl.sum()), float(errs[inl].mean()) if inl.any() else np.inf)
            if key[0] >= 2 and (key[0] > best_key[0] or (key[0] == best_key[0] and key[1] < best_key[1])):
                best, best_key = (X, inl), key
        if best_key[0] == len(views):
            break
    if best_key[0] >= 2:  # refit on all inliers
        inl = best[1]
        idx = np.flatnonzero(inl)
        X = triangulate(np.array([undistort(px[v][None], cams[v])[0] for v in idx]), [cams[v] for v in idx])
        return X, inl
    return best


def main() -> None:
    """Run the four steps of the module docstring and write the dev set."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--out", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--inlier-px", type=float, default=30.0, help="reprojection error of an agreeing view, px")
    p.add_argument("--min-conf", type=float, default=0.5, help="MediaPipe visibility below which a 2D joint is unused")
    p.add_argument("--sigma", type=float, default=1.5, help="temporal filter, frames")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    videos = sorted((args.data / "videos").glob("cam*.mp4"))

    # 2. MediaPipe on every view (cached: the slow step).
    detections = []
    for video in videos:
        cache = args.out / f"{video.stem}.mediapipe.npz"
        if not cache.exists():
            with open_video(video) as reader:
                image, world = run_landmarker(reader.read(), EstimateConfig(tracking=False), progress=True)
                fps, size = reader.fps, reader.size
            np.savez(cache, image=image, world=world, fps=fps, size=np.array(size))
        with np.load(cache) as d:
            detections.append({k: d[k] for k in d.files})
    H, W = (int(v) for v in detections[0]["size"])
    x2d = []
    for d in detections:
        px = d["image"][..., :2] * np.array([W, H]) - 0.5
        x2d.append((to_h36m17(px, MEDIAPIPE33.name, missing="nan"),
                    to_h36m17(np.nan_to_num(d["image"][..., 3:4], nan=0.0), MEDIAPIPE33.name, missing="nan")[..., 0]))
    T, V = x2d[0][0].shape[0], len(videos)

    # 1 + 3. Both readings of the rotation; triangulate with each, keep the better.
    results = {}
    for transpose in (False, True):
        cams = read_qca(args.data / "calibration" / "Calib.qca.txt", transpose)
        X = np.full((T, 17, 3), np.nan)
        inl = np.zeros((T, 17, V), bool)
        for t in range(T):
            for j in range(17):
                px = np.array([x2d[v][0][t, j] for v in range(V)])
                ok = np.array([np.isfinite(px[v]).all() and x2d[v][1][t, j] >= args.min_conf for v in range(V)])
                if ok.sum() >= 2:
                    X[t, j], inl[t, j] = robust_point(px, ok, cams, args.inlier_px)
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

    # 4. Temporal filter (NaN-aware: normalised convolution).
    ok = np.isfinite(X).all(-1, keepdims=True)
    num = gaussian_filter1d(np.where(ok, X, 0.0), args.sigma, axis=0, mode="nearest")
    den = gaussian_filter1d(ok.astype(float), args.sigma, axis=0, mode="nearest")
    Xs = np.where(ok, num / np.maximum(den, 1e-9), np.nan)
    valid = inl.mean(1) >= 0.5  # (T, V): the view's detector followed the triangulated person
    bones = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (8, 11), (11, 12), (12, 13), (8, 14), (14, 15), (15, 16)]
    lengths = {f"{a}-{b}": float(np.nanstd(np.linalg.norm(Xs[:, a] - Xs[:, b], axis=-1)) * 1000) for a, b in bones}
    np.savez(args.out / "pseudo_gt.npz", joints3d_world=Xs.astype(np.float32), raw=X.astype(np.float32), inliers=inl,
             valid=valid, fps=float(detections[0]["fps"]))
    for _v, (video, cam, d) in enumerate(zip(videos, cams, detections)):
        init = poses_from_landmarks(d["image"], d["world"], (H, W), fps=float(d["fps"]), K=cam["K"])
        save_poses(init, args.out / f"{video.stem}.poses.npz")
        np.savez(args.out / f"{video.stem}.camera.npz", K=cam["K"], dist=cam["dist"], R=cam["R"], t=cam["t"])
    summary = {"rotation_reading": "M^T" if transpose else "M", "reprojection_px": reproj,
               "valid_frames_per_view": valid.sum(0).tolist(), "triangulated_share": float(ok.mean()),
               "bone_length_std_mm": lengths}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
