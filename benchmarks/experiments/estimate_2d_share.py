"""How the estimate's 2D errs with its 3D: the real set beside a simulated profile, the same statistics.

The realistic profiles are calibrated to these. For each view-person pair of the real set (the tracked estimates
``bench_real.py --estimates tracked --everyone`` caches; scored frames, the 16 joints the reference has, never the
head) and for each simulated clip (the shared mocap as ``calibrate_noise.py`` places it, several seeds), with
``e2`` the 2D keypoints' error, root-aligned and taken to metres at each joint's true depth (pixels times z / f),
and ``e3`` the 3D's root-aligned error in the image plane (x, y):

- the 2D error, mean distance over the person's height in the image (%), as DATA.md gives it;
- ``|e2|`` and ``|e3|`` (mm), the 2D's share of the 3D's error (the regression of ``e2`` on ``e3``,
  ``sum e2.e3 / sum e3.e3``) and their correlation;
- the same for their fast parts (the error less its Gaussian smoothing over 167 ms: 10 frames at the real 60 fps,
  5 at the simulated 30);
- the standard deviation over frames of each bone's length in the 3D (mm), mean over the bones;
- the acceleration error (mm/frame², root-aligned, as ``bench_real.py`` scores it), at the video's rate and, for
  the real set, on every other frame (30 fps, the simulated clips' rate).

The real reference is triangulated from MediaPipe: its own error (a few cm) is in ``e2`` and ``e3`` alike, so it
raises their share and correlation somewhat.

    python benchmarks/experiments/estimate_2d_share.py [--reference all|heldout] [--profile mediapipe] [--seeds 3]
        [--views ""  (the simulated profile alone)] [--set FIELD=VALUE,...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from calibrate_noise import FPS, load_clips  # the same directory
from scipy.ndimage import gaussian_filter1d
from synth_set import changed_profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, experiment_parser, scores, tracked_pairs  # noqa: E402

from flowpose.camera import project_np  # noqa: E402
from flowpose.metrics import bone_length_std  # noqa: E402
from flowpose.synth.noise import PROFILES, simulate_estimates  # noqa: E402
from flowpose.synth.placement import default_intrinsics  # noqa: E402

JOINTS = [k for k in range(17) if k != HEAD]
COLUMNS = ("2D error % of height", "|e2| mm", "|e3| mm", "share", "correlation", "fast |e2| mm", "fast |e3| mm",
           "fast share", "fast correlation", "bone length std mm")
FAST_S = 1.0 / 6.0
"""Sigma of the Gaussian that separates fast from slow error, seconds."""


def statistics(joints2d: np.ndarray, joints3d: np.ndarray, gt: np.ndarray, K: np.ndarray, keep: np.ndarray,
               fps: float) -> list[float]:
    """:data:`COLUMNS` of one estimate: (T, 17, 2) pixels and (T, 17, 3) camera metres against the (T, 17, 3)
    reference, on the (T,) ``keep`` frames (in order; the fast part smooths over them as one sequence)."""
    f = float(K[0, 0])
    truth = project_np(gt, K)
    height = float(np.nanmedian(np.nanmax(truth[..., 1], 1) - np.nanmin(truth[..., 1], 1)))
    e2 = (joints2d - truth)[keep][:, JOINTS]
    percent = np.linalg.norm(e2, axis=-1) / height * 100.0
    e2 = (e2 - (joints2d - truth)[keep][:, :1]) * gt[keep][:, JOINTS, 2:3] / f
    e3 = ((joints3d[:, JOINTS] - joints3d[:, :1]) - (gt[:, JOINTS] - gt[:, :1]))[keep][..., :2]
    seen = np.isfinite(e2).all(-1) & np.isfinite(e3).all(-1)

    def fast(e: np.ndarray) -> np.ndarray:
        filled = np.where(seen[..., None], e, 0.0)
        return filled - gaussian_filter1d(filled, FAST_S * fps, axis=0)

    out = [float(np.nanmean(percent[seen]))]
    for a, b in ((e2[seen], e3[seen]), (fast(e2)[seen], fast(e3)[seen])):
        share = float((a * b).sum() / (b * b).sum())
        corr = float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))
        out += [1000.0 * float(np.linalg.norm(a, axis=-1).mean()), 1000.0 * float(np.linalg.norm(b, axis=-1).mean()),
                share, corr]
    headless = joints3d[keep].copy()
    headless[:, HEAD] = np.nan  # the real estimate has no head top: its bones are left out of both
    return out + [bone_length_std(headless)]


def main() -> None:
    """Print the statistics of the real set and of the simulated profile."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="mediapipe", choices=list(PROFILES))
    p.add_argument("--set", default="", help="profile fields changed, FIELD=VALUE,... (numbers; 0 or 1 for flags)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per simulated clip")
    p.add_argument("--mocap", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data" / "mocap")
    args = p.parse_args()
    rows: dict[str, list[list[float]]] = {"real": [], args.profile: []}
    accel: dict[str, list[float]] = {"real, 60 fps": [], "real, every other frame (30 fps)": [], args.profile: []}
    for name, _frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference) if args.views else ():
        rows["real"].append(statistics(init.joints2d.astype(np.float64), init.joints3d.astype(np.float64), gt,
                                       init.K.astype(np.float64), keep, init.fps))
        accel["real, 60 fps"].append(scores(init.joints3d, gt, keep)["accel_error"])
        accel["real, every other frame (30 fps)"].append(scores(init.joints3d[::2], gt[::2], keep[::2])["accel_error"])
        print(f"{name}: " + ", ".join(f"{c} {v:.2f}" for c, v in zip(COLUMNS, rows["real"][-1])), flush=True)
    K, profile = default_intrinsics(256, 256, 55.0), changed_profile(args.profile, args.set)
    for gt in load_clips(args.mocap).values():
        for seed in range(args.seeds):
            est = simulate_estimates(gt, K, fps=FPS, profile=profile, seed=seed)
            keep = np.ones(len(gt), dtype=bool)
            rows[args.profile].append(statistics(est.joints2d.astype(np.float64), est.joints3d.astype(np.float64), gt,
                                                 K, keep, FPS))
            accel[args.profile].append(scores(est.joints3d, gt, keep)["accel_error"])
    print(f"\n{'reference ' + args.reference + '; ' if args.views else ''}{args.profile}{', ' + args.set if args.set else ''}: {args.seeds} seeds of "
          "each mocap clip\n")
    print("| estimate | " + " | ".join(COLUMNS) + " |\n" + "|---" * (len(COLUMNS) + 1) + "|")
    for name, values in rows.items():
        if not values:
            continue
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in np.mean(values, axis=0)) + " |")
    print("\n| estimate | accel err mm/f² |\n|---|---|")
    for name, values in accel.items():
        if values:
            print(f"| {name} | {np.mean(values):.1f} |")


if __name__ == "__main__":
    main()
