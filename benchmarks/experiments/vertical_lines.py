"""The camera's tilt read from the scene's vertical lines (``--camera-tilt auto``), on the real set.

For each of the four cameras: the pitch and roll the calibration gives, and those :func:`flowpose.vertical_lines.
tilt_from_lines` reads from the video's vertical lines (the median of 15 frames) through the calibrated camera
(its K and lens), through its K without the lens, and through the focal length ``refine`` guesses without a camera
file (``--fov 60``); with the vertical lines found and the reading's bootstrap spread. Then each of the 8
view-person pairs' tracked estimate is refined (the default preset) without a floor (``flowpose``), stood on the
floor with the calibration's place (``calibrated``), and with the calibration's height to the centimetre and the
tilt read through the calibrated camera, its lens included (``height + lines``), as ``refine --intrinsics
ONE_CAMERA_FILE --camera-height H --camera-tilt auto`` does: MPJPE / PA-MPJPE (mm, root-relative, as ``bench_real.py`` scores) and the scale, per pair and as each
person's mean. First, the vote: the pitch's error per camera, with the lens and without, for the soft vote kept
(its scale 0.15-0.5 degrees; 0.5 is flowpose's) and the first version's hard count (within 0.75-1.5 degrees; 1 was
its). (The man stands on a platform whose top both floor runs take from the reference, as
``floor_contact.py`` does.)

    python benchmarks/experiments/vertical_lines.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, tracked_pairs  # noqa: E402
from floor_contact import (  # noqa: E402
    CALIBRATION,
    calibrated_pair,
    calibrated_scenes,
    floor_run,
    print_floor_runs,
    stands_on,
)

from flowpose.camera_place import camera_tilt, placed_frame, tilt_of_up  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.io.intrinsics import CameraOptions  # noqa: E402
from flowpose.io.rig_files import choose_camera, read_rig  # noqa: E402
from flowpose.vertical_lines import (  # noqa: E402
    MAX_LEAN_DEG,
    SceneLines,
    segment_planes,
    tilt_from_lines,
    vertical_up,
)

RUNS = ("flowpose", "calibrated", "height + lines")
SOFT_SCALES = (0.15, 0.25, 0.35, 0.5)
HARD_THRESHOLDS = (0.75, 1.0, 1.5)


def hard_up(normals: np.ndarray, lengths: np.ndarray, threshold_deg: float) -> np.ndarray:
    """The first version's up: RANSAC counting the segments within ``threshold_deg`` (sqrt-length weighted), then
    three least-squares refits on those segments."""
    weights, within = np.sqrt(lengths), math.sin(math.radians(threshold_deg))
    pairs = np.random.default_rng(0).integers(0, len(normals), size=(2000, 2))
    v = np.cross(normals[pairs[:, 0]], normals[pairs[:, 1]])
    v = v[np.linalg.norm(v, axis=-1) > 1e-9]
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    v = np.where(v[:, 1:2] > 0, -v, v)
    v = v[v[:, 1] <= -math.cos(math.radians(MAX_LEAN_DEG))]
    up = v[int(np.argmax((np.abs(normals @ v.T) < within).T @ weights))]
    for _ in range(3):
        kept = np.abs(normals @ up) < within
        up = np.linalg.svd(normals[kept] * weights[kept, None])[2][-1]
        up = -up if up[1] > 0 else up
    return up


def vote_scan(views: list[str]) -> None:
    """Print each vote's pitch error per camera, through the calibrated camera with its lens and without."""
    found = {view: (camera, tilt[0], scene.segments) for view, camera, tilt, _, scene in calibrated_scenes(views)}
    print("| vote | " + " | ".join(f"{view} pitch error, lens / none" for view in views) + " |")
    print("|---" * (len(views) + 1) + "|")
    votes = [(f"soft {s:g} deg", lambda n, lengths, s=s: vertical_up(n, lengths, soft_deg=s)[0]) for s in SOFT_SCALES]
    votes += [(f"hard {t:g} deg", lambda n, lengths, t=t: hard_up(n, lengths, t)) for t in HARD_THRESHOLDS]
    for label, up_of in votes:
        cells = []
        for view in views:
            camera, pitch, ends = found[view]
            errors = [tilt_of_up(up_of(*segment_planes(ends, camera.K, lens)))[0] - pitch for lens in (camera.dist, None)]
            cells.append(f"{errors[0]:+.2f} / {errors[1]:+.2f}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    print()


def readings(views: list[str]) -> None:
    """Print each camera's calibrated tilt beside the tilts read through three cameras."""
    print("| camera | calibrated pitch, roll | read: calibrated camera | error | lines | spread | without the lens | "
          "error | focal guessed (--fov 60) | error | s |")
    print("|---" * 11 + "|")
    for view, camera, (pitch, roll), reader, scene in calibrated_scenes(views):
        start = time.perf_counter()
        read = tilt_from_lines(scene, camera.K, camera.dist, view)  # the seconds: the segments found, and read
        seconds = time.perf_counter() - start
        pinhole = tilt_from_lines(scene, camera.K, None, view)
        guessed = tilt_from_lines(scene, CameraOptions().matrix(reader.size), None, view)
        cells = [f"{pitch:.2f}, {roll:.2f}"]
        for i, tilt in enumerate((read, pinhole, guessed)):
            cells += [f"{tilt.pitch_deg:.2f}, {tilt.roll_deg:.2f}",
                      f"{tilt.pitch_deg - pitch:+.2f}, {tilt.roll_deg - roll:+.2f}"]
            if i == 0:
                cells += [str(tilt.lines), f"{tilt.spread_deg[0]:.2f}, {tilt.spread_deg[1]:.2f}"]
        print(f"| {view} | " + " | ".join(cells) + f" | {seconds:.1f} |", flush=True)
    print()


def main() -> None:
    """The readings, then every pair refined each way: the table and each person's means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    vote_scan(args.views.split(","))
    readings(args.views.split(","))
    config = replace(get_preset("fast"), cycles=args.cycles)
    cameras = read_rig(CALIBRATION)
    rows: dict[str, list[dict[str, dict[str, float]]]] = {"p0": [], "p1": []}
    print("| pair | " + " | ".join(f"{run}: scale, MPJPE / PA mm" for run in RUNS) + " |")
    print("|---" * (len(RUNS) + 1) + "|")
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        frame, top = calibrated_pair(cameras, name, gt, keep)
        camera = choose_camera(cameras, CALIBRATION, name.split("/")[0], None)
        tilt = tilt_from_lines(SceneLines(frames), camera.K, camera.dist, name)
        read = placed_frame(round(camera_tilt(frame)[0], 2), tilt.pitch_deg, tilt.roll_deg, camera=name)
        rows[name.split("/")[1]].append({run: floor_run(init, frames, placed, stands_on(name, top), config, gt, keep)
                                          for run, placed in {"flowpose": None, "calibrated": frame,
                                                              "height + lines": read}.items()})
        print_floor_runs(rows, name, RUNS)
    print_floor_runs(rows, None, RUNS)

if __name__ == "__main__":
    main()
