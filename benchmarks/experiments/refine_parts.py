"""A video refined in overlapping parts (``refine --part-frames``) against the whole video at once, on the real set.

A video too long for the memory is refined in parts and joined (:mod:`flowpose.refinement.parts`). What does joining
cost? For each of the 8 view-person pairs (``bench_real.py --estimates tracked --everyone`` first) the tracked estimate
of the 100 frames is refined with the default preset (``whole``); in parts of ``--part-frames`` frames sharing
``--overlap`` (``parts``: with the defaults, 4 parts of at most 45 frames, each after the first held to the previous
one's joints where they overlap); and, what a user had to do before, as separate segments (the same parts' own runs,
each refined alone with ``--start/--frames``, laid end to end: ``segments``). The parts' joints are given one skeleton
after joining (:func:`~flowpose.refinement.parts.one_body`); beside them, the same parts' joints as joined (``joined``:
``one_body`` left out), and two other ways of giving them one skeleton, with the same median lengths: the least
displacement of the joints (``least``: each bone's two ends moved apart or together by half its excess, 50 sweeps) and
along the rays of the joined joints' pixels (``rays``: each joint where its pixel's ray meets the sphere of its bone's
length about its parent, the root kept; the nearer meeting to the joined depth). Printed per pair and as the mean:
MPJPE, PA-MPJPE (mm), acceleration error (mm/frame^2) against the reference, the bone-length std (mm, over the refined
frames), and the largest jump of a joint between two frames where two parts meet (mm; the whole run's at the same
frames beside it). A segment that observes nothing (refine refuses it) keeps the estimate: NaN, which the means of its
pair leave out.

    python benchmarks/experiments/refine_parts.py [--reference all|heldout] [--part-frames 45] [--overlap 15]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real import experiment_parser, scores, tracked_pairs  # noqa: E402
from one_skeleton import bones_as_joined, least, rays  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputError, InputNoteWarning  # noqa: E402
from flowpose.refinement.evaluate import pose_motion_stats  # noqa: E402
from flowpose.refinement.parts import plan_parts  # noqa: E402

WAYS = ("whole", "parts", "joined", "least", "rays", "segments")


def jump_at(joints: np.ndarray, cuts: list[int]) -> float:
    """The largest displacement of a joint from frame c - 1 to c at the cuts c, mm."""
    return float(max(np.nanmax(np.linalg.norm(joints[c] - joints[c - 1], axis=-1)) for c in cuts) * 1000.0)


def segment(init, frames, part, config) -> np.ndarray:
    """A part's own frames refined alone; the estimate as it is where they observe nothing (refine refuses them)."""
    try:
        return refine(init.slice(part.own_start, part.own_stop), frames[part.own_start:part.own_stop],
                      config=config).poses.joints3d
    except InputError:
        return init.joints3d[part.own_start:part.own_stop]


def main() -> None:
    """Refine every pair three ways; print the table and the means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    parser = experiment_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--part-frames", type=int, default=45)
    parser.add_argument("--overlap", type=int, default=15)
    args = parser.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    parted = replace(config, part_frames=args.part_frames, part_overlap=args.overlap)
    rows = []
    print("| pair | " + " | ".join(WAYS) + " | jump at the cuts mm: " + ", ".join(WAYS) + " |  (MPJPE / PA mm, accel "
          "err, bone std mm)")
    print("|---|" + "---|" * (len(WAYS) + 1))
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        parts = plan_parts(init.num_frames, args.part_frames, args.overlap)
        cuts = [p.own_start for p in parts[1:]]
        joints = {
            "whole": refine(init, frames, config=config).poses.joints3d,
            "parts": refine(init, frames, config=parted).poses.joints3d,
            "segments": np.concatenate([segment(init, frames, p, config) for p in parts]),
        }
        with bones_as_joined():
            joints["joined"] = refine(init, frames, config=parted).poses.joints3d.astype(np.float64)
        joints["least"], joints["rays"] = least(joints["joined"]), rays(joints["joined"])
        row = {}
        for way in WAYS:
            m = scores(joints[way], gt, keep)
            row.update({f"{way}_{k}": m[k] for k in ("mpjpe", "pa_mpjpe", "accel_error")})
            row[f"{way}_bone"] = pose_motion_stats(joints[way], "h36m17")["bone_std"]
            row[f"{way}_jump"] = jump_at(joints[way], cuts)
        rows.append(row)
        print(f"| {name} | " + " | ".join(
            f"{row[f'{w}_mpjpe']:.1f} / {row[f'{w}_pa_mpjpe']:.1f}, {row[f'{w}_accel_error']:.2f}, {row[f'{w}_bone']:.1f}"
            for w in WAYS) + " | " + ", ".join(f"{row[f'{w}_jump']:.1f}" for w in WAYS) + " |", flush=True)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    print(f"| mean of {len(rows)} | " + " | ".join(
        f"{mean[f'{w}_mpjpe']:.1f} / {mean[f'{w}_pa_mpjpe']:.1f}, {mean[f'{w}_accel_error']:.2f}, {mean[f'{w}_bone']:.1f}"
        for w in WAYS) + " | " + ", ".join(f"{mean[f'{w}_jump']:.1f}" for w in WAYS) + " |")


if __name__ == "__main__":
    main()
