"""How well does the flow see the joints' acceleration? (Why ``flow_aware_acc`` does not pay.)

On synthetic clips with exact 3D, a flow (the ``fast`` preset's network before fine-tuning, F_0; after
``--cycles`` of fine-tuning; or OpenCV DIS with ``--backend dis``, all on the preset's crops) is sampled at the
true joints' projections, and its second difference, unprojected at the joints' depth,

    a^obs_{t,j} = Z_{t,j} fps^2 / (f_x, f_y) * (F_t(p_{t,j}) - F_{t-1}(p_{t-1,j})),

is compared with the joints' true image-plane acceleration (x and y in the camera frame, m/s^2) where both
flow samples are confident (> 0.5): RMS of each, their correlation and the RMS error per axis; and the same
correlation for the renderer's exact flow (what the flow at a joint's pixel can tell at best: the surface
point seen there, not the joint inside the limb).

    python benchmarks/experiments/flow_acceleration.py [--clips a,b] [--profile mediapipe] [--cycles 3]
        [--backend dis]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from flowpose.api import refine
from flowpose.bench.clips import discover_clips, get_clips, split_clips
from flowpose.camera import project_np
from flowpose.config import get_preset
from flowpose.flow.field import FlowField

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    """Print one row per clip."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", default="cmu_3dsmax/jumping_jacks,cmu_fbx_converted/07_01,fair/dab")
    p.add_argument("--profile", default="mediapipe")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--cycles", type=int, default=0, help="fine-tuning cycles before the flow is read")
    p.add_argument("--backend", default=None, help="a flow backend instead of the preset's (e.g. dis)")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    if args.backend:
        config = replace(config, flow=replace(config.flow, names=(args.backend,), weights=(None,)))
    _, clips = split_clips(discover_clips(REPO.parent / "shared" / "data" / "mocap"), select=tuple(args.clips.split(",")))
    print("| clip | true RMS m/s² | flow's RMS m/s² | correlation | RMS error m/s² | correlation, exact flow |\n"
          "|---|---|---|---|---|---|")
    for clip in clips:
        synth = get_clips(clip, profiles=(args.profile,), frames=args.frames, size=args.size, seed=0,
                          cache_dir=REPO / "results" / "cache")[args.profile]
        gt = synth.gt
        flow = refine(synth.estimate, synth.rendered.frames, config=config, seed=clip.seed(0)).flow
        X = gt.joints3d
        K = np.broadcast_to(gt.K, (X.shape[0], 3, 3)) if np.ndim(gt.K) == 2 else gt.K
        points = torch.tensor(project_np(X, K)[:-1], dtype=torch.float32)
        F, c = (a.numpy() for a in flow.sample(points))
        exact = FlowField.full_frame(gt.flow).sample(points)[0].numpy()
        focal = np.stack([K[1:-1, 0, 0], K[1:-1, 1, 1]], -1)[:, None, :]
        observed, best = ((G[1:] - G[:-1]) * X[1:-1, :, 2:3] / focal * gt.fps**2 for G in (F, exact))
        true = (X[2:] - 2 * X[1:-1] + X[:-2])[..., :2] * gt.fps**2
        keep = np.minimum(c[1:], c[:-1]) > 0.5
        o, t = observed[keep], true[keep]
        rms = lambda a: float(np.sqrt((a**2).mean()))  # noqa: E731
        print(f"| {clip.name} | {rms(t):.1f} | {rms(o):.1f} | {np.corrcoef(o.ravel(), t.ravel())[0, 1]:.2f} | "
              f"{rms(o - t):.1f} | {np.corrcoef(best[keep].ravel(), t.ravel())[0, 1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
