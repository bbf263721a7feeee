"""The real set as a user's batch: one manifest line per view-person pair, ``VIDEO POSES GT``, so that
``flowpose batch`` scores each pair through the command line, as a user with ground truth would.

For each pair it writes the held-out pseudo ground truth (each person triangulated without the scored view,
``build_pose2sim_heldout.py``) in the view's camera frame as ``<view>.p<person>.heldout_gt.npz``, NaN on the frames
``bench_real.py --heldout`` does not score (not followed, no pelvis, fewer than its ``MIN_JOINTS`` joints), and the
manifest ``real.txt``. The videos are read where they are (``../shared``), never written; the pose files are the
tracked estimates ``bench_real.py --estimates tracked --everyone`` cached. Then:

    python benchmarks/export_real_batch.py
    flowpose batch results/real_batch/real.txt --out results/real_batch/out --cycles 3 --jobs 1

Each line of ``flowpose batch`` prints the pair's MPJPE before and after, and ``summary.csv`` has MPJPE and
PA-MPJPE: the same frames and joints as ``bench_real.py --heldout``'s second table, the same means (its estimate and
flowpose rows, to the digit, on the thirty-fourth session's rebuild).
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import numpy as np
from bench_real import VIDEOS, heldout_references, in_view

from flowpose.io.poses import load_poses

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim",
                        help="the real set's folder (build_pose2sim_*.py, bench_real.py --everyone)")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "real_batch",
                        help="where the ground-truth files and the manifest go")
    parser.add_argument("--views", default="cam01,cam02,cam03,cam04")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    references = heldout_references(args.devset)
    lines = []
    for view in args.views.split(","):
        with np.load(args.devset / f"{view}.camera.npz") as c:
            R, t = c["R"], c["t"]
        for person in range(len(references[view])):
            poses_file = args.devset / f"{view}.p{person}.tracked.poses.npz"
            init = load_poses(poses_file)
            finite = np.isfinite(init.joints3d)
            finite[:, 10] = True  # MediaPipe has no head top: not a reason to leave a frame out
            gt, keep = in_view(references[view][person], R, t, (init.conf.max(-1) > 0) & finite.all((1, 2)))
            gt[~keep] = np.nan
            gt_file = args.out / f"{view}.p{person}.heldout_gt.npz"
            np.savez(gt_file, joints3d=gt.astype(np.float32), fps=np.float64(init.fps))
            lines.append(shlex.join([str(VIDEOS / f"{view}.mp4"), str(poses_file), gt_file.name]))
            print(f"{view}/p{person}: {int(keep.sum())} frames scored", flush=True)
    (args.out / "real.txt").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'real.txt'} ({len(lines)} pairs)")


if __name__ == "__main__":
    main()
