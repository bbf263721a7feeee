"""Long-range tracks on real video: does the flow, chained over k frames, know where a joint went better than
the estimate's own 2D does?

On the real development set (``benchmarks/build_pose2sim_devset.py``, then ``bench_real.py --estimates
tracked`` once, which caches the tracked MediaPipe estimates), per view: the pseudo ground truth's joints are
projected into the view (p^gt), and their motion over k frames, p^gt_{t+k} - p^gt_t, is predicted by

* the flow chained from p^gt_t (:func:`flowpose.flow.tracks.chain_flow`), where its confidence exceeds 0.5:
  the embedded RAFT-small's F_0 as shipped (from zero flow) and after ``--cycles`` of fine-tuning (the preset's
  crops), and OpenCV DIS (its default preset, ``fine``);
* the estimate's own 2D motion, x_{t+k} - x_t (MediaPipe's keypoints);
* no motion at all (0).

Prints the median endpoint error in pixels and in % of the person's image height, per span. The pseudo ground
truth has a floor of a few centimetres (about 5-10 px here): small differences are within it.

    python benchmarks/experiments/real_tracks.py [--views cam01,cam02] [--spans 1,3,9,27] [--cycles 3]
        [--work-size 384]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cache_stamp import fresh_reference  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.tracks import chain_flow  # noqa: E402
from flowpose.io.poses import load_poses  # noqa: E402
from flowpose.io.video import open_video  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
VIDEOS = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson" / "videos"


def main() -> None:
    """Print one table per view."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02")
    p.add_argument("--spans", default="1,3,9,27")
    p.add_argument("--cycles", type=int, default=3, help="fine-tuning cycles of the second network row (0: no such row)")
    p.add_argument("--work-size", type=int, default=None, help="the flow's crop side, px (default: the preset's)")
    args = p.parse_args()
    spans = [int(k) for k in args.spans.split(",")]
    with np.load(fresh_reference(args.devset / "pseudo_gt.npz")) as d:
        world = d["joints3d_world"].astype(np.float64)
    base = get_preset("fast")
    if args.work_size:
        base = replace(base, flow=replace(base.flow, work_size=args.work_size))
    for view in args.views.split(","):
        with np.load(args.devset / f"{view}.camera.npz") as c:
            R, t, K = c["R"], c["t"], c["K"]
        gt = project_np(world @ R.T + t, K)  # (T, J, 2) px, NaN where not triangulated
        init = load_poses(args.devset / f"{view}.tracked.poses.npz")
        with open_video(VIDEOS / f"{view}.mp4") as reader:
            frames = reader.read()
        with np.errstate(all="ignore"):
            height = float(np.nanmedian(np.nanmax(gt[..., 1], 1) - np.nanmin(gt[..., 1], 1)))
        net = replace(base, flow=replace(base.flow, names=("raft-small",), weights=(None,), start="zero"))
        flows = {"F_0 (embedded RAFT-small)": refine(init, frames, config=replace(net, cycles=0)).flow}
        if args.cycles:
            flows[f"F_{args.cycles} (fine-tuned)"] = refine(init, frames, config=replace(net, cycles=args.cycles)).flow
        flows["DIS (fine)"] = refine(init, frames, config=replace(base, cycles=0, flow=replace(
            base.flow, names=("dis",), weights=(None,)))).flow
        print(f"\n{view}: person {height:.0f} px tall, flow crops {base.flow.work_size} px; median endpoint error over k frames, px (% of height), "
              "[tracks kept]")
        print("| predictor | " + " | ".join(f"k = {k}" for k in spans) + " |\n|---|" + "---|" * len(spans))
        rows: dict[str, list[str]] = {}
        for k in spans:
            true = gt[k:] - gt[:-k]
            seen = np.isfinite(true).all(-1)
            start = torch.tensor(np.nan_to_num(gt[:-k]), dtype=torch.float32)
            for name, flow in flows.items():
                disp, conf = (a.numpy() for a in chain_flow(flow.to_torch("cpu"), start, k))
                keep = seen & (conf > 0.5)
                err = np.linalg.norm(disp - true, axis=-1)[keep]
                rows.setdefault(name, []).append(f"{np.median(err):.1f} ({np.median(err) / height:.1%}) "
                                                 f"[{keep.sum() / seen.sum():.0%}]")
            x = init.joints2d
            for name, guess in (("MediaPipe 2D", x[k:] - x[:-k]), ("no motion", np.zeros_like(true))):
                keep = seen & np.isfinite(guess).all(-1)
                err = np.linalg.norm(guess - true, axis=-1)[keep]
                rows.setdefault(name, []).append(f"{np.median(err):.1f} ({np.median(err) / height:.1%})")
        for name, cells in rows.items():
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
