"""``--floor --floor-contact`` against ``--floor`` on the synthetic clips, jumps and flights among them.

The real set's people keep a foot on the floor; ``refine --floor-contact`` (:func:`flowpose.refinement.body_losses.
contact_loss`) is said to be for such people. This measures what it does where they leave the floor: the synthetic
clips (the realistic ``mediapipe`` profile by default) include hops (``131_03``), jumping jacks, playground jumps
(``01_01``), a run (``09_11``), cartwheels (``49_08``) and ``fair/jumping``. The renderer's camera is level
(:mod:`flowpose.synth.placement`), so its place over the floor is a level camera (world Z up) whose floor lies 0.07 m
below the ground truth's median lower ankle. Each clip's estimate is stood on that floor (``--floor 0``) and refined
with the default preset, without and with the contact term. Printed per clip: the frames in flight (the ground truth's
lower ankle more than 0.15 m up) and their mean height, then for each run MPJPE (mm, root-relative), the MPJPE without
root alignment (mm, "placed") and the refined lower ankle's mean height in the flight frames (m); and the means.

    python benchmarks/experiments/foot_contact_synth.py [--profile mediapipe] [--clips ...]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_set import evaluation_clips, rendered, synth_parser  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputError, InputNoteWarning  # noqa: E402
from flowpose.floor import ANKLE_HEIGHT_M, CONTACT_WEIGHT, floor_scale, on_floor  # noqa: E402
from flowpose.io.world_frame import ANKLES, WorldFrame  # noqa: E402

LEVEL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""R of a level camera looking along the world's +y (Z up): a camera point's world height is the camera's height less
its y (y down)."""
FLIGHT_M = 0.15


def lower_ankle_y(joints: np.ndarray) -> np.ndarray:
    """(T, 17, 3) camera metres -> (T,) the lower ankle's camera y (y down: the larger)."""
    return np.nanmax(np.asarray(joints, np.float64)[:, list(ANKLES), 1], axis=1)


def main() -> None:
    warnings.simplefilter("ignore", InputNoteWarning)
    args = synth_parser(__doc__).parse_args()
    config = get_preset("fast")
    runs = {"--floor": config,
            "--floor --floor-contact": replace(config, pose=replace(config.pose, w_contact=CONTACT_WEIGHT,
                                                                    contact_floor_z=0.0))}
    print("| clip | scale | flight frames (mean height m) | " + " | ".join(
        f"{run}: MPJPE mm, placed mm, flight ankle m" for run in runs) + " |")
    print("|---" * (3 + len(runs)) + "|")
    rows = []
    for clip in evaluation_clips(args.clips):
        synth = rendered(clip, args.profile, args)
        gt = np.asarray(synth.rendered.joints3d, np.float64)
        height = float(np.median(lower_ankle_y(gt))) + ANKLE_HEIGHT_M  # the floor's depth below the camera
        frame = WorldFrame(R=LEVEL, t=np.array([0.0, height, 0.0]), camera=clip.name)
        flight = height - lower_ankle_y(gt) > FLIGHT_M
        try:
            scale, _ = floor_scale(synth.estimate, frame, 0.0)
        except InputError as e:
            print(f"| {clip.name} | refused: {e} |")
            continue
        start = on_floor(synth.estimate, scale, frame)
        row = {}
        for run, run_config in runs.items():
            X = refine(start, synth.rendered.frames, config=run_config).poses.joints3d.astype(np.float64)
            ankle = height - lower_ankle_y(X)
            row[run] = (float(np.nanmean(np.linalg.norm((X - X[:, :1]) - (gt - gt[:, :1]), axis=-1)) * 1000.0),
                        float(np.nanmean(np.linalg.norm(X - gt, axis=-1)) * 1000.0),
                        float(np.mean(ankle[flight])) if flight.any() else float("nan"))
        rows.append(row)
        up = f"{int(flight.sum())} ({np.mean((height - lower_ankle_y(gt))[flight]):.2f})" if flight.any() else "0"
        print(f"| {clip.name} | {scale:.2f} | {up} | " + " | ".join(
            f"{m:.1f}, {p:.0f}, {a:.2f}" for m, p, a in row.values()) + " |", flush=True)
    means = {run: (np.mean([r[run][0] for r in rows]), np.mean([r[run][1] for r in rows])) for run in runs}
    print(f"| mean of {len(rows)} clips | | | " + " | ".join(f"{m:.1f}, {p:.0f}" for m, p in means.values()) + " |")


if __name__ == "__main__":
    main()
