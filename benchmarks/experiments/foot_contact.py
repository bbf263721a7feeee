"""A foot held on the floor in every frame (``refine --floor Z --floor-contact``) against the floor alone, on the real set.

``--floor`` scales the estimate once about the camera so that the median frame's lower ankle stands on the floor
(:mod:`flowpose.floor`); each frame's own feet are left where the pose stage puts them (on the real set the refined
lower ankle wanders by 2 to 17 cm in std from frame to frame, where the woman's reference stands within 0.5 to 3 cm).
``--floor-contact`` adds L_contact to the pose stage (:func:`flowpose.refinement.body_losses.contact_loss`, weight
:data:`flowpose.floor.CONTACT_WEIGHT`): the lower ankle at 0.07 m above the floor, the body moved there
whole, each frame weighted by the lower of its ankles' confidences (0 where the estimate stands over 0.2 m higher, in
the air). For each of the 8 view-person pairs (``bench_real.py --estimates tracked
--everyone`` first), the tracked estimate is refined with the default preset as it is, stood on the floor it stands
on (the woman, p0, the lab's; the man, p1, his platform's top, from the reference as a tape would give it:
``floor_contact.py``), and stood there with the contact term. Printed per pair and as the means: MPJPE and PA-MPJPE
(mm, root-relative, as ``bench_real.py`` scores), the acceleration error (mm/frame^2), the body's place (the MPJPE
without root alignment, mm, and the pelvis's median depth error, m), the std over frames of the refined lower
ankle's height (m; the reference's beside it) and the frames the contact term leaves free.

``--form ankle|ray|scale`` runs the forms tried and not kept (the residual's gradient on the lower ankle alone, along
the centroid's ray, as a scale about the camera; the package's moves the whole body up:
:func:`flowpose.refinement.body_losses.contact_loss`) and ``--flight-gate M|none`` leaves the term off frames whose
initial lower ankle is more than M metres up (the package's 0.2 by default; none: every frame held, the fifty-fifth
session's term; ``contact_forms.py``).

    python benchmarks/experiments/foot_contact.py [--reference all|heldout] [--views ...] [--form F] [--flight-gate M|none]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import contact_forms  # noqa: E402
from bench_real import experiment_parser, scores, tracked_pairs  # noqa: E402
from floor_contact import CALIBRATION, PELVIS, calibrated_pair, stands_on  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.floor import floor_scale, in_the_air, lower_ankle_heights, on_floor  # noqa: E402
from flowpose.io.rig_files import read_rig  # noqa: E402
from flowpose.io.world_frame import WorldFrame  # noqa: E402

RUNS = ("flowpose", "--floor", "--floor --floor-contact")


def figures(joints: np.ndarray, gt: np.ndarray, keep: np.ndarray, frame: WorldFrame) -> dict[str, float]:
    """MPJPE, PA-MPJPE (mm) and acceleration error (mm/f^2) as ``bench_real.py`` scores; the MPJPE without root
    alignment (mm; the joints the reference has); the pelvis's median depth error (m); the lower ankle's std (m)."""
    m = scores(joints, gt, keep)
    placed = np.linalg.norm(joints[keep] - gt[keep], axis=-1)
    return {"mpjpe": m["mpjpe"], "pa": m["pa_mpjpe"], "accel": m["accel_error"],
            "placed": float(np.nanmean(placed) * 1000.0),
            "depth": float(np.nanmedian(np.abs(joints[keep, PELVIS, 2] - gt[keep, PELVIS, 2]))),
            "ankle_std": float(np.nanstd(lower_ankle_heights(joints[keep], frame)))}


def cell(f: dict[str, float]) -> str:
    return (f"{f['mpjpe']:.1f} / {f['pa']:.1f}, {f['accel']:.2f} | {f['placed']:.0f}, {f['depth']:.3f}, "
            f"{f['ankle_std']:.3f}")


def main() -> None:
    """Refine every pair three ways; print the table and the means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    parser = experiment_parser(__doc__.split("\n\n")[0])
    contact_forms.add_options(parser)
    args = parser.parse_args()
    contact_forms.use(args)
    config = replace(get_preset("fast"), cycles=args.cycles)
    cameras = read_rig(CALIBRATION)
    head = " | ".join(f"{run}: MPJPE / PA mm, accel | placed mm, pelvis depth m, ankle std m" for run in RUNS)
    print(f"| pair | {head} | reference ankle std m | frames left free (in the air) |")
    print("|---" * (2 * len(RUNS) + 3) + "|")
    rows: dict[str, list[dict[str, float]]] = {run: [] for run in RUNS}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        frame, top = calibrated_pair(cameras, name, gt, keep)
        floor_z = stands_on(name, top)
        stood = on_floor(init, floor_scale(init, frame, floor_z)[0], frame)
        contact = replace(config, pose=contact_forms.contact_config(config.pose, floor_z, args))
        for run, start, run_config in zip(RUNS, (init, stood, stood), (config, config, contact)):
            joints = refine(start, frames, config=run_config).poses.joints3d
            rows[run].append(figures(joints, gt, keep, frame))
        reference = float(np.nanstd(lower_ankle_heights(gt[keep], frame)))
        gate = contact.pose.contact_flight_m
        free = "-" if gate is None else f"{int(in_the_air(stood.joints3d, frame, floor_z, gate).sum())} of {len(frames)}"
        print(f"| {name} | " + " | ".join(cell(rows[run][-1]) for run in RUNS) + f" | {reference:.3f} | {free} |",
              flush=True)
    means = {run: {k: float(np.mean([r[k] for r in found])) for k in found[0]} for run, found in rows.items()}
    print(f"| mean of {len(rows[RUNS[0]])} pairs | " + " | ".join(cell(means[run]) for run in RUNS) + " | | |")
    better = sum(c["placed"] < f["placed"] for c, f in zip(rows[RUNS[2]], rows[RUNS[1]]))
    print(f"--floor-contact against --floor: MPJPE {100 * (means[RUNS[2]]['mpjpe'] / means[RUNS[1]]['mpjpe'] - 1):+.1f}%, "
          f"PA-MPJPE {100 * (means[RUNS[2]]['pa'] / means[RUNS[1]]['pa'] - 1):+.1f}%, placed "
          f"{100 * (means[RUNS[2]]['placed'] / means[RUNS[1]]['placed'] - 1):+.1f}% (nearer in {better} of "
          f"{len(rows[RUNS[1]])} pairs)")


if __name__ == "__main__":
    main()
