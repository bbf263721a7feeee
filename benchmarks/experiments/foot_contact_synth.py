"""``--floor --floor-contact`` against ``--floor`` on the synthetic clips, jumps and flights among them.

The real set's people keep a foot on the floor; ``refine --floor-contact`` (:func:`flowpose.refinement.body_losses.
contact_loss`) is said to be for such people. This measures what it does where they leave the floor: the synthetic
clips (the realistic ``mediapipe`` profile by default) include hops (``131_03``), jumping jacks, playground jumps
(``01_01``), a run (``09_11``), cartwheels (``49_08``) and ``fair/jumping``. The renderer's camera is level at the
clip's mean body centre, or with ``--pitch P`` looks down P degrees at it (:mod:`flowpose.synth.placement`); its place
over the floor (world Z up) puts the floor 0.07 m below the ground truth's median lower ankle. Each clip's estimate is stood on that floor (``--floor 0``) and refined
with the default preset, without and with the contact term. Printed per clip: the frames in flight (the ground truth's
lower ankle more than 0.15 m up) and their mean height, then for each run MPJPE (mm, root-relative), the MPJPE without
root alignment (mm, "placed") and the refined lower ankle's mean height in the flight frames (m); and the means.
``--form`` runs the contact term's forms tried and not kept, ``--flight-gate`` its gate on frames in the air at
another height, or none (``contact_forms.py``).

    python benchmarks/experiments/foot_contact_synth.py [--profile mediapipe] [--clips ...] [--pitch P] [--form F] [--flight-gate M|none]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contact_forms  # noqa: E402
from synth_set import evaluation_clips, rendered, synth_parser  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputError, InputNoteWarning  # noqa: E402
from flowpose.floor import ANKLE_HEIGHT_M, floor_scale, lower_ankle_heights, on_floor  # noqa: E402
from flowpose.io.world_frame import WorldFrame  # noqa: E402

LEVEL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""R of a level camera looking along the world's +y (Z up): a camera point's world height is the camera's height less
its y (y down)."""


def pitched(pitch_deg: float) -> np.ndarray:
    """R of the camera :data:`LEVEL` pitched down by ``pitch_deg`` (the world's up at (0, -cos p, -sin p) in the
    camera's frame, as :func:`flowpose.synth.placement.place_in_camera` pitches it)."""
    p = np.radians(pitch_deg)
    return np.array([[1.0, 0.0, 0.0], [0.0, np.cos(p), -np.sin(p)], [0.0, np.sin(p), np.cos(p)]]) @ LEVEL
FLIGHT_M = 0.15


def floor_frame(gt: np.ndarray, name: str, pitch_deg: float) -> WorldFrame:
    """The camera pitched down by ``pitch_deg`` (0: level), its floor :data:`~flowpose.floor.ANKLE_HEIGHT_M` below the
    ground truth's median lower ankle: (T, 17, 3) camera metres."""
    R = pitched(pitch_deg)
    at_centre = np.median(lower_ankle_heights(gt, WorldFrame(R=R, t=np.zeros(3), camera=name)))
    return WorldFrame(R=R, t=-R @ np.array([0.0, 0.0, ANKLE_HEIGHT_M - at_centre]), camera=name)


def per_frame(gt: np.ndarray, runs: dict[str, np.ndarray], frame: WorldFrame, every: int) -> None:
    """Every ``every``th frame: the lower ankle's height (m) and the pelvis's depth (m) of the truth and of each of
    ``runs`` ((T, 17, 3) camera metres), with each run's root-relative error (mm)."""
    print(f"  camera {frame.camera_height:.2f} m up; per frame: truth height, depth | "
          + " | ".join(f"{run}: height, depth, error" for run in runs))
    for t in range(0, len(gt), every):
        cells = [f"{lower_ankle_heights(X[t:t + 1], frame)[0]:+.2f}, {X[t, 0, 2]:.2f}, "
                 f"{np.mean(np.linalg.norm((X[t] - X[t, :1]) - (gt[t] - gt[t, :1]), axis=-1)) * 1000.0:.0f}"
                 for X in runs.values()]
        print(f"  {t:3d}: {lower_ankle_heights(gt[t:t + 1], frame)[0]:+.2f}, {gt[t, 0, 2]:.2f} | " + " | ".join(cells))


def main() -> None:
    warnings.simplefilter("ignore", InputNoteWarning)
    parser = synth_parser(__doc__)
    contact_forms.add_options(parser)
    parser.add_argument("--per-frame", type=int, default=0, metavar="N",
                        help="after each clip, every Nth frame: the lower ankle's height (m), the pelvis's depth (m) "
                             "and the root-relative error (mm) of the truth, the start and each run")
    args = parser.parse_args()
    contact_forms.use(args)
    config = get_preset("fast")
    runs = {"--floor": config,
            "--floor --floor-contact": replace(config, pose=contact_forms.contact_config(config.pose, 0.0, args))}
    print("| clip | scale | flight frames (mean height m) | " + " | ".join(
        f"{run}: MPJPE mm, placed mm, flight ankle m" for run in runs) + " |")
    print("|---" * (3 + len(runs)) + "|")
    rows = []
    for clip in evaluation_clips(args.clips):
        synth = rendered(clip, args.profile, args)
        gt = np.asarray(synth.rendered.joints3d, np.float64)
        frame = floor_frame(gt, clip.name, args.pitch)
        up = lower_ankle_heights(gt, frame)
        flight = up > FLIGHT_M
        try:
            scale, _ = floor_scale(synth.estimate, frame, 0.0)
        except InputError as e:
            print(f"| {clip.name} | refused: {e} |")
            continue
        start = on_floor(synth.estimate, scale, frame)
        row, refined = {}, {}
        for run, run_config in runs.items():
            X = refine(start, synth.rendered.frames, config=run_config).poses.joints3d.astype(np.float64)
            refined[run] = X
            ankle = lower_ankle_heights(X, frame)
            row[run] = (float(np.nanmean(np.linalg.norm((X - X[:, :1]) - (gt - gt[:, :1]), axis=-1)) * 1000.0),
                        float(np.nanmean(np.linalg.norm(X - gt, axis=-1)) * 1000.0),
                        float(np.mean(ankle[flight])) if flight.any() else float("nan"))
        rows.append(row)
        flights = f"{int(flight.sum())} ({np.mean(up[flight]):.2f})" if flight.any() else "0"
        print(f"| {clip.name} | {scale:.2f} | {flights} | " + " | ".join(
            f"{m:.1f}, {p:.0f}, {a:.2f}" for m, p, a in row.values()) + " |", flush=True)
        if args.per_frame:
            per_frame(gt, {"start": np.asarray(start.joints3d, np.float64), **refined}, frame, args.per_frame)
    means = {run: (np.mean([r[run][0] for r in rows]), np.mean([r[run][1] for r in rows])) for run in runs}
    print(f"| mean of {len(rows)} clips | | | " + " | ".join(f"{m:.1f}, {p:.0f}" for m, p in means.values()) + " |")


if __name__ == "__main__":
    main()
