"""How far do the DIS flow's chained tracks lag on real video? Against the pseudo ground truth's motion.

``flow_location.py`` showed that where L_opt reads the flow does not matter (the estimate's projections, the 2D
keypoints or the pseudo ground truth's projections give the same result): the chained flow's values are what
fail over long spans. Here each pseudo-ground-truth joint of each pair of the real set
(``bench_real.py --estimates tracked --everyone`` first) is projected into frame t and carried to t + k along the
DIS flow (:func:`flowpose.flow.tracks.chain_flow`, on the pose stage's person crops at each work size), and
compared with the joint's projected pseudo-ground-truth motion over the same span. The tracks are then carried
back along the backward flow: the long-range forward-backward error e_fb (median-flow trackers' test of a track)
should flag drift, if it is not the same both ways.

Columns, per view-person pair, work size (``native``: the crops at their own resolution) and span k (joints
known at both ends; medians in full-frame px): motion (the pseudo ground truth's), keypoints (the detector's 2D
keypoints' motion, where observed at both ends), flow (the chained displacement's length), error (chained
against the motion), confident (share with chained confidence > 0.5), error where confident and
e_fb < 2 sqrt(k), and the correlation of error with e_fb. The pseudo ground truth is triangulated from MediaPipe
and filtered in time: its own motion errs by a few px per frame, so the error at k = 1 is a floor, not the
flow's error. ``--flow`` chains another backend instead (with its default weights); ``--contrib`` an OpenCV contrib flow in
DIS's place (``synth_flow_lag.py`` says what it needs).

    python benchmarks/experiments/chain_error.py [--views cam03] [--work-sizes 128,256,native] [--strides 1,3,9,27]
        [--flow raft-small] [--contrib tvl1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import REPO, tracked_pairs  # noqa: E402
from synth_flow_lag import Contrib  # noqa: E402

from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.field import FlowTensors  # noqa: E402
from flowpose.flow.infer import compute_video_flow  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.flow.tracks import chain_flow  # noqa: E402
from flowpose.refinement.loop import pose_person_boxes  # noqa: E402


def chain_back(backward: FlowTensors, ends: torch.Tensor, stride: int) -> torch.Tensor:
    """(T - k, N, 2) points of frames k .. T - 1 carried back k frames along the backward flows, px."""
    starts = backward.num_pairs - stride + 1
    q = ends
    for s in range(stride):
        first = stride - 1 - s  # backward pair t + k - 1 - s maps frame t + k - s to t + k - s - 1
        step, _ = backward.pairs(first, first + starts).sample(q)
        q = q + step
    return q


def main() -> None:
    """Print the chained tracks' error against the pseudo ground truth per pair, work size and span."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--work-sizes", default="128,256,native",
                   help="DIS crop sizes, px, or native (the crops' own resolution), comma-separated")
    p.add_argument("--strides", default="1,3,9,27", help="spans k, frames, comma-separated")
    p.add_argument("--flow", default="dis", help="the flow backend (dis, raft-small, ...), its default weights")
    p.add_argument("--iters", type=int, default=12, help="a network's recurrent iterations")
    p.add_argument("--contrib", choices=("tvl1", "deepflow", "rlof"), default=None,
                   help="with --flow dis: an OpenCV contrib flow in DIS's place (synth_flow_lag.Contrib)")
    args = p.parse_args()
    config = get_preset("fast")
    model = load_flow_model(args.flow)
    if args.contrib is not None:
        if args.flow != "dis":
            p.error("--contrib replaces DIS: use it with --flow dis")
        model._dis = Contrib(args.contrib)
    print("| pair | work size | k | motion px | keypoints px | flow px | error px | confident "
          "| error, confident and e_fb < 2√k | corr(error, e_fb) |\n|---|---|---|---|---|---|---|---|---|---|")
    for name, frames, gt, init, _ in tracked_pairs(args.devset, args.views):
        boxes = pose_person_boxes(init, frames.shape[1:3], config)
        q = project_np(np.nan_to_num(gt, nan=1.0), init.K_per_frame())  # (T, J, 2) px
        known = np.isfinite(gt).all(-1)
        x = init.joints2d
        seen = np.isfinite(x).all(-1) & (init.conf > 0)
        for size in args.work_sizes.split(","):
            work = None if size == "native" else int(size)
            field = compute_video_flow(model, frames, boxes=boxes, work_size=work, keep_backward=True,
                                       iters=args.iters)
            forward, backward = field.to_torch("cpu", torch.float64), field.reverse.to_torch("cpu", torch.float64)
            for k in (int(s) for s in args.strides.split(",")):
                start = torch.as_tensor(q[:-k])
                d, c = chain_flow(forward, start, k)
                fb = (chain_back(backward, start + d, k) - start).norm(dim=-1).numpy()
                both = known[k:] & known[:-k]
                motion = np.linalg.norm(q[k:] - q[:-k], axis=-1)[both]
                flow = np.linalg.norm(d.numpy(), axis=-1)[both]
                keypoints = np.linalg.norm(x[k:] - x[:-k], axis=-1)[seen[k:] & seen[:-k]]
                error = np.linalg.norm(d.numpy() - (q[k:] - q[:-k]), axis=-1)[both]
                confident = c.numpy()[both] > 0.5
                kept = confident & (fb[both] < 2 * np.sqrt(k))
                kept_error = np.median(error[kept]) if kept.any() else float("nan")
                print(f"| {name} | {size} | {k} | {np.median(motion):.1f} | {np.median(keypoints):.1f} | "
                      f"{np.median(flow):.1f} | {np.median(error):.1f} | {confident.mean():.0%} | {kept_error:.1f} "
                      f"({kept.mean():.0%}) | {np.corrcoef(error, fb[both])[0, 1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
