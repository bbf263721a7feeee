"""The camera's focal length and tilt read from the scene's lines (``--focal-px auto --camera-tilt auto``), on the
real set.

For each of the four cameras: the calibrated focal length and the one :func:`flowpose.scene_focal.focal_from_lines`
reads (principal point at the image's centre, no lens), with the segments it counted, the seconds it took and the
spread of 10 readings of resampled segments (tried as its uncertainty, not kept); then
the tilt read through that focal length beside the calibration's; and the focal length read from the Human3.6M clip
beside its cameras' published ones (a stronger lens). Then each of the 8 view-person pairs' tracked
estimate (placed with the calibrated K) is moved to where the focal length read shows it alike (as ``estimate
--focal-px auto`` would have placed it) and refined (the default preset) without a floor (``read K``), and stood on
the floor of the calibration's height (to the cm) and the tilt read through that focal length (``read K, height +
lines``), as ``refine --focal-px auto --camera-height H --camera-tilt auto`` does; beside the calibrated camera's
runs without a floor (``flowpose``) and on the calibration's floor (``calibrated``). MPJPE / PA-MPJPE (mm,
root-relative, as ``bench_real.py`` scores), the scale and the median pelvis depth error (m, against the reference:
what a wrong focal length costs in metres), per pair and as each person's mean. (The man stands on a platform whose
top the floor runs take from the reference, as ``floor_contact.py`` does.)

    python benchmarks/experiments/scene_focal.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import VIDEOS, experiment_parser, tracked_pairs  # noqa: E402
from floor_contact import (  # noqa: E402
    CALIBRATION,
    calibrated_pair,
    calibrated_scenes,
    floor_run,
    print_floor_runs,
    stands_on,
)

from flowpose.app.refine_video import shown_alike  # noqa: E402
from flowpose.camera_place import camera_tilt, placed_frame  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.io.rig_files import read_rig  # noqa: E402
from flowpose.io.video import (
    open_video,  # noqa: E402
)
from flowpose.scene_focal import best_fov, centred_K, focal_from_lines, fov_focal  # noqa: E402
from flowpose.vertical_lines import SceneLines, tilt_from_lines  # noqa: E402

RUNS = ("flowpose", "calibrated", "read K", "read K, height + lines")
BOOTSTRAP = 10
H36M_CLIP = VIDEOS.parents[1] / "h36m_clip.mp4"
H36M_FOCAL_PX = (1145.05, 1149.68)
"""The smallest and largest fx of Human3.6M's four cameras as the dataset publishes them (1000 x 1002 frames; their
lenses' radial distortion k1 about -0.21, k2 about 0.25), as e.g. VideoPose3D's ``h36m_dataset.py`` lists them; which
camera filmed the shared clip is not recorded."""


def bootstrap_spread(scene: SceneLines, focal_px: float) -> float:
    """The standard deviation of the focal length read from :data:`BOOTSTRAP` resamplings (with replacement) of the
    scene's segments, as a fraction of ``focal_px``: tried as the reading's uncertainty, not kept (RESULTS)."""
    size, ends = scene.size, scene.segments
    rng = np.random.default_rng(0)
    draws = [fov_focal(best_fov(ends[rng.integers(0, len(ends), len(ends))], size)[0], size) for _ in range(BOOTSTRAP)]
    return float(np.std(draws) / focal_px)


def readings(views: list[str]) -> dict[str, float]:
    """Print each camera's calibrated focal length and tilt beside those read; the focal lengths read, by view."""
    print("| camera | calibrated f px | read f px | error | vertical, horizontal segments | s | bootstrap spread | "
          "calibrated pitch, roll | read through the read f | error |")
    print("|---" * 10 + "|")
    read = {}
    for view, camera, (pitch, roll), reader, scene in calibrated_scenes(views):
        start = time.perf_counter()
        found = focal_from_lines(scene, view)  # the seconds: the segments found, and read
        seconds = time.perf_counter() - start
        tilt = tilt_from_lines(scene, centred_K(found.focal_px, reader.size), None, view)
        spread = bootstrap_spread(scene, found.focal_px)
        read[view] = found.focal_px
        print(f"| {view} | {camera.K[0, 0]:.1f} | {found.focal_px:.1f} | {100 * (found.focal_px / camera.K[0, 0] - 1):+.1f}% "
              f"| {found.vertical}, {found.horizontal} | {seconds:.1f} | {100 * spread:.1f}% | {pitch:.2f}, {roll:.2f} | "
              f"{tilt.pitch_deg:.2f}, "
              f"{tilt.roll_deg:.2f} | {tilt.pitch_deg - pitch:+.2f}, {tilt.roll_deg - roll:+.2f} |", flush=True)
    with open_video(H36M_CLIP) as reader:
        scene = SceneLines(reader)
        found = focal_from_lines(scene, H36M_CLIP.name)
        spread = bootstrap_spread(scene, found.focal_px)
    low, high = H36M_FOCAL_PX
    print(f"\nHuman3.6M clip: read f {found.focal_px:.1f} px ({found.vertical} vertical, {found.horizontal} horizontal "
          f"segments); its cameras' published fx {low:g}-{high:g} px: {100 * (found.focal_px / high - 1):+.1f}% to "
          f"{100 * (found.focal_px / low - 1):+.1f}%; bootstrap spread {100 * spread:.1f}%")
    print()
    return read


def main() -> None:
    """The readings, then every pair refined each way: the table and each person's means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    focal = readings(args.views.split(","))
    config = replace(get_preset("fast"), cycles=args.cycles)
    cameras = read_rig(CALIBRATION)
    rows: dict[str, list[dict[str, dict[str, float]]]] = {"p0": [], "p1": []}
    print("| pair | " + " | ".join(f"{run}: scale, MPJPE / PA mm, pelvis depth off m" for run in RUNS) + " |")
    print("|---" * (len(RUNS) + 1) + "|")
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        view = name.split("/")[0]
        frame, top = calibrated_pair(cameras, name, gt, keep)
        K = centred_K(focal[view], frames.shape[1:3])
        moved = replace(init, K=K, joints3d=shown_alike(init.joints3d, init.K_per_frame(), K).astype(np.float32))
        tilt = tilt_from_lines(SceneLines(frames), K, None, name)
        read = placed_frame(round(camera_tilt(frame)[0], 2), tilt.pitch_deg, tilt.roll_deg, camera=name)
        runs = {"flowpose": (init, None), "calibrated": (init, frame), "read K": (moved, None),
                "read K, height + lines": (moved, read)}
        rows[name.split("/")[1]].append({run: floor_run(poses, frames, placed, stands_on(name, top), config, gt, keep)
                                          for run, (poses, placed) in runs.items()})
        print_floor_runs(rows, name, RUNS, depth=True)
    print_floor_runs(rows, None, RUNS, depth=True)

if __name__ == "__main__":
    main()
