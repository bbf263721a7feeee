"""Swap detection alone: limbs carried by OpenCV DIS, by the embedded RAFT-small (un-fine-tuned), or by
nothing (continuity), on clips of the ``mediapipe`` profile. Prints, per clip and seed and in total, the
swapped limb-pair frames fixed, the correct ones broken and the swapped ones left (judged against ground
truth by :func:`flowpose.metrics.swapped_limbs`).

    python benchmarks/experiments/swap_detection.py --prior 0.3 cmu_fbx_converted/09_11 fair/dab fair/jumping \
        cmu_3dsmax/jumping_jacks cmu_fbx_converted/07_01 fair/wave_hello
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import flowpose.bench.clips as C
from flowpose.config import get_preset
from flowpose.flow.registry import load_flow_model
from flowpose.metrics import swapped_limbs
from flowpose.refinement.flow_stage import FlowStage
from flowpose.refinement.loop import crop_boxes
from flowpose.refinement.swaps import SwapConfig, detect_swaps, relabel

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    """Run every clip and seed, print one row each and the totals."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("clips", nargs="+")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--prior", type=float, default=SwapConfig().prior)
    p.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    args = p.parse_args()
    clips = {c.name: c for c in C.discover_clips(REPO.parent / "shared" / "data" / "mocap")}
    total = {k: np.zeros(3, int) for k in ("none", "raft-small", "dis")}
    swapped_total = 0
    cfg = get_preset("fast")
    for name in args.clips:
        for seed in range(args.seeds):
            synth = C.get_clips(clips[name], profiles=("mediapipe",), frames=100, size=256, seed=seed,
                                cache_dir=args.cache)["mediapipe"]
            est, gt, frames = synth.estimate, synth.gt, synth.rendered.frames
            truth = swapped_limbs(est.joints3d, gt.joints3d)
            swapped_total += int(truth.sum())
            boxes = crop_boxes(est, frames.shape[1:3], cfg)
            row = []
            for label in total:
                flow = None if label == "none" else FlowStage([load_flow_model(label)], frames, boxes, cfg).initial()
                config = SwapConfig(motion="none" if label == "none" else "flow", prior=args.prior)
                after = swapped_limbs(relabel(est, detect_swaps(est, flow, config)).joints3d, gt.joints3d)
                r = np.array([(truth & ~after).sum(), (~truth & after).sum(), after.sum()])
                total[label] += r
                row.append(f"{label}: fixed {r[0]} broke {r[1]} left {r[2]}")
            print(name, seed, "swapped", int(truth.sum()), " | ".join(row), flush=True)
    print(f"total swapped {swapped_total}; (fixed, broke, left):", {k: v.tolist() for k, v in total.items()})


if __name__ == "__main__":
    main()
