"""A long synthetic clip refined in overlapping parts against the whole clip at once, with true ground truth.

The real set has 100 frames, so its parts are short (``refine_parts.py``). Here motion-capture clips are rendered long
(``--frames``, default 600: 20 s at 30 fps; the two clips whose motion lasts that long) with the realistic
``mediapipe`` profile and refined with the default preset whole, in parts of each ``--part-frames`` (sharing
``--overlap``), and as the parts' own runs refined alone and laid end to end (``segments``). Beside the parts (given
one skeleton, :func:`~flowpose.refinement.parts.one_body`), the same parts as joined (``joined``) and given one
skeleton by the least displacement of the joints (``least``; ``one_skeleton.py``). Printed per clip and as the mean:
MPJPE, PA-MPJPE (mm), acceleration error (mm/frame^2), bone-length std (mm), the largest jump of a joint between two
frames where parts meet (mm), and the memory the refinement foresees (``flowpose.refinement.memory``, MB), which the
parts bound.

    python benchmarks/experiments/parts_long_clip.py [--clips A,B] [--frames 600] [--size 128] [--part-frames 150,300]
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_skeleton import bones_as_joined, least  # noqa: E402
from synth_set import evaluation_clips, rendered, synth_parser  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.errors import InputNoteWarning  # noqa: E402
from flowpose.flow.classical import DISFlow  # noqa: E402
from flowpose.metrics import accel_error, mpjpe, pa_mpjpe  # noqa: E402
from flowpose.refinement.evaluate import pose_motion_stats  # noqa: E402
from flowpose.refinement.memory import refine_memory  # noqa: E402
from flowpose.refinement.parts import one_body, plan_parts  # noqa: E402


def main() -> None:
    """Refine each clip whole, in parts and as segments; print the table and the means."""
    warnings.simplefilter("ignore", InputNoteWarning)
    parser = synth_parser(__doc__.split("\n\n")[0], frames=600)
    parser.set_defaults(size=128, clips="cmu_cgspeed/01_01,fair/zombie")
    parser.add_argument("--part-frames", default="150,300")
    parser.add_argument("--overlap", type=int, default=30)
    args = parser.parse_args()
    config = get_preset("fast")
    sizes = [int(n) for n in args.part_frames.split(",")]
    ways = ["whole"] + [f"{way} {n}" for way in ("parts", "joined", "least", "segments") for n in sizes]
    rows = []
    print("| clip | " + " | ".join(ways) + " |  (MPJPE / PA mm, accel err, bone std, jump at the cuts mm, foreseen MB)")
    print("|---|" + "---|" * len(ways))
    for clip in evaluation_clips(args.clips):
        synth = rendered(clip, args.profile, args)
        init, frames, truth = synth.estimate, synth.rendered.frames, synth.gt.joints3d
        T = init.num_frames
        if T <= max(sizes):
            print(f"| {clip.name} | {T} frames: not longer than a part, skipped |", flush=True)
            continue
        need = refine_memory(init, frames.shape[1:3], config, [DISFlow()])
        joints, foreseen, cuts = {}, {}, {}
        joints["whole"], foreseen["whole"] = refine(init, frames, config=config).poses.joints3d, need.bytes(T)
        for n in sizes:
            parted = replace(config, part_frames=n, part_overlap=args.overlap)
            with bones_as_joined():  # the parts as joined; refine's own parts are these given one skeleton
                joints[f"joined {n}"] = refine(init, frames, config=parted).poses.joints3d.astype(np.float64)
            joints[f"parts {n}"] = one_body(joints[f"joined {n}"], init.skel.parents)
            joints[f"least {n}"] = least(joints[f"joined {n}"])
            parts = plan_parts(T, n, args.overlap)
            cuts[n] = [p.own_start for p in parts[1:]]
            joints[f"segments {n}"] = np.concatenate([
                refine(init.slice(p.own_start, p.own_stop), frames[p.own_start:p.own_stop], config=config).poses.joints3d
                for p in parts])
            for way in ("parts", "joined", "least"):
                foreseen[f"{way} {n}"] = need.bytes(T, n)
            foreseen[f"segments {n}"] = need.bytes(max(p.own_stop - p.own_start for p in parts))
        row = {}
        for way in ways:
            X = joints[way]
            jump = max(np.max(np.linalg.norm(X[c] - X[c - 1], axis=-1)) for c in cuts[sizes[0] if way == "whole"
                                                                                        else int(way.split()[1])])
            row[way] = (mpjpe(X, truth), pa_mpjpe(X, truth), accel_error(X, truth),
                        pose_motion_stats(X, "h36m17")["bone_std"], jump * 1000.0, foreseen[way] / 2**20)
        rows.append(row)
        print(f"| {clip.name} | " + " | ".join("{:.1f} / {:.1f}, {:.2f}, {:.1f}, {:.0f}, {:.0f}".format(*row[w])
                                             for w in ways) + " |", flush=True)
    print(f"| mean of {len(rows)} | " + " | ".join("{:.1f} / {:.1f}, {:.2f}, {:.1f}, {:.0f}, {:.0f}".format(
        *np.mean([r[w] for r in rows], axis=0)) for w in ways) + " |")


if __name__ == "__main__":
    main()
