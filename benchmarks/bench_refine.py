"""Refinement benchmark: MPJPE and EPE per cycle on synthetic clips, against tuned smoothers, with ablations.

Clips are rendered from every shared mocap clip (``../shared/data/mocap``) with the ``metro`` and ``spin``
estimator profiles and cached under ``results/cache``; the smoothers are tuned on a held-out clip. Writes to
``--out`` (default ``results/bench_refine``): ``summary.md``, ``methods.csv``, ``cycles.csv``, ``results.json``
(everything, with config, git commit and machine) and ``cycles.png``; prints the Markdown summary. Also
scores the un-fine-tuned flow backends on the MPI-Sintel human frames (``benchmarks/bench_flow.py``).

The logic lives in :mod:`flowpose.bench`; this script only parses options.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_refine.py --quick            # ~2 minutes, smoke test
    python benchmarks/bench_refine.py --ablations                          # the README's tables
    python benchmarks/bench_refine.py --flow raft-small --flow-weights random --clips fair/dab,fair/zombie
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from flowpose.bench.plots import plot_cycles
from flowpose.bench.report import result_json, run_metadata, summary_markdown, write_csvs, write_json
from flowpose.bench.runner import SuiteConfig, run_suite
from flowpose.flow.registry import FLOW_BACKENDS
from flowpose.io.atomic import atomic_path

REPO = Path(__file__).resolve().parents[1]
QUICK = dict(clips=("cmu_3dsmax/jumping_jacks", "fair/wave_hello"), profiles=("metro",), frames=40, size=128, cycles=1)
"""The ``--quick`` smoke run (about two minutes on one CPU core)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared data folder")
    p.add_argument("--cache", type=Path, default=REPO / "results" / "cache", help="rendered-clip cache")
    p.add_argument("--out", type=Path, default=REPO / "results" / "bench_refine")
    p.add_argument("--clips", help="comma-separated clip names (default: all but the tuning clip)")
    p.add_argument("--profiles", default="metro,spin")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preset", default="fast")
    p.add_argument("--cycles", type=int, help="default: the preset's")
    p.add_argument("--flow", help="comma-separated flow backends (default: the preset's)")
    p.add_argument("--flow-weights", help="comma-separated weights per backend ('-' for the default)")
    p.add_argument("--ablations", action="store_true", help="also run each ablation (7x the time)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="2 clips, metro, 40 frames, 128 px, 1 cycle")
    p.add_argument("--no-sintel", action="store_true", help="skip the MPI-Sintel flow table")
    p.add_argument("--sintel-size", type=int, default=256, help="long side the networks see on Sintel")
    return p.parse_args(argv)


def suite_config(args: argparse.Namespace) -> SuiteConfig:
    """Options -> :class:`SuiteConfig` (``--quick`` overrides clips, profiles, frames, size and cycles)."""
    def split(s):
        return tuple(x for x in s.split(",") if x) if s else None
    weights = split(args.flow_weights)
    settings = dict(
        clips=split(args.clips), profiles=split(args.profiles), frames=args.frames, size=args.size,
        cycles=args.cycles,
    )
    if args.quick:
        settings.update(QUICK)
    return SuiteConfig(
        **settings, seed=args.seed, preset=args.preset, flow=split(args.flow),
        flow_weights=None if weights is None else tuple(None if w == "-" else w for w in weights),
        ablations=args.ablations, device=args.device,
    )


def sintel_table(args: argparse.Namespace, names: tuple[str, ...], weights: tuple[str | None, ...], passes: list[str]) -> tuple[str, list]:
    """EPE of the un-fine-tuned flow backends on the Sintel human frames, via ``bench_flow``."""
    import bench_flow  # the sibling script; this file is run as a script, so its folder is on sys.path

    root = args.shared / "data" / "sintel_human"
    rows = bench_flow.run_backend("zero", None, root, passes, None, 12, args.device)
    sizes = {"zero": "1024x436"}
    for name, w in zip(names, weights):
        work = args.sintel_size if FLOW_BACKENDS[name].takes_weights else None
        sizes[name] = "1024x436" if work is None else f"{work}x{round(436 * work / 1024)}, weights {w or 'default'}"
        rows += bench_flow.run_backend(name, w, root, passes, work, 12, args.device)
    return bench_flow.markdown(rows, sizes), rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the report, print the summary."""
    args = parse_args(argv)
    suite = suite_config(args)
    start = time.perf_counter()
    result = run_suite(suite, mocap_dir=args.shared / "data" / "mocap", cache_dir=args.cache)
    suite_seconds = time.perf_counter() - start
    sintel_md, sintel_rows = None, []
    if not args.no_sintel:
        cfg = result.refine.flow
        sintel_md, sintel_rows = sintel_table(args, cfg.names, cfg.weights, ["clean"] if args.quick else ["clean", "final"])
    meta = {**run_metadata(REPO), "command": sys.argv, "suite_seconds": suite_seconds,
            "total_seconds": time.perf_counter() - start}
    sintel_json = [dict(zip(("backend", "pass", "pair", "epe_all", "epe_valid", "seconds_per_pair"), r)) for r in sintel_rows]
    summary = summary_markdown(result, sintel=sintel_md)
    summary += f"\nSuite wall time {suite_seconds:.0f} s on {meta['processor']} ({meta['torch_threads']} torch threads).\n"
    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / "summary.md") as tmp:
        tmp.write_text(summary)
    write_csvs(result, args.out)
    write_json(args.out / "results.json", result_json(result, meta=meta, extra={"sintel": sintel_json}))
    plot_cycles(result, args.out / "cycles.png")
    print(summary)
    print(f"wrote {args.out}/summary.md, methods.csv, cycles.csv, results.json, cycles.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
