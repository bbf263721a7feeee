"""A calibrated K given to ``refine`` for poses estimated with the field-of-view guess, on the real set.

A user who ran ``flowpose estimate`` without a camera (``--fov 60``, a guess) and then refines with
``--intrinsics K``: the pose file's 3D was placed for the guessed focal length. Before the forty-third session,
``refine`` kept that 3D and only replaced K, so the 3D no longer showed the image it was estimated from, and
the 2D and 3D terms pulled the body apart. Now (``flowpose.app.refine_video.with_intrinsics``) each frame's
3D is first moved, its shape kept, to where the given K shows it as the guessed camera did.

For every view-person pair of the real set (``bench_real.py --estimates tracked --everyone`` first), the
tracked estimate (placed with the calibrated K) is moved to where the 60° guess shows it alike, as ``estimate``
without a camera would have placed it (``shown_alike``), and refined by flowpose four ways:

- *calibrated from the start*: the tracked estimate itself (``estimate --intrinsics K``, the README's table);
- *K given, 3D moved (now)*: the guessed estimate through ``with_intrinsics`` with the calibrated K;
- *K given, 3D kept (before)*: the guessed estimate with only its K replaced;
- *the guess kept*: the guessed estimate refined in the guessed camera (no ``--intrinsics``).

It prints each run's mean MPJPE / PA-MPJPE (mm, root-aligned, as ``bench_real.py`` scores), the median depth of
the refined pelvis (m) and how many pairs' refined poses flowpose would refuse to read back (a joint within 5 cm
of the camera).

    python benchmarks/experiments/camera_replaced.py [--reference all|heldout] [--cycles 3]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.app.refine_video import shown_alike, with_intrinsics  # noqa: E402
from flowpose.camera import intrinsics_from_fov  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputError  # noqa: E402
from flowpose.pose import check_joints3d  # noqa: E402

RUNS = ("calibrated from the start", "K given, 3D moved (now)", "K given, 3D kept (before)", "the guess kept")
GUESS_FOV_DEG = 60.0
"""``flowpose estimate``'s default field of view."""


def main() -> None:
    """Refine every pair four ways and print the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    rows, depth, refused = [], {run: [] for run in RUNS}, {run: 0 for run in RUNS}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        H, W = frames.shape[1:3]
        K = init.K if init.K.ndim == 2 else init.K[0]
        K_guess = intrinsics_from_fov(W, H, GUESS_FOV_DEG)
        guessed = replace(init, joints3d=shown_alike(init.joints3d, init.K_per_frame(), K_guess).astype(np.float32),
                          K=K_guess.astype(np.float32))
        starts = {
            RUNS[0]: init,
            RUNS[1]: with_intrinsics(guessed, K, None, name, []),
            RUNS[2]: _k_only(guessed, K),
            RUNS[3]: guessed,
        }
        results = {run: refine(start, frames, config=config) for run, start in starts.items()}
        rows.append(score_runs(name, results, gt, keep))
        for run, result in results.items():
            depth[run].append(float(np.nanmedian(result.poses.joints3d[:, 0, 2])))
            try:
                check_joints3d(result.poses.joints3d)
            except InputError:
                refused[run] += 1
    print("\n| run | MPJPE mm | PA-MPJPE mm | pelvis depth m, median over the pairs | pairs refused as input |\n"
          "|---|---|---|---|---|")
    for run in RUNS:
        mpjpe, pa = (np.mean([r[run][m] for r in rows]) for m in ("mpjpe", "pa_mpjpe"))
        print(f"| {run} | {mpjpe:.1f} | {pa:.1f} | {np.median(depth[run]):.2f} | {refused[run]} of {len(rows)} |")


def _k_only(poses, K: np.ndarray):
    """The poses with camera K, their 3D left where it is (what ``refine --intrinsics`` did before)."""
    return replace(poses, K=np.asarray(K, np.float32))


if __name__ == "__main__":
    main()
