"""Is the optical flow at a joint the joint's motion? The renderer's exact flow against the true joints' motion.

L_opt compares the projected motion of the joints and bone points with the flow read at their pixels. The flow
there is the motion of the surface seen at that pixel: the skin in front of the joint (it turns with the limb
about the joint's axis, not the axis itself), or another part where the joint is hidden. On the synthetic
evaluation clips (``mediapipe`` profile, as ``bench_refine.py`` renders them), the exact flow is chained from the
true joints' projections over k frames (:func:`flowpose.flow.tracks.chain_flow`, confidence 1 where the renderer's
flow is valid) and compared with the true joints' own displacement over the same k frames:

- error: |chained exact flow - true displacement|, px (median and mean over joints and start frames);
- true displacement: its median length, px;
- relative: the median of error / true displacement;
- share: the pooled share of the true displacement the flow gives along it, sum(F . E) / sum(|E|^2) (1: no lag).

    python benchmarks/experiments/flow_at_joints.py [--spans 1,3,9,27] [--clips a,b]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from flowpose.bench.clips import discover_clips, get_clips, split_clips
from flowpose.flow.field import FlowField
from flowpose.flow.tracks import chain_flow

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    """Print, per span, how far the exact flow chained from the true joints ends from where they went."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spans", default="1,3,9,27")
    p.add_argument("--clips", default=None, help="comma-separated clip names (default: all but the tuning clip)")
    p.add_argument("--profile", default="mediapipe")
    args = p.parse_args()
    spans = [int(k) for k in args.spans.split(",")]
    names = tuple(args.clips.split(",")) if args.clips else None
    _, clips = split_clips(discover_clips(REPO.parent / "shared" / "data" / "mocap"), select=names)
    errors: dict[int, list[np.ndarray]] = {k: [] for k in spans}
    lengths: dict[int, list[np.ndarray]] = {k: [] for k in spans}
    along = dict.fromkeys(spans, 0.0)
    for clip in clips:
        gt = get_clips(clip, profiles=(args.profile,), frames=100, size=256, seed=0,
                       cache_dir=REPO / "results" / "cache")[args.profile].gt
        flow = FlowField.full_frame(gt.flow, gt.flow_valid.astype(np.float32)).to_torch("cpu")
        joints = torch.as_tensor(gt.joints2d)  # (T, 17, 2) px, the true joints' projections
        for k in spans:
            if k >= len(joints):
                continue
            chained, _ = chain_flow(flow, joints[:-k], k)
            true = joints[k:] - joints[:-k]
            errors[k].append(torch.linalg.norm(chained - true, dim=-1).numpy().ravel())
            lengths[k].append(torch.linalg.norm(true, dim=-1).numpy().ravel())
            along[k] += float((chained * true).sum())
    print(f"{args.profile}, {len(clips)} clips: the exact flow chained from the true joints against their motion\n")
    print("| span, frames | error median px | error mean px | true displacement median px | relative median | share |")
    print("|---|---|---|---|---|---|")
    for k in spans:
        e, m = np.concatenate(errors[k]), np.concatenate(lengths[k])
        share = along[k] / float((m**2).sum())
        print(f"| {k} | {np.median(e):.2f} | {e.mean():.2f} | {np.median(m):.2f} | "
              f"{np.median(e / np.maximum(m, 1e-3)):.2f} | {share:.3f} |")


if __name__ == "__main__":
    main()
