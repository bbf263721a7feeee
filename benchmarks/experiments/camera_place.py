"""The floor without a calibration: the camera's height and tilt as a user measures them, on the real set.

``refine --floor Z`` (``floor_contact.py``) reads the camera's place from a multi-camera calibration. A phone on a
tripod has none, but its height (a tape) and tilt (a level app) are what the floor needs (:mod:`flowpose.camera_place`).
For each of the 8 view-person pairs the tracked estimate is refined (the default preset) as it is (``flowpose``),
stood on the floor with the calibration's place (``calibrated``: the woman on the lab's floor, z = 0; the man on
his platform's top, which this run takes from the reference, as ``floor_contact.py --floor top`` does), and with the
place as a user would give it: the calibration's height to the centimetre and its pitch and roll to the degree
(``given``), the roll left out (``roll 0``), the pitch 2 degrees off each way (``pitch +2``, ``pitch -2``), and the
height 5 cm too high (``height +5 cm``). Printed per pair and as each person's mean: MPJPE / PA-MPJPE (mm,
root-relative, as ``bench_real.py`` scores) and the scale; then the camera's place each view was given.

    python benchmarks/experiments/camera_place.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, tracked_pairs  # noqa: E402
from floor_contact import CALIBRATION, calibrated_pair, floor_run, print_floor_runs, stands_on  # noqa: E402

from flowpose.camera_place import camera_tilt, placed_frame  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.io.rig_files import read_rig  # noqa: E402

RUNS = ("flowpose", "calibrated", "given", "roll 0", "pitch +2", "pitch -2", "height +5 cm")


def places(height: float, pitch: float, roll: float) -> dict[str, tuple[float, float, float]]:
    """The camera's place (height m, pitch and roll degrees) of each run that gives one, from the calibration's."""
    h, p, r = round(height, 2), round(pitch), round(roll)
    return {"given": (h, p, r), "roll 0": (h, p, 0.0), "pitch +2": (h, p + 2, r), "pitch -2": (h, p - 2, r),
            "height +5 cm": (h + 0.05, p, r)}


def main() -> None:
    """Refine every pair each way; print the table, each person's means and the places given."""
    warnings.simplefilter("ignore", InputNoteWarning)
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    cameras = read_rig(CALIBRATION)
    rows: dict[str, list[dict[str, dict[str, float]]]] = {"p0": [], "p1": []}
    given: dict[str, tuple[float, float, float]] = {}
    print("| pair | " + " | ".join(f"{run}: scale, MPJPE / PA mm" for run in RUNS) + " |")
    print("|---" * (len(RUNS) + 1) + "|")
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        view, person = name.split("/")
        frame, top = calibrated_pair(cameras, name, gt, keep)
        spots = places(*camera_tilt(frame))
        given[view] = spots["given"]
        frames_of = {"flowpose": None, "calibrated": frame}
        frames_of.update({run: placed_frame(h, p, r, camera=view) for run, (h, p, r) in spots.items()})
        rows[person].append({run: floor_run(init, frames, placed, stands_on(name, top), config, gt, keep)
                             for run, placed in frames_of.items()})
        print_floor_runs(rows, name, RUNS)
    print_floor_runs(rows, None, RUNS)
    print()
    for view, (h, p, r) in given.items():
        print(f"{view}: given {h:.2f} m up, pitch {p:g}, roll {r:g} degrees")


if __name__ == "__main__":
    main()
