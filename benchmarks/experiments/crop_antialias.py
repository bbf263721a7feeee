"""A cheaper anti-aliasing for the flow stage's person crops, on the real set: as fast, as good?

`flowpose.flow.crop.crop_to_grid` low-passes a person's band with a Gaussian of sigma (s - 1) / 2 full-frame pixels
before sampling it at scale s (scikit-image's choice). On 1080p video a person's band is some 1,400 px square, and
that blur is now the largest cost of a crop (benchmarks/RESULTS.md, thirty-first session). The candidate tried here:
shrink the whole frame by the integer factor f = floor(s / 2) with OpenCV's area resampling (an f x f box mean,
variance (f^2 - 1) / 12 px^2 per axis), add the Gaussian that brings the total variance to that of the original
filter, ((s - 1) / 2)^2, with what ``crop_to_grid`` itself adds at scale s / f, and crop the small frame. Below
s = 2 the crop is the package's.

Prints, on real frames of each view, the time of a crop both ways and how far the candidate's crops lie from the
package's; with ``--bench``, runs ``benchmarks/bench_real.py --estimates tracked --everyone --cycles 3 --heldout``
with the candidate in place of the package's crop (into ``--out``, default ``results/bench_real_antialias``):

    python benchmarks/experiments/crop_antialias.py [--bench]

Since 2fd4803 the package's crop is this filter, on the person's band and without rounding the shrunk frame to 8 bits
(``flowpose.flow.crop.SHRINK_FROM``): the figures in ``benchmarks/RESULTS.md`` (thirty-first session) compare the
candidate with the Gaussian crop of 3eb70fb; run now, the script compares it with the adopted one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from unittest import mock

import cv2
import numpy as np

from flowpose.flow import infer
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


def compare_crops(views: list[str], frames: int) -> None:
    """Time and difference of the two crops on each view's first frames, at the boxes of its first person."""
    print(f"{'view':<6} {'scale':>6} {'ms package':>11} {'ms candidate':>13} {'RMS diff':>9} {'max diff':>9}")
    for view in views:
        poses = load_poses(REPO / "results" / "pose2sim" / f"{view}.p0.tracked.poses.npz")
        with open_video(VIDEOS / f"{view}.mp4") as video:
            times = {"package": 0.0, "candidate": 0.0}
            diffs, scales = [], []
            for t in range(frames):
                image = video[t]
                seen = np.isfinite(poses.joints2d[t]).all(-1) & (poses.confidence()[t] > 0)
                lo, hi = poses.joints2d[t][seen].min(0), poses.joints2d[t][seen].max(0)
                side = 1.5 * (hi - lo).max()
                centre = (lo + hi) / 2
                box = np.r_[centre - side / 2, centre + side / 2].round()
                origin, scale = box_to_grid(box, (128, 128))
                out = {}
                for name, fn in (("package", crop_to_grid), ("candidate", area_crop)):
                    t0 = time.perf_counter()
                    out[name] = fn(image, origin, scale, (128, 128))
                    times[name] += time.perf_counter() - t0
                diffs.append(out["candidate"] - out["package"])
                scales.append(scale)
            d = np.stack(diffs)
            print(f"{view:<6} {np.mean(scales):>6.1f} {1000 * times['package'] / frames:>11.1f} "
                  f"{1000 * times['candidate'] / frames:>13.1f} {np.sqrt((d**2).mean()):>9.2f} {np.abs(d).max():>9.1f}")


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
