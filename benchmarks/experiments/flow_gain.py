"""Is the flow's lag what stops it paying? The same DIS flow scaled up by a constant gain, on the real set.

``chain_error.py`` and ``synth_flow_lag.py`` found that the DIS flow moves a fast body too little, by a share
that each step has and a chain keeps (a third to a half on the real set's man over 27 frames). If that lag is
what makes the long-range spans pull the estimate toward stillness, undoing it should let them pay. Here L_opt's
targets, F_t(p_t) between neighbouring frames and D^k_t(p_t) over each span, are multiplied by a gain g
(1: the default), with and without the spans. A constant gain is a crude undoing: it also scales the flow's
noise, and of the still joints' flow too. The gain is chosen here on the set that scores it: this is a test of
the diagnosis, not a method (each pair of the real set, ``bench_real.py --estimates tracked --everyone`` first).

    python benchmarks/experiments/flow_gain.py [--gains 1.25,1.5] [--strides 3,9] [--views ...] [--reference all|heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import (  # noqa: E402
    baseline_runs,
    experiment_parser,
    print_mean_table,
    score_runs,
    tracked_pairs,
    with_spans,
)

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.refinement import optimize  # noqa: E402
from flowpose.refinement.objective import flow_target  # noqa: E402


def scaled_target(gain: float):
    """A stand-in for :func:`flow_target` whose flow targets are ``gain`` times the flow's."""

    def target(X, problem, config, flow, backward=None):
        real = flow_target(X, problem, config, flow, backward)
        if real is None:
            return None
        chains = tuple(replace(c, displacement=gain * c.displacement) for c in real.chains)
        back = None if real.back_px is None else gain * real.back_px
        return replace(real, flow_px=gain * real.flow_px, back_px=back, chains=chains)

    return target


def main() -> None:
    """Refine every pair at each gain, with and without the spans, and print each and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0], strides="3,9")
    p.add_argument("--gains", default="1.25,1.5", help="flow gains besides 1, comma-separated")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    spans = with_spans(config, args.strides)
    results = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        row = {**baseline_runs(init, frames, config), "spans": refine(init, frames, config=spans)}
        for gain in (float(g) for g in args.gains.split(",")):
            with mock.patch.object(optimize, "flow_target", scaled_target(gain)):
                row[f"gain {gain:g}"] = refine(init, frames, config=config)
                row[f"gain {gain:g}, spans"] = refine(init, frames, config=spans)
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
