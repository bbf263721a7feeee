"""Can the camera's tilt be read from the person alone? A probe for ``--camera-tilt`` (not used by the package).

The floor (:mod:`flowpose.floor`) needs the world's up in the camera's frame. Two guesses need no measurement: the
person's mean axis, mid-ankles to thorax (:func:`flowpose.io.world_frame.body_axis`), taken as vertical, and the
normal of a plane fitted to the lower ankle over the frames (the ground the feet touch). For each view-person pair
of the real set (``bench_real.py --estimates tracked --everyone`` first) this prints the angle of each guess from
the calibrated up (``Calib.qca.txt``), the reference's own axis beside it (a person who leans), the plane fit's
singular values (metres: the third small against the others means a plane) and the median depth of the lower ankle.
Then, for ``refine --camera-tilt``'s warning (:data:`flowpose.camera_place.LEAN_WARNING_DEG`), the estimate's lean from
the vertical of the place a user would give (the calibration's to 1 cm and 1 degree) and of that place spoilt: the
pitch left out (0), the roll's sign turned, the pitch's sign turned; the floor's scale, or ``refused`` where the floor
refuses it.

    python benchmarks/experiments/tilt_from_person.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import VIDEOS, experiment_parser, tracked_pairs  # noqa: E402

from flowpose.camera_place import camera_tilt, placed_frame  # noqa: E402
from flowpose.errors import InputError  # noqa: E402
from flowpose.floor import floor_scale  # noqa: E402
from flowpose.io.rig_files import choose_camera, read_rig  # noqa: E402
from flowpose.io.world_frame import ANKLES, body_axis, lean_deg, world_frame  # noqa: E402

CALIBRATION = VIDEOS.parent / "calibration" / "Calib.qca.txt"


def degrees_from(a: np.ndarray, b: np.ndarray) -> float:
    """The angle between unit vectors (3,) a and b, degrees."""
    return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))


def main() -> None:
    """Print each pair's angles."""
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    cameras = read_rig(CALIBRATION)
    spoilt: list[str] = []
    print("| pair | estimate's axis from up, deg | reference's axis, deg | ankle plane's normal, deg | plane's singular "
          "values, m | lower ankle's depth, m |")
    print("|---|---|---|---|---|---|")
    for name, _, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        frame = world_frame(choose_camera(cameras, CALIBRATION, name.split("/")[0], None), str(CALIBRATION))
        up = frame.R[:, 2]  # the world's z in the camera's frame
        seen = np.where(init.confidence()[..., None] > 0, np.asarray(init.joints3d, np.float64), np.nan)
        ankles = seen[:, list(ANKLES)]
        height = np.where(np.isfinite(ankles @ up), ankles @ up, np.inf)
        lower = ankles[np.arange(len(ankles)), height.argmin(1)]
        lower = lower[np.isfinite(lower).all(-1)]
        _, singular, vt = np.linalg.svd(lower - lower.mean(0), full_matrices=False)
        normal = vt[2] * np.sign(vt[2] @ up)
        print(f"| {name} | {degrees_from(body_axis(seen), up):.1f} | {degrees_from(body_axis(gt[keep]), up):.1f} | "
              f"{degrees_from(normal, up):.1f} | {', '.join(f'{s:.2f}' for s in singular)} | "
              f"{np.median(lower[:, 2]):.2f} |")
        height, pitch, roll = camera_tilt(frame)
        h, p, r = round(height, 2), round(pitch), round(roll)
        leans = []
        for label, (pp, rr) in {"given": (p, r), "pitch 0": (0, r), "roll's sign": (p, -r), "pitch's sign": (-p, r)}.items():
            placed = placed_frame(h, pp, rr)
            try:
                told = f" (scale {floor_scale(init, placed)[0]:.2f})"
            except InputError:
                told = ", refused"
            leans.append(f"{label} {lean_deg(seen, placed):.1f}{told}")
        spoilt.append(f"{name}: lean from the given vertical, deg: {'; '.join(leans)}")
    print()
    print("\n".join(spoilt))


if __name__ == "__main__":
    main()
