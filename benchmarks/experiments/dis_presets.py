"""OpenCV DIS's presets (and crop sizes) on the held-out tuning clip's person crops: human-pixel EPE.

Each preset of :data:`flowpose.flow.classical.DIS_PRESETS` computes the flow of every pair on the refinement's
crops (the ``fast`` preset's boxes), forward and backward, at each ``--work-sizes`` crop side; the flow is
scored against the renderer's exact flow on ground-truth body pixels (``flowpose.refinement.evaluate``).

    python benchmarks/experiments/dis_presets.py [--profile metro] [--frames 60] [--work-sizes 128,192]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from flowpose.bench.clips import get_clips, tuning_clip
from flowpose.config import get_preset
from flowpose.flow.classical import DIS_PRESETS, DISFlow
from flowpose.flow.infer import compute_video_flow
from flowpose.refinement.evaluate import evaluate
from flowpose.refinement.loop import crop_boxes

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    """Print one row per preset and crop size."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    p.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    p.add_argument("--profile", default="metro")
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--work-sizes", default="128,192")
    args = p.parse_args()
    torch.set_num_threads(2)
    clip = tuning_clip(args.shared / "data" / "mocap")
    synth = get_clips(clip, profiles=(args.profile,), frames=args.frames, size=256, seed=0,
                      cache_dir=args.cache)[args.profile]
    frames = synth.rendered.frames
    boxes = crop_boxes(synth.estimate, frames.shape[1:3], get_preset("fast"))
    print(f"{clip.name}, {args.profile}, {args.frames} frames; human-pixel EPE (px) and seconds, forward + backward")
    print("preset      crop px  EPE human  seconds")
    for work in (int(w) for w in args.work_sizes.split(",")):
        for preset in DIS_PRESETS:
            start = time.perf_counter()
            flow = compute_video_flow(DISFlow(preset), frames, boxes=boxes, work_size=work, backward=True)
            seconds = time.perf_counter() - start
            print(f"{preset:10s} {work:8d} {evaluate(synth.estimate, flow, synth.gt)['epe_human']:10.3f} "
                  f"{seconds:8.1f}", flush=True)


if __name__ == "__main__":
    main()
