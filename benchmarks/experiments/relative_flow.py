"""L_opt on each point's motion relative to its parent joint's, on the real set (tried; ``flow_variants.py
--relative`` runs it on the synthetic clips).

The optical flow's error at a joint points as its parent joint's does (``flow_at_joints.py``: cosine 0.5-0.6 on
the exact flow), and the pose stage fits an error that neighbouring joints share as motion
(``flow_variants.py --read-at truth-signs``). A residual taken relative to the parent joint's,
r_n - r_parent(n) (:func:`flow_variants.flow_target_patched`), cancels the shared part: the flow then says how
each limb turns in the image, and nothing of how the whole body moves, which L_2D and L_3D keep.

Each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first) is refined
without flow, with the default, and with the relative L_opt on neighbouring frames, over ``--strides`` too, and
over ``--strides`` alone (``spans relative``: neighbouring frames absolute, as the default has them).

    python benchmarks/experiments/relative_flow.py [--strides 3,9,27] [--views ...] [--reference all|heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real import (  # noqa: E402
    baseline_runs,
    experiment_parser,
    print_mean_table,
    score_runs,
    tracked_pairs,
    with_spans,
)
from flow_variants import flow_target_patched  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.refinement.objective import flow_target  # noqa: E402


def main() -> None:
    """Refine every pair five ways and print each and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0], strides="3,9,27")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        row = baseline_runs(init, frames, config)
        spans = with_spans(config, args.strides)
        runs = (("relative", config, "all"), ("relative, spans", spans, "all"), ("spans relative", spans, "spans"))
        for label, run, relative in runs:
            with flow_target_patched(flow_target, relative):
                row[label] = refine(init, frames, config=run)
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
