"""The flip test in 3D: MediaPipe's 3D averaged with its look at the mirrored crop, on the real set.

``--mirrored-2d`` (``flip_2d.py``) took the 2D from a second MediaPipe look at the crop around the person
mirrored left to right, and keeps the 3D of the first look. 3D lifters (VideoPose3D, MotionBERT) average their
answer with the mirrored input's, mirrored back ("flip augmentation" at test time): a network is not exactly
mirror-equivariant, so the two answers err partly apart and their mean errs less. Here the mirrored look's
world landmarks (hip-centred metres, axes along the image's) are mirrored back (x -> -x, left and right
swapped), mapped to Human3.6M-17, taken relative to the pelvis, and averaged with the first look's where both
have a joint; the result is placed in the camera frame by the same least-squares fit to the 2D keypoints as
``estimate`` places its own (``flowpose.estimate.placement.place_root``, over the 17 joints). The control
(``re-run``) averages the first look with MediaPipe's look at the same crop unmirrored.

For each of the 8 view-person pairs (``bench_real.py --estimates tracked --everyone`` first) the estimates
(tracked; tracked re-placed over the 17 joints, the control for the placement; the mirrored look's 3D alone;
the re-run's average; the flip average) are scored as they are, and the tracked and the flip average refined
with the default preset with and without the flow term, with the tracked 2D and with the mirrored 2D.

    python benchmarks/experiments/flip_3d.py [--reference all|heldout] [--views ...]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import (  # noqa: E402
    experiment_parser,
    print_estimate_table,
    print_mean_table,
    score_runs,
    scores,
    tracked_pairs,
)

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.estimate.looks import PELVIS, look_again  # noqa: E402
from flowpose.estimate.placement import place_root  # noqa: E402


def second_look_3d(frames, poses, mirrored: bool, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe again on the (mirrored) crop around each frame's keypoints, padded by ``pad`` of their box
    (``flowpose.estimate.looks.look_again``): (T, 17, 3) pelvis-relative metres (mirrored back) and (T, 17, 2) px
    2D (NaN where unsure), NaN where the look did not find this person."""
    look = look_again(frames, poses, pad=pad, mirrored=mirrored)
    return look.relative, look.joints2d


def placed(rel: np.ndarray, init, joints2d: np.ndarray):
    """``init`` with its 3D the (T, 17, 3) pelvis-relative ``rel`` placed by its 2D keypoints (``place_root``
    over the 17 joints, weighted by ``init``'s confidences), and its 2D ``joints2d``."""
    conf = np.where(np.isfinite(rel).all(-1) & np.isfinite(init.joints2d).all(-1), init.confidence(), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        root = place_root(np.nan_to_num(rel), np.nan_to_num(init.joints2d), init.K_per_frame(), conf)
    joints3d = rel + root[:, None, :]
    return replace(init, joints3d=joints3d.astype(np.float32), joints2d=joints2d.astype(np.float32))


def averaged(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The mean of two (T, 17, D) arrays where both are finite, else the first."""
    both = np.isfinite(a).all(-1) & np.isfinite(b).all(-1)
    return np.where(both[..., None], 0.5 * (a + b), a)


def main() -> None:
    """Score the estimates and refine every pair (module docstring); print each and the means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    args = experiment_parser(__doc__.split("\n\n")[0]).parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    off = NO_FLOW_RUNS["flow_off"](config)
    estimates, results = [], []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        own = init.joints3d.astype(np.float64)
        own_rel = own - own[:, PELVIS:PELVIS + 1]
        rerun_rel, _ = second_look_3d(frames, init, mirrored=False)
        flip_rel, flip_2d = second_look_3d(frames, init, mirrored=True)
        tracked_2d = init.joints2d.astype(np.float64)
        found = np.isfinite(flip_rel).all(-1).any(-1)  # frames where the mirrored look found this person
        mirrored_2d = np.where(found[:, None, None], flip_2d, tracked_2d)  # as --mirrored-2d replaces them
        looks = {
            "tracked": init,
            "tracked, re-placed": placed(own_rel, init, tracked_2d),
            "mirrored 3D alone": placed(np.where(np.isfinite(flip_rel), flip_rel, own_rel), init, tracked_2d),
            "re-run averaged": placed(averaged(own_rel, rerun_rel), init, tracked_2d),
            "flip averaged": placed(averaged(own_rel, flip_rel), init, tracked_2d),
        }
        row = {k: scores(v.joints3d.astype(np.float64), gt, keep) for k, v in looks.items()}
        estimates.append(row)
        print(f"{name} estimate: " + ", ".join(f"{k} {m['mpjpe']:.1f} / {m['pa_mpjpe']:.1f}" for k, m in row.items()),
              flush=True)
        flip_avg = looks["flip averaged"]
        runs = {"without flow": refine(init, frames, config=off), "flowpose": refine(init, frames, config=config),
                "without flow, 3D flip averaged": refine(flip_avg, frames, config=off),
                "flowpose, 3D flip averaged": refine(flip_avg, frames, config=config)}
        both = replace(flip_avg, joints2d=mirrored_2d.astype(np.float32))
        runs["without flow, 3D flip averaged, 2D mirrored"] = refine(both, frames, config=off)
        runs["flowpose, 3D flip averaged, 2D mirrored"] = refine(both, frames, config=config)
        results.append(score_runs(name, runs, gt, keep))
    print_estimate_table(estimates)
    print_mean_table(results)


if __name__ == "__main__":
    main()
