"""How far a right ground truth's torso is from an estimate's: the real set's figures behind
``flowpose.truth_checks`` (its thresholds, 45 degrees and a factor of 2, must stay clear of them).

For each view-person pair of the real set, the tracked MediaPipe estimate against the held-out pseudo ground truth
that ``benchmarks/export_real_batch.py`` writes: the median angle between the two torsos (pelvis to thorax) and the
median ratio of their lengths, over the frames where both have them.

    python benchmarks/export_real_batch.py
    python benchmarks/experiments/truth_torso.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flowpose.io.groundtruth import load_gt
from flowpose.io.poses import load_poses
from flowpose.truth_checks import SIZE_APART, TURNED_DEG, torso_agreement

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    parser.add_argument("--truths", type=Path, default=REPO / "results" / "real_batch",
                        help="export_real_batch.py's folder of ground-truth files")
    args = parser.parse_args()
    print(f"| pair | frames | median angle, degrees (told above {TURNED_DEG:.0f}) | median size ratio "
          f"(told outside 1/{SIZE_APART:.0f}..{SIZE_APART:.0f}) |\n|---|---|---|---|")
    for truth in sorted(args.truths.glob("*.heldout_gt.npz")):
        pair = truth.name.removesuffix(".heldout_gt.npz")
        agreement = torso_agreement(load_poses(args.devset / f"{pair}.tracked.poses.npz"), load_gt(truth))
        if agreement is None:
            print(f"| {pair} | 0 | - | - |")
            continue
        angle, ratio, n = agreement
        print(f"| {pair} | {n} | {angle:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
