"""The person stood on the calibrated floor (``refine --floor Z``) against the default, on the real set.

One view cannot tell a body's size from its distance; the estimator's own body size places it
(:mod:`flowpose.floor`). With the camera's place above the floor (the real set's Qualisys calibration), one scale
about the camera puts the median frame's lower ankle 0.07 m above the floor. For each of the 8 view-person pairs
(``bench_real.py --estimates tracked --everyone`` first) the tracked estimate is refined with the default preset
as it is (``flowpose``), stood on the floor at z = 0 first (``--floor 0``), and stood on the floor the person stands
on (``--floor top``): the woman (p0) stands on the lab's floor; the man (p1) balances on a raised platform, whose
top this run takes from the reference (the median over frames of the reference's lower ankle, less 0.07 m): an
oracle of what a user would measure with a tape. Printed per pair and as the mean of each person: MPJPE and
PA-MPJPE (mm, root-relative, as ``bench_real.py`` scores), the scale, the refined median frame's lower ankle
height above the world's z = 0 (m; the reference's beside it), and where the pelvis stands: its mean distance from the
reference's (m, over the scored frames; not root-relative: the body's place, which the depth of one view sets).

    python benchmarks/experiments/floor_contact.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import VIDEOS, experiment_parser, scores, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.camera_place import camera_tilt  # noqa: E402
from flowpose.config import (
    RefineConfig,  # noqa: E402
    get_preset,  # noqa: E402
)
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.floor import ANKLE_HEIGHT_M, floor_scale, lower_ankle_height, on_floor  # noqa: E402
from flowpose.io.rig_files import RigCamera, choose_camera, read_rig  # noqa: E402
from flowpose.io.video import VideoReader, open_video  # noqa: E402
from flowpose.io.world_frame import WorldFrame, world_frame  # noqa: E402
from flowpose.pose import PoseSequence  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402
from flowpose.vertical_lines import SceneLines  # noqa: E402

CALIBRATION = VIDEOS.parent / "calibration" / "Calib.qca.txt"
PELVIS = H36M17.index("pelvis")


def calibrated_scenes(views: list[str]) -> Iterator[tuple[str, RigCamera, tuple[float, float], VideoReader, SceneLines]]:
    """Each of the real set's ``views`` with its calibrated camera, that camera's pitch and roll (degrees,
    :func:`flowpose.camera_place.camera_tilt`), its video (open until the next view) and the video's scene lines
    (found on first use): what the experiments reading the camera from the scene compare with."""
    cameras = read_rig(CALIBRATION)
    for view in views:
        camera = choose_camera(cameras, CALIBRATION, view, None)
        _, pitch, roll = camera_tilt(world_frame(camera, str(CALIBRATION)))
        with open_video(VIDEOS / f"{view}.mp4") as reader:
            yield view, camera, (pitch, roll), reader, SceneLines(reader)


def calibrated_pair(cameras: dict, name: str, gt: np.ndarray, keep: np.ndarray) -> tuple[WorldFrame, float]:
    """A view-person pair's camera in the calibration's world (``name``: ``"camXX/pN"``; ``cameras`` from
    :func:`read_rig` of :data:`CALIBRATION`), and the top of what the person stands on as a tape would give it: the
    reference's (T, 17, 3) median frame's lower ankle on the ``keep`` frames, less the ankle's height, to the cm (the
    lab's floor for the woman, p0; the man's platform, about 0.11 m)."""
    frame = world_frame(choose_camera(cameras, CALIBRATION, name.split("/")[0], None), str(CALIBRATION))
    return frame, round(lower_ankle_height(gt[keep], frame) - ANKLE_HEIGHT_M, 2)


def stands_on(name: str, top: float) -> float:
    """The floor a pair's person stands on: the lab's (0) for the woman, p0; the platform's ``top`` for the man."""
    return 0.0 if name.endswith("/p0") else top


def floor_run(poses: PoseSequence, frames: np.ndarray, frame: WorldFrame | None, floor_z: float, config: RefineConfig,
              gt: np.ndarray, keep: np.ndarray) -> dict[str, float]:
    """``poses`` refined with ``config``, first stood on the floor at ``floor_z`` of ``frame`` (None: as they are):
    the scale, MPJPE and PA-MPJPE (mm, as ``bench_real.py`` scores against ``gt`` on the ``keep`` frames) and the
    median pelvis depth error (m)."""
    scale = 1.0 if frame is None else floor_scale(poses, frame, floor_z)[0]
    joints = refine(poses if frame is None else on_floor(poses, scale), frames, config=config).poses.joints3d
    m = scores(joints, gt, keep)
    depth = float(np.nanmedian(np.abs(joints[keep, PELVIS, 2] - gt[keep, PELVIS, 2])))
    return {"scale": scale, "mpjpe": m["mpjpe"], "pa": m["pa_mpjpe"], "depth": depth}


def print_floor_runs(rows: dict[str, list[dict[str, dict[str, float]]]], name: str | None, runs: tuple[str, ...],
                     depth: bool = False) -> None:
    """Print the last row of pair ``name`` (``"camXX/pN"``: ``rows[pN][-1]``, run -> :func:`floor_run`'s figures) as
    a table row, or with ``name`` None each person's means over its pairs: "scale: MPJPE / PA" a run (", depth" with
    ``depth``)."""
    def cell(f: dict[str, float]) -> str:
        return f"{f['scale']:.3f}: {f['mpjpe']:.1f} / {f['pa']:.1f}" + (f", {f['depth']:.2f}" if depth else "")

    if name is not None:
        row = rows[name.split("/")[1]][-1]
        print(f"| {name} | " + " | ".join(cell(row[run]) for run in runs) + " |", flush=True)
        return
    for person, found in rows.items():
        if found:
            mean = {run: {k: float(np.mean([r[run][k] for r in found])) for k in found[0][run]} for run in runs}
            print(f"| mean of {person} ({len(found)} views) | " + " | ".join(cell(mean[run]) for run in runs) + " |")


def main() -> None:
    """Refine every pair three ways; print the table and each person's means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    cameras = read_rig(CALIBRATION)
    rows: dict[str, list[dict[str, float]]] = {"p0": [], "p1": []}
    print("| pair | flowpose MPJPE / PA mm | --floor 0: scale, MPJPE / PA mm | --floor top (m): scale, MPJPE / PA mm | "
          "lower ankle m: flowpose, --floor 0, --floor top (reference) | pelvis off m: flowpose, --floor 0, top |")
    print("|---|---|---|---|---|---|")
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        frame, top = calibrated_pair(cameras, name, gt, keep)
        reference = lower_ankle_height(gt[keep], frame)
        row, ankles = {}, []
        for label, floor_z in (("flowpose", None), ("floor", 0.0), ("top", top)):
            start, scale = init, 1.0
            if floor_z is not None:
                scale, _ = floor_scale(init, frame, floor_z)
                start = on_floor(init, scale)
            joints = refine(start, frames, config=config).poses.joints3d
            m = scores(joints, gt, keep)
            pelvis = float(np.nanmean(np.linalg.norm(joints[keep, PELVIS] - gt[keep, PELVIS], axis=-1)))
            row.update({f"{label}_mpjpe": m["mpjpe"], f"{label}_pa": m["pa_mpjpe"], f"{label}_scale": scale,
                        f"{label}_pelvis": pelvis})
            ankles.append(lower_ankle_height(joints[keep], frame))
        rows[name.split("/")[1]].append(row)
        print(f"| {name} | {row['flowpose_mpjpe']:.1f} / {row['flowpose_pa']:.1f} | {row['floor_scale']:.3f}: "
              f"{row['floor_mpjpe']:.1f} / {row['floor_pa']:.1f} | ({top:.2f}) {row['top_scale']:.3f}: "
              f"{row['top_mpjpe']:.1f} / {row['top_pa']:.1f} | {ankles[0]:.2f}, {ankles[1]:.2f}, {ankles[2]:.2f} "
              f"({reference:.2f}) | {row['flowpose_pelvis']:.2f}, {row['floor_pelvis']:.2f}, {row['top_pelvis']:.2f} |",
              flush=True)
    for person, found in rows.items():
        if found:
            mean = {k: float(np.mean([r[k] for r in found])) for k in found[0]}
            print(f"| mean of {person} ({len(found)} views) | {mean['flowpose_mpjpe']:.1f} / {mean['flowpose_pa']:.1f} | "
                  f"{mean['floor_scale']:.3f}: {mean['floor_mpjpe']:.1f} / {mean['floor_pa']:.1f} | "
                  f"{mean['top_scale']:.3f}: {mean['top_mpjpe']:.1f} / {mean['top_pa']:.1f} | | "
                  f"{mean['flowpose_pelvis']:.2f}, {mean['floor_pelvis']:.2f}, {mean['top_pelvis']:.2f} |")


if __name__ == "__main__":
    main()
