"""Is the fine-tuned flow better where the sketch did not reach? ("make flow pay": keep fine-tuning honest.)

Self-supervised fine-tuning can make a flow network worse (arXiv 2401.00850): it fits the pixels it is told
about and may forget the rest. On synthetic clips with exact flow, each clip is refined twice with the same
settings, with no cycles (F_0, the network as shipped) and with ``--cycles`` (F_k, fine-tuned toward the
sketch), and the human-pixel EPE of both is split by the first cycle's sketch (drawn from the estimate, as the
first flow stage draws it, before the swap repair):

* drawn: human pixels of frame t where the sketch's weight W > 0 (the pixels fine-tuning is trained on);
* not drawn: human pixels where W = 0 (limbs the estimate misplaced, untrusted bones, the clothing beyond
  the limb radii): no sketch target, only the network's own flow as the target.

    python benchmarks/experiments/sketch_coverage.py [--profiles metro,mediapipe] [--clips a,b] [--frames 60]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from synth_set import evaluation_clips, rendered, synth_parser  # the same directory

from flowpose.api import refine
from flowpose.config import get_preset
from flowpose.flow.field import FlowField
from flowpose.metrics import epe
from flowpose.refinement.sketch import sketch_bone_motion


def on_frame(grid: FlowField, values: np.ndarray) -> np.ndarray:
    """(P, h, w) values on ``grid``'s grids -> (P, H, W) on the full frame (0 where the grid does not reach)."""
    carrier = FlowField(np.stack([values, values], -1), np.ones_like(values), grid.origin, grid.scale,
                        grid.image_size)
    full, covered = carrier.to_full_frame()
    return np.where(covered, full[..., 0], 0.0)


def main() -> None:
    """Refine each clip with and without cycles and print the split EPE."""
    p = synth_parser(__doc__, frames=60, profile=False)
    p.add_argument("--profiles", default="metro,mediapipe")
    p.add_argument("--cycles", type=int, default=3)
    args = p.parse_args()
    base = replace(get_preset("fast"), cycles=args.cycles)
    clips = evaluation_clips(args.clips)
    print("| profile | clip | human pixels drawn | EPE drawn F_0 -> F_k px | EPE not drawn F_0 -> F_k px |")
    print("|---|---|---|---|---|")
    totals: dict[str, list[np.ndarray]] = {}
    for profile in args.profiles.split(","):
        for clip in clips:
            synth = rendered(clip, profile, args)
            gt, init = synth.gt, synth.estimate
            seed = clip.seed(args.seed)
            flows = [refine(init, synth.rendered.frames, config=replace(base, cycles=n), seed=seed).flow
                     for n in (0, args.cycles)]
            sketch = sketch_bone_motion(init.joints3d, init.K, init.confidence(), flows[0], config=base.sketch)
            drawn = on_frame(flows[0], sketch.weight) > 0
            _, covered = flows[0].to_full_frame()
            human = gt.human_mask[:-1] & covered
            row = np.array([[epe(f.to_full_frame()[0], gt.flow, human & m) for f in flows]
                            for m in (drawn, ~drawn)])  # (2 masks, 2 flows)
            share = (human & drawn).sum() / max(human.sum(), 1)
            totals.setdefault(profile, []).append(row)
            print(f"| {profile} | {clip.name} | {share:.0%} | {row[0, 0]:.2f} -> {row[0, 1]:.2f} | "
                  f"{row[1, 0]:.2f} -> {row[1, 1]:.2f} |", flush=True)
    for profile, rows in totals.items():
        m = np.mean(rows, axis=0)
        print(f"| {profile} | mean of {len(rows)} | | {m[0, 0]:.2f} -> {m[0, 1]:.2f} "
              f"({m[0, 1] / m[0, 0] - 1:+.0%}) | {m[1, 0]:.2f} -> {m[1, 1]:.2f} ({m[1, 1] / m[1, 0] - 1:+.0%}) |")


if __name__ == "__main__":
    main()
