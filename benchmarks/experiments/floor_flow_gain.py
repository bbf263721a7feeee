"""Does a body of the right size let the flow earn more? The flow's gain (#19) with and without the floor, real set.

The flow term compares image motion in pixels, which a body's size does not change; the temporal and bone terms
are in metres, which it does. A body a sixth too large (the woman, as MediaPipe sizes her) moves a sixth too fast in
metres for the same pixels, so the priors and the flow may weigh each other differently once the floor has sized it
(:mod:`flowpose.floor`). For each of the 8 view-person pairs (``bench_real.py --estimates tracked --everyone`` first)
the tracked estimate is refined with the flow term off and on (the default preset), as it is and stood on the floor
the person stands on (the woman, p0: the lab's floor; the man, p1: his platform's top, taken from the reference as
``floor_contact.py --floor top`` does). Printed per pair and as means: MPJPE / PA-MPJPE (mm, as ``bench_real.py``
scores) of each run and the flow's gain, flowpose against the same run without flow: of the means, and the mean of
the pairs' gains (which weighs each pair alike, whatever its error). ``--floor-contact``: on the floor with the foot held
there too (``refine --floor-contact``: every frame but those the estimate puts in the air), both runs.

    python benchmarks/experiments/floor_flow_gain.py [--reference all|heldout] [--views ...] [--floor-contact]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import baseline_runs, experiment_parser, scores, tracked_pairs  # noqa: E402
from floor_contact import CALIBRATION, calibrated_pair, stands_on  # noqa: E402

from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.floor import CONTACT_WEIGHT, floor_scale, on_floor  # noqa: E402
from flowpose.io.rig_files import read_rig  # noqa: E402

KEYS = ("as it is, without flow", "as it is, flowpose", "on the floor, without flow", "on the floor, flowpose")


def gain(row: dict[str, float], where: str, metric: str) -> float:
    """The flow's gain, percent (negative: flowpose errs less), of ``where`` ("as it is", "on the floor")."""
    return 100.0 * (row[f"{where}, flowpose {metric}"] / row[f"{where}, without flow {metric}"] - 1.0)


def main() -> None:
    """Refine every pair four ways; print the table and the means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    parser = experiment_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--floor-contact", action="store_true", help="on the floor, the foot held there (refine --floor-contact)")
    args = parser.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    cameras = read_rig(CALIBRATION)
    rows: list[dict[str, float]] = []
    print("| pair | scale | " + " | ".join(f"{k} MPJPE / PA mm" for k in KEYS) + " | gain as it is | gain on the floor |")
    print("|---" * (len(KEYS) + 4) + "|")
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        frame, top = calibrated_pair(cameras, name, gt, keep)
        floor_z = stands_on(name, top)
        scale, _ = floor_scale(init, frame, floor_z)
        row: dict[str, float] = {"scale": scale}
        held = replace(config, pose=replace(config.pose, w_contact=CONTACT_WEIGHT, contact_floor_z=floor_z))
        for where, start, run_config in (("as it is", init, config),
                                         ("on the floor", on_floor(init, scale, frame), held if args.floor_contact
                                          else config)):
            for run, result in baseline_runs(start, frames, run_config).items():
                m = scores(result.poses.joints3d, gt, keep)
                row[f"{where}, {run} mpjpe"], row[f"{where}, {run} pa"] = m["mpjpe"], m["pa_mpjpe"]
        rows.append(row)
        print(f"| {name} | {scale:.3f} | " + " | ".join(f"{row[f'{k} mpjpe']:.1f} / {row[f'{k} pa']:.1f}" for k in KEYS)
              + f" | {gain(row, 'as it is', 'mpjpe'):+.1f}% / {gain(row, 'as it is', 'pa'):+.1f}% | "
              f"{gain(row, 'on the floor', 'mpjpe'):+.1f}% / {gain(row, 'on the floor', 'pa'):+.1f}% |", flush=True)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    print(f"| mean of {len(rows)} | {mean['scale']:.3f} | " + " | ".join(
        f"{mean[f'{k} mpjpe']:.1f} / {mean[f'{k} pa']:.1f}" for k in KEYS)
        + f" | {gain(mean, 'as it is', 'mpjpe'):+.1f}% / {gain(mean, 'as it is', 'pa'):+.1f}% | "
        f"{gain(mean, 'on the floor', 'mpjpe'):+.1f}% / {gain(mean, 'on the floor', 'pa'):+.1f}% |")
    per_pair = {f"{where} {metric}": float(np.mean([gain(r, where, metric) for r in rows]))
                for where in ("as it is", "on the floor") for metric in ("mpjpe", "pa")}
    print(f"| mean of the pairs' gains | | | | | | {per_pair['as it is mpjpe']:+.1f}% / {per_pair['as it is pa']:+.1f}% | "
          f"{per_pair['on the floor mpjpe']:+.1f}% / {per_pair['on the floor pa']:+.1f}% |")


if __name__ == "__main__":
    main()
