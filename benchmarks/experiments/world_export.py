"""Exported poses upright or tilted: the camera's frame turned Y up against the calibrated world (``export
--extrinsics``), on the real set.

A BVH or TRC file is Y up. Without a calibration, flowpose turns the camera's frame (y down) half about x, so the
file's up is the camera's: upright only for a level camera. With ``--extrinsics`` it goes to the capture's world
(Z up, the floor at z = 0), turned Y up as Pose2Sim turns its TRC files (:mod:`flowpose.io.world_frame`). For each of
the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first), the pair is refined
with the default preset and both exports' coordinates are compared with the pseudo ground truth in the world turned
Y up, over the scored frames:

- the camera's tilt (the angle between the camera's up and the world's, from the calibration);
- the body's axis (the mean over frames of mid-ankles to thorax) in the file against the reference's, degrees: what
  OpenSim reads as the body's lean, and so its pelvis tilt and list;
- where the file puts the body: the pelvis's mean distance from the reference's (m), and the ankles' mean height
  above the floor (m; the reference's beside it). The camera-frame file has no floor: its origin is the camera.

    python benchmarks/experiments/world_export.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import VIDEOS, experiment_parser, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.io.rig_files import choose_camera, read_rig  # noqa: E402
from flowpose.io.world_frame import ANKLES, body_axis, world_frame, y_up  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

CALIBRATION = VIDEOS.parent / "calibration" / "Calib.qca.txt"
PELVIS = H36M17.index("pelvis")


def degrees(a: np.ndarray, b: np.ndarray) -> float:
    """The angle between unit vectors a and b, degrees."""
    return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))


def main() -> None:
    """Refine every pair, export it both ways, print the table and its means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    cameras = read_rig(CALIBRATION)
    rows = []
    print("| pair | camera tilt deg | body axis off, camera frame deg | in the world deg | pelvis off, world m | "
          "ankles' height m (reference) |")
    print("|---|---|---|---|---|---|")
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        view = name.split("/")[0]
        frame = world_frame(choose_camera(cameras, CALIBRATION, view, None), str(CALIBRATION))
        refined = refine(init, frames, config=config).poses.joints3d[keep]
        reference = frame.y_up(gt[keep])  # the reference, camera metres, back in the world turned Y up
        in_camera, in_world = y_up(refined), frame.y_up(refined)
        up_world_in_camera = frame.R @ np.array([0.0, 0.0, 1.0])  # the world's up, camera axes
        tilt = degrees(up_world_in_camera, np.array([0.0, -1.0, 0.0]))
        truth = body_axis(reference)
        row = {
            "tilt": tilt,
            "camera": degrees(body_axis(in_camera), truth),
            "world": degrees(body_axis(in_world), truth),
            "pelvis": float(np.nanmean(np.linalg.norm(in_world[:, PELVIS] - reference[:, PELVIS], axis=-1))),
            "ankles": float(np.nanmean(in_world[:, list(ANKLES), 1])),
            "ankles_ref": float(np.nanmean(reference[:, list(ANKLES), 1])),
        }
        rows.append(row)
        print(f"| {name} | {row['tilt']:.1f} | {row['camera']:.1f} | {row['world']:.1f} | {row['pelvis']:.2f} | "
              f"{row['ankles']:.2f} ({row['ankles_ref']:.2f}) |", flush=True)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    print(f"| mean of {len(rows)} | {mean['tilt']:.1f} | {mean['camera']:.1f} | {mean['world']:.1f} | "
          f"{mean['pelvis']:.2f} | {mean['ankles']:.2f} ({mean['ankles_ref']:.2f}) |")


if __name__ == "__main__":
    main()
