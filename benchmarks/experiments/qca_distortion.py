"""Which reading of the Qualisys calibration's lens distortion do the real views agree with?

flowpose reads ``radialDistortion1, 2, 3`` and ``tangentalDistortion1, 2`` of a ``.qca.txt`` as OpenCV's k1, k2,
k3, p1, p2 as they stand (``flowpose/io/rig_files.py``); Pose2Sim's converter divides them by 64, as it does the
pixel values. The two readings differ by up to 9 px at the frame's edge on these cameras. Each is tried here,
with no distortion at all as a control: the same MediaPipe detections of the four views (the dev set's cache) are
triangulated as the dev set's builder does, and each reading's reprojection error is printed (median and mean
over the inlier joints, per view). The reading the views agree with best has the smaller error.

    python benchmarks/build_pose2sim_devset.py   # the detections' cache, once
    python benchmarks/experiments/qca_distortion.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from build_pose2sim_devset import DATA, project, read_qca, track_person  # noqa: E402

from flowpose.joint_map import to_h36m17  # noqa: E402
from flowpose.skeleton import MEDIAPIPE33  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    """Triangulate with each reading of the distortion and print its reprojection errors."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--inlier-px", type=float, default=30.0)
    p.add_argument("--min-conf", type=float, default=0.5)
    p.add_argument("--jump-m", type=float, default=0.4)
    args = p.parse_args()
    px, ok = [], []
    for v in range(1, 5):
        with np.load(args.cache / f"cam0{v}.mediapipe.npz") as d:
            H, W = (int(x) for x in d["size"])
            image = d["image"]
        px.append(to_h36m17(image[..., :2] * np.array([W, H]) - 0.5, MEDIAPIPE33.name, missing="nan"))
        conf = to_h36m17(np.nan_to_num(image[..., 3:4], nan=0.0), MEDIAPIPE33.name, missing="nan")[..., 0]
        ok.append(np.isfinite(px[-1]).all(-1) & (conf >= args.min_conf))
    px, ok = np.stack(px, axis=1), np.stack(ok, axis=1)  # (T, V, 17, ...)
    base = read_qca(DATA / "calibration" / "Calib.qca.txt", transpose=False)
    for label, scale in (("as written (flowpose)", 1.0), ("divided by 64 (Pose2Sim's converter)", 1 / 64),
                         ("none (control)", 0.0)):
        cams = [{**cam, "dist": cam["dist"] * scale} for cam in base]
        X, inl = track_person(px, ok, cams, args.inlier_px, args.jump_m)
        errors = []
        for v, cam in enumerate(cams):
            use = inl[..., v] & np.isfinite(X).all(-1)
            errors.append(np.linalg.norm(project(X[use], cam) - px[:, v][use], axis=-1))
        every = np.concatenate(errors)
        print(f"distortion {label}: triangulated {np.isfinite(X).all(-1).mean():.0%} of joints; reprojection error "
              f"px, median / mean per view: {', '.join(f'{np.median(e):.2f} / {e.mean():.2f}' for e in errors)}; "
              f"all views {np.median(every):.2f} / {every.mean():.2f} ({every.size} joints)")


if __name__ == "__main__":
    main()
