"""Two real-set runs compared on the same frames against one reference.

A change to the tracker moves three things at once on the real set: the estimates (which detections a track
holds), the references (the gap search adds detections where a track missed the person, and those are
triangulated) and the scored frames. Their figures are then not comparable. This experiment reads two runs of

    python benchmarks/bench_real.py --estimates tracked --everyone --cycles 3 --heldout --save-outputs --out DIR

(one on each code) and scores both runs' methods on the frames both scored, against the reference of either run
(``--reference a|b``, held out or from every view): what the change did to the poses, apart from what it did to
the yardstick. With ``--frames reference`` the frames are those the reference's run scored where the other run's
estimate has the person: for a change after which the references lost frames of a person.

    python benchmarks/experiments/same_frames.py results/bench_real_A results/bench_real_B --reference a --heldout
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import scores  # noqa: E402

METHODS = ("estimate", "gaussian", "flow_off", "flowpose")


def load(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """``folder/outputs.npz`` as pair -> key -> array (``bench_real.py --save-outputs``)."""
    pairs: dict[str, dict[str, np.ndarray]] = {}
    with np.load(folder / "outputs.npz") as d:
        for key in d.files:
            pair, what = key.split("|")
            pairs.setdefault(pair, {})[what] = d[key]
    return pairs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--reference", choices=("a", "b"), default="a", help="whose reference scores both runs")
    p.add_argument("--heldout", action="store_true", help="the reference triangulated without the scored view")
    p.add_argument("--frames", choices=("both", "reference"), default="both",
                   help="both: the frames both runs scored; reference: the frames the reference's run scored where the "
                   "other run's estimate has the person (when the other run's reference lost frames of the person)")
    args = p.parse_args()
    runs = {"a": load(args.a), "b": load(args.b)}
    suffix = "_heldout" if args.heldout else ""
    rows = []
    for pair in sorted(set(runs["a"]) & set(runs["b"])):
        a, b = runs["a"][pair], runs["b"][pair]
        if int(a[":start"]) != 0 or int(b[":start"]) != 0 or len(a[":keep"]) != len(b[":keep"]):
            sys.exit(f"{pair}: expected whole-video runs (--estimates tracked) of the same frames")
        ref = runs[args.reference][pair]
        gt = ref[f":gt{suffix}"]
        other = b if args.reference == "a" else a
        keep = a[f":keep{suffix}"] & b[f":keep{suffix}"] if args.frames == "both" else \
            ref[f":keep{suffix}"] & np.isfinite(other["estimate"][:, 0]).all(-1)
        row = {f"{m} {w}": scores(run[m], gt, keep)["mpjpe"] for m in METHODS for w, run in (("a", a), ("b", b))}
        rows.append(row)
        only = (a[f":keep{suffix}"] ^ b[f":keep{suffix}"]).sum()
        print(f"{pair}: {int(keep.sum())} frames scored by both ({int(only)} by one); "
              + ", ".join(f"{m} {row[m + ' a']:.1f} → {row[m + ' b']:.1f}" for m in METHODS), flush=True)
    print(f"\nMean over {len(rows)} pairs, MPJPE mm on the frames both scored, the reference of run {args.reference}"
          f"{' (held out)' if args.heldout else ''}:")
    for m in METHODS:
        ma, mb = np.mean([r[m + " a"] for r in rows]), np.mean([r[m + " b"] for r in rows])
        print(f"  {m:9s} {ma:6.1f} → {mb:6.1f}  ({100 * (mb / ma - 1):+.1f}%)")
    fa, fb = (np.mean([r[f"flowpose {w}"] for r in rows]) / np.mean([r[f"flow_off {w}"] for r in rows]) - 1 for w in "ab")
    print(f"  the flow's gain: {100 * fa:+.1f}% → {100 * fb:+.1f}%")


if __name__ == "__main__":
    main()
