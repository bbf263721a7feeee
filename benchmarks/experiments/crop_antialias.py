"""A cheaper anti-aliasing for the flow stage's person crops, on the real set: as fast, as good?

`flowpose.flow.crop.crop_to_grid` low-passes a person's band with a Gaussian of sigma (s - 1) / 2 full-frame pixels
before sampling it at scale s (scikit-image's choice). On 1080p video a person's band is some 1,400 px square, and
that blur is now the largest cost of a crop (benchmarks/RESULTS.md, thirty-first session). The candidate tried here:
shrink the whole frame by the integer factor f = floor(s / 2) with OpenCV's area resampling (an f x f box mean,
variance (f^2 - 1) / 12 px^2 per axis), add the Gaussian that brings the total variance to that of the original
filter, ((s - 1) / 2)^2, with what ``crop_to_grid`` itself adds at scale s / f, and crop the small frame. Below
s = 4 the crop is the package's.

Prints, on real frames of each view, the time of a crop three ways (the exact Gaussian, the package's, the
candidate's) and how far the last two lie from the first, inside the frame and in the edge padding; with ``--bench``, runs ``benchmarks/bench_real.py --estimates tracked --everyone --cycles 3 --heldout``
with the candidate in place of the package's crop (into ``--out``, default ``results/bench_real_antialias``):

    python benchmarks/experiments/crop_antialias.py [--bench]

Since 2fd4803 the package's crop is this filter, on the person's band and without rounding the shrunk frame to 8 bits
(``flowpose.flow.crop.SHRINK_FROM``); the exact Gaussian crop of 3eb70fb is the package's with ``SHRINK_FROM`` set to
infinity. ``--bench``'s figures in ``benchmarks/RESULTS.md`` were made on 3eb70fb (the Gaussian crop as the package's).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from unittest import mock

import cv2
import numpy as np

from flowpose.flow import crop, infer
from flowpose.flow.crop import box_to_grid, crop_to_grid
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video

REPO = Path(__file__).resolve().parents[2]
VIDEOS = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson" / "videos"


def area_crop(image: np.ndarray, origin: np.ndarray, scale: float, size: tuple[int, int]) -> np.ndarray:
    """The candidate: ``crop_to_grid``'s signature and output, with the frame shrunk first (module docstring)."""
    f = int(scale // 2)
    if f < 2:
        return crop_to_grid(image, origin, scale, size)
    H, W = image.shape[:2]
    small = cv2.resize(image, (W // f, H // f), interpolation=cv2.INTER_AREA).astype(np.float32)
    target = ((scale - 1.0) / 2.0) ** 2  # full-frame px^2
    inner = (scale / f - 1.0) / 2.0  # what crop_to_grid adds, small px
    extra2 = (target - (f * f - 1.0) / 12.0) / (f * f) - inner**2  # small px^2
    if extra2 > 0:
        small = cv2.GaussianBlur(small, (0, 0), sigmaX=float(np.sqrt(extra2)), borderType=cv2.BORDER_REPLICATE)
        small = small.reshape(H // f, W // f, -1)
    # Small pixel i is the mean of full-frame pixels f i .. f i + f - 1, centred at f i + (f - 1) / 2.
    return crop_to_grid(small, (np.asarray(origin, np.float64) - (f - 1) / 2.0) / f, scale / f, size)


def gaussian_crop(image: np.ndarray, origin: np.ndarray, scale: float, size: tuple[int, int]) -> np.ndarray:
    """The exact Gaussian crop at every scale: the package's with its block means switched off (3eb70fb's crop)."""
    with mock.patch.object(crop, "SHRINK_FROM", np.inf):
        return crop_to_grid(image, origin, scale, size)


CROPS = {"gaussian": gaussian_crop, "package": crop_to_grid, "candidate": area_crop}
"""The crops compared: exact Gaussian, the package's (block means from scale 4, since 2fd4803), the experiment's."""


def compare_crops(views: list[str], frames: int) -> None:
    """Time of each crop on each view's first frames, at the boxes of its first person (one warm-up crop first), and
    how far the package's and the candidate's lie from the exact Gaussian one, over the grid pixels inside the frame
    and over those in the edge padding."""
    print(f"{'view':<6} {'scale':>6} " + " ".join(f"{'ms ' + n:>12}" for n in CROPS)
          + "   RMS / max from gaussian: package inside, padding; candidate inside, padding")
    for view in views:
        poses = load_poses(REPO / "results" / "pose2sim" / f"{view}.p0.tracked.poses.npz")
        with open_video(VIDEOS / f"{view}.mp4") as video:
            H, W = video.size
            times = dict.fromkeys(CROPS, 0.0)
            diffs: dict[tuple[str, bool], list[np.ndarray]] = {}
            scales = []
            for t in range(frames):
                image = video[t]
                seen = np.isfinite(poses.joints2d[t]).all(-1) & (poses.confidence()[t] > 0)
                lo, hi = poses.joints2d[t][seen].min(0), poses.joints2d[t][seen].max(0)
                side = 1.5 * (hi - lo).max()
                centre = (lo + hi) / 2
                box = np.r_[centre - side / 2, centre + side / 2].round()
                origin, scale = box_to_grid(box, (128, 128))
                if t == 0:
                    for fn in CROPS.values():
                        fn(image, origin, scale, (128, 128))
                out = {}
                for name, fn in CROPS.items():
                    t0 = time.perf_counter()
                    out[name] = fn(image, origin, scale, (128, 128))
                    times[name] += time.perf_counter() - t0
                x, y = origin[0] + scale * np.arange(128), origin[1] + scale * np.arange(128)
                inside = (x[None] >= 0) & (x[None] <= W - 1) & (y[:, None] >= 0) & (y[:, None] <= H - 1)
                for name in ("package", "candidate"):
                    d = np.abs(out[name] - out["gaussian"]).max(-1)
                    diffs.setdefault((name, True), []).append(d[inside])
                    diffs.setdefault((name, False), []).append(d[~inside])
                scales.append(scale)
            parts = []
            for key in (("package", True), ("package", False), ("candidate", True), ("candidate", False)):
                d = np.concatenate(diffs[key])
                parts.append(f"{np.sqrt((d**2).mean()):.2f} / {d.max():.1f}" if d.size else "-")
            print(f"{view:<6} {np.mean(scales):>6.1f} " + " ".join(f"{1000 * times[n] / frames:>12.1f}" for n in CROPS)
                  + "   " + "; ".join(parts))


def main() -> int:
    """Compare the crops; with --bench, the real set with the candidate."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--frames", type=int, default=20, help="frames of each view to compare crops on")
    p.add_argument("--bench", action="store_true", help="run the real set with the candidate crop")
    p.add_argument("--out", type=Path, default=REPO / "results" / "bench_real_antialias")
    args = p.parse_args()
    compare_crops(args.views.split(","), args.frames)
    if args.bench:
        sys.path.insert(0, str(REPO / "benchmarks"))
        import bench_real

        sys.argv = ["bench_real.py", "--estimates", "tracked", "--everyone", "--cycles", "3", "--heldout",
                    "--out", str(args.out)]
        with mock.patch.object(infer, "crop_to_grid", area_crop):
            bench_real.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
