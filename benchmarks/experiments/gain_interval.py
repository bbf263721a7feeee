"""How sure is the flow term's gain on the real set? Bootstrap intervals against the same run without flow.

The real set is 8 view-person pairs of one 100-frame clip, and its targets are a few millimetres apart: the
flow term's gain (−1.9% MPJPE against the 3% target) and the spans' (twelfth session). This experiment refines
each pair without flow, with the default and with long-range spans (``--strides``), scores every run against
both pseudo ground truths (``people_gt.npz``, from every view, and ``people_gt.heldout.npz``, without the scored
view; ``build_pose2sim_heldout.py`` first), and gives each run's gain against the run without flow,

    gain = mean error of the run / mean error without flow - 1     (mean over the pairs of each pair's mean)

with two 95% bootstrap intervals (``--resamples`` draws, percentile intervals):

- *frames*: within each pair, the scored frames drawn again in blocks of ``--block`` consecutive frames (a
  moving-block bootstrap: neighbouring frames' errors are not independent), the 8 pairs kept. How much the
  figure would move on another stretch of the same scenes.
- *pairs*: the 8 pairs drawn again, each with all its frames. How much it would move with other people and
  views like these. With 8 pairs, 2 people and one clip, this one is the wider and the more honest.

Errors are ``bench_real.py``'s: root-aligned, over the joints the reference has (never the head), MPJPE and
PA-MPJPE (per-frame Procrustes) per joint and frame, mm.

    python benchmarks/experiments/gain_interval.py [--strides 3,9] [--resamples 2000] [--block 10] [--views ...]

With ``--synthetic METHODS_CSV`` (``bench_refine.py``'s ``methods.csv``) it refines nothing and gives the same gains
on the synthetic clips instead, each method against ``flow_off_continuity`` (the issue's baseline there: the flow
term off, swaps repaired by continuity), with an interval over the clips drawn again.

    python benchmarks/bench_refine.py --profiles mediapipe --frames 100 --size 256 --cycles 3 --out DIR --no-sintel
    python benchmarks/experiments/gain_interval.py --synthetic DIR/methods.csv
"""

from __future__ import annotations

import csv
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import HEAD, experiment_parser, heldout_references, in_view, tracked_pairs, with_spans  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.metrics import pa_mpjpe  # noqa: E402

BASELINE = "without flow"


def frame_errors(joints: np.ndarray, gt: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """(2, n, 16) mm: root-aligned MPJPE and PA-MPJPE errors of (T, 17, 3) camera-frame joints against the
    reference on its n ``keep`` frames, per joint (never the head; NaN where the reference lacks the joint)."""
    scored = [k for k in range(17) if k != HEAD]
    rel_j, rel_g = (joints - joints[:, :1])[keep][:, scored], (gt - gt[:, :1])[keep][:, scored]
    rel_j = np.where(np.isfinite(rel_g), rel_j, np.nan)
    return np.stack([1000.0 * np.linalg.norm(rel_j - rel_g, axis=-1), pa_mpjpe(rel_j, rel_g, reduction="none")])


def block_draw(n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) frame indices of a moving-block bootstrap draw: blocks of ``block`` consecutive frames from random
    starts, joined and cut to n."""
    block = min(block, n)
    starts = rng.integers(0, n - block + 1, size=-(-n // block))
    return (starts[:, None] + np.arange(block)).ravel()[:n]


def gains(errors: list[dict[str, np.ndarray]], draws: list[np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Each run's (2,) gain (MPJPE, PA-MPJPE) against :data:`BASELINE` from per-pair errors (run -> (2, n, 16)),
    each pair's frames taken as ``draws`` gives them (all where None)."""
    means = {}
    for run in errors[0]:
        per_pair = [np.nanmean((e[run] if draws is None else e[run][:, d]).reshape(2, -1), axis=1)
                    for e, d in zip(errors, draws or [None] * len(errors))]
        means[run] = np.mean(per_pair, axis=0)
    return {run: m / means[BASELINE] - 1.0 for run, m in means.items() if run != BASELINE}


def synthetic_intervals(methods_csv: Path, resamples: int, rng: np.random.Generator) -> None:
    """Print each method's MPJPE and PA-MPJPE gain against ``flow_off_continuity`` over the clips of
    ``bench_refine.py``'s ``methods.csv`` (mean over the clips), with a 95% interval over the clips drawn again."""
    with open(methods_csv, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["clip"] != "mean"]  # the file's own mean rows
    clips = sorted({r["clip"] for r in rows})
    table = {(r["clip"], r["method"]): (float(r["mpjpe"]), float(r["pa_mpjpe"])) for r in rows}
    methods = [m for m in dict.fromkeys(r["method"] for r in rows) if m != "flow_off_continuity"]
    base = np.array([table[c, "flow_off_continuity"] for c in clips])  # (C, 2)
    print(f"\nGain against flow_off_continuity, mean of {len(clips)} clips, 95% interval over the clips "
          f"({resamples} draws)\n")
    print("| method | MPJPE gain | interval | PA-MPJPE gain | interval |\n|---|---|---|---|---|")
    draws = rng.integers(0, len(clips), size=(resamples, len(clips)))
    for method in methods:
        run = np.array([table[c, method] for c in clips])
        point = run.mean(0) / base.mean(0) - 1.0
        boot = run[draws].mean(1) / base[draws].mean(1) - 1.0  # (resamples, 2)
        lo, hi = np.percentile(boot, [2.5, 97.5], axis=0) * 100
        print(f"| {method} | {point[0] * 100:+.1f}% | {lo[0]:+.1f}% to {hi[0]:+.1f}% | {point[1] * 100:+.1f}% | "
              f"{lo[1]:+.1f}% to {hi[1]:+.1f}% |")


def main() -> None:
    """Refine every pair three ways, score against both references, print the gains and their intervals."""
    p = experiment_parser(__doc__.split("\n\n")[0], strides="3,9", reference=False)
    p.add_argument("--resamples", type=int, default=2000, help="bootstrap draws")
    p.add_argument("--block", type=int, default=10, help="frames per block of the frame bootstrap")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap draws")
    p.add_argument("--synthetic", type=Path, default=None,
                   help="bench_refine.py's methods.csv: intervals over its clips instead (no refinement)")
    args = p.parse_args()
    if args.synthetic is not None:
        synthetic_intervals(args.synthetic, args.resamples, np.random.default_rng(args.seed))
        return
    config = replace(get_preset("fast"), cycles=args.cycles)
    spans = f"spans {args.strides.replace(',', ', ')}"
    changes = {BASELINE: NO_FLOW_RUNS["flow_off"], "flowpose": lambda c: c, spans: lambda c: with_spans(c, args.strides)}
    per_reference: dict[str, list[dict[str, np.ndarray]]] = {"all": [], "heldout": []}
    heldout = heldout_references(args.devset)
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views):
        view, person = name.split("/")
        with np.load(args.devset / f"{view}.camera.npz") as c:
            gt_h, keep_h = in_view(heldout[view][int(person[1:])], c["R"], c["t"], init.conf.max(-1) > 0)
        outputs = {run: refine(init, frames, config=change(config)).poses.joints3d for run, change in changes.items()}
        for reference, (g, k) in {"all": (gt, keep), "heldout": (gt_h, keep_h)}.items():
            per_reference[reference].append({run: frame_errors(j, g, k) for run, j in outputs.items()})
        row = per_reference["all"][-1]
        print(f"{name}: " + ", ".join(f"{run} {np.nanmean(e[0]):.1f}" for run, e in row.items()), flush=True)
    rng = np.random.default_rng(args.seed)
    print(f"\nGain against {BASELINE}, mean of {len(per_reference['all'])} view-person pairs, 95% bootstrap intervals "
          f"({args.resamples} draws; frames in blocks of {args.block})\n")
    print("| reference | run | MPJPE | frames | pairs | PA-MPJPE | frames | pairs |\n|---|---|---|---|---|---|---|---|")
    for reference, errors in per_reference.items():
        point = gains(errors)
        by_frames = [gains(errors, [block_draw(e[BASELINE].shape[1], args.block, rng) for e in errors])
                     for _ in range(args.resamples)]
        by_pairs = [gains([errors[i] for i in rng.integers(0, len(errors), len(errors))])
                    for _ in range(args.resamples)]
        for run, g in point.items():
            cells = []
            for m in range(2):
                lo_f, hi_f = np.percentile([d[run][m] for d in by_frames], [2.5, 97.5]) * 100
                lo_p, hi_p = np.percentile([d[run][m] for d in by_pairs], [2.5, 97.5]) * 100
                cells += [f"{g[m] * 100:+.1f}%", f"{lo_f:+.1f}% to {hi_f:+.1f}%", f"{lo_p:+.1f}% to {hi_p:+.1f}%"]
            print(f"| {reference} | {run} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
