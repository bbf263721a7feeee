"""How the two detectors' 2D err on the real set, on the joints both give: MediaPipe's against YOLO11n-pose's, raw,
smoothed in time, and less each joint's steady offset (#19, #21).

The flow can take off what of the 2D error changes from frame to frame, not what stays (README, "What real video
looks like"). For each of the 8 view-person pairs (the tracked estimates of ``bench_real.py --estimates tracked
--everyone``; YOLO's person matched as ``independent_2d.py`` matches it), over the scored frames and the joints both
detectors have (never the head), the mean distance to each held-out reference projected into the view, px:

- raw, then after a Gaussian in time of sigma 1, 2 and 4 frames (NaN-aware): what the best smoother takes is the
  fast part of the error;
- less a steady offset: each joint's mean error vector over the pair's frames taken away (what no constraint
  between frames can see).

Against MediaPipe's held-out reference (``build_pose2sim_heldout.py``) and YOLO's (``yolo_reference.py``), means
over the pairs.

    python benchmarks/experiments/independent_2d_error.py [--keypoints results/yolo11n_pose]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, REPO, heldout_references, in_view, yolo_references  # noqa: E402
from independent_2d import matched_keypoints  # noqa: E402

from flowpose.camera import project_np  # noqa: E402
from flowpose.io.keypoints2d import attach_keypoints, read_coco  # noqa: E402
from flowpose.io.poses import load_poses  # noqa: E402

SIGMAS = (1, 2, 4)
"""The Gaussians' sigmas, frames."""


def smoothed(x: np.ndarray, sigma: float) -> np.ndarray:
    """(T, J, 2) keypoints through a NaN-aware Gaussian in time (a normalised convolution); NaN stays NaN."""
    ok = np.isfinite(x).all(-1, keepdims=True)
    num = gaussian_filter1d(np.where(ok, x, 0.0), sigma, axis=0, mode="nearest")
    den = gaussian_filter1d(ok.astype(float), sigma, axis=0, mode="nearest")
    return np.where(ok, num / np.maximum(den, 1e-9), np.nan)


def errors(x: np.ndarray, p: np.ndarray, used: np.ndarray) -> list[float]:
    """Mean px error of (T, J, 2) keypoints ``x`` against the projected reference ``p`` on the (T, J) ``used``
    joints: raw, after each of :data:`SIGMAS`, and less each joint's mean error vector."""
    out = [float(np.linalg.norm(x - p, axis=-1)[used].mean())]
    out += [float(np.linalg.norm(smoothed(x, s) - p, axis=-1)[used].mean()) for s in SIGMAS]
    r = np.where(used[..., None], x - p, np.nan)
    with np.errstate(invalid="ignore"):
        steady = np.nanmean(r, 0, keepdims=True)
    out.append(float(np.linalg.norm(r - steady, axis=-1)[used].mean()))
    return out


def main() -> None:
    """Print the table (module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--keypoints", type=Path, default=REPO / "results" / "yolo11n_pose")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    args = p.parse_args()
    references = {"MediaPipe's held-out reference": heldout_references(args.devset),
                  "YOLO's held-out reference": yolo_references(args.devset)}
    print("| reference | 2D | raw px | " + " | ".join(f"Gaussian sigma {s}" for s in SIGMAS)
          + " | less each joint's steady offset |\n|---|---|---|" + "---|" * (len(SIGMAS) + 1))
    for reference, by_view in references.items():
        table: dict[str, list[list[float]]] = {"MediaPipe": [], "YOLO11n-pose": []}
        for view in args.views.split(","):
            detections = read_coco(args.keypoints / f"{view}.coco.json")[0]
            with np.load(args.devset / f"{view}.camera.npz") as c:
                R, t = c["R"], c["t"]
            for person in range(len(by_view[view])):
                init = load_poses(args.devset / f"{view}.p{person}.tracked.poses.npz")
                gt, keep = in_view(by_view[view][person], R, t, init.conf.max(-1) > 0)
                projected = project_np(gt, init.K)
                yolo = attach_keypoints(init, matched_keypoints(detections, init.joints2d)[0]).joints2d
                used = (np.isfinite(yolo).all(-1) & np.isfinite(init.joints2d).all(-1)
                        & np.isfinite(projected).all(-1) & keep[:, None])
                used[:, HEAD] = False
                if not used.any():
                    continue
                table["MediaPipe"].append(errors(init.joints2d.astype(np.float64), projected, used))
                table["YOLO11n-pose"].append(errors(yolo.astype(np.float64), projected, used))
        for name, rows in table.items():
            means = np.mean(rows, axis=0)
            print(f"| {reference} | {name} | " + " | ".join(f"{m:.1f}" for m in means) + " |")


if __name__ == "__main__":
    main()
