"""Refinement speed and memory: seconds per stage and per frame, the ratio of a full refinement to one plain
inference pass of the same flow backend (DIS, raft-small and raft, measured in the same run, at the working crop
size), and the peak memory of 1,000-frame videos (pose stage alone with a crop flow field; flow inference on a
lazily read video), each measured in a fresh process.

Networks run with random weights unless ``--weights`` is given: the checkpoints cannot be downloaded on a
machine without network access, and the timing of a network does not depend on its weights. Writes
``results/bench_speed/speed.json`` and ``speed.md`` and prints the Markdown.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_speed.py [--clip fair/dab] [--frames 100] [--size 256]
        [--cycles 3] [--backends dis,raft-small] [--memory-frames 1000] [--skip-memory] [--memory-jobs refine]
        [--refine-part-frames 600] [--refine-without-flow] [--memory-jobs smpl --smpl-rings 36 --smpl-layout smpl]

The refine memory jobs (``refine``, and ``smpl`` for ``refine --smpl``) also print what ``refine`` foresees before it
starts (``flowpose.refinement.memory``, ``flowpose.body.memory``), beside the growth it measured.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flowpose.bench.clips import discover_clips, get_clips, split_clips
from flowpose.bench.report import jsonable, run_metadata, write_json
from flowpose.bench.speed import (
    STAGES,
    flow_memory_job,
    in_fresh_process,
    pose_stage_memory_job,
    refine_memory_job,
    refinement_speed,
    smpl_memory_job,
)
from flowpose.config import get_preset, with_cycles
from flowpose.flow.registry import FLOW_BACKENDS
from flowpose.io.atomic import atomic_path
from flowpose.refinement.table import format_table

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    p.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    p.add_argument("--out", type=Path, default=REPO / "results" / "bench_speed")
    p.add_argument("--clip", default="fair/dab")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--preset", default="fast")
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--backends", default="dis,raft-small")
    p.add_argument("--weights", action="append", default=[], metavar="NAME=PATH", help="default: random init")
    p.add_argument("--memory-frames", type=int, default=1000)
    p.add_argument("--memory-size", type=int, default=128, help="frame side of the lazily read video, px")
    p.add_argument("--memory-flow", default="dis", help="backend of the flow-memory job")
    p.add_argument("--pose-steps", type=int, help="cap the pose stage's iterations in the memory job")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--memory-jobs", default="pose,flow,refine",
                   help="the memory jobs to run, comma-separated, of pose, flow, refine and smpl (refine --smpl on "
                   "the generated stand-in model)")
    p.add_argument("--smpl-rings", type=int, default=36,
                   help="the smpl job's stand-in: rings per bone (SMPL: 36 gives 6,816 vertices, about SMPL's 6,890; 3: "
                   "744. SMPL-X: 24 gives 10,808, about SMPL-X's 10,475)")
    p.add_argument("--smpl-layout", choices=("smpl", "smplx"), default="smpl", help="the smpl job's stand-in model")
    p.add_argument("--refine-part-frames", default="",
                   help="also the refine and smpl memory jobs in parts of these many frames (comma-separated; "
                   "--part-frames)")
    p.add_argument("--refine-without-flow", action="store_true",
                   help="also the refine memory jobs in parts with the flow not kept (the CLI without --viz)")
    p.add_argument("--refine-memory-cycles", type=int, default=3,
                   help="cycles of the whole-refinement memory job (its caches do not grow with cycles)")
    p.add_argument("--device", default="cpu")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure, write, print."""
    args = parse_args(argv)
    weights = dict(w.split("=", 1) for w in args.weights)
    config = with_cycles(get_preset(args.preset), args.cycles)
    _, clips = split_clips(discover_clips(args.shared / "data" / "mocap"), select=[args.clip])
    clip = get_clips(clips[0], profiles=["metro"], frames=args.frames, size=args.size, seed=0, cache_dir=args.cache)["metro"]

    speed = []
    for backend in [b for b in args.backends.split(",") if b]:
        default = "random" if FLOW_BACKENDS[backend].takes_weights else None
        row = refinement_speed(clip, config, backend=backend, weights=weights.get(backend, default), device=args.device)
        speed.append(row)
        print(f"done: {backend} ({row['refine_seconds']:.0f} s)", file=sys.stderr, flush=True)
    headers = ["backend", "frames", "crop", *[f"s {s}" for s in STAGES], "refine s", "refine s/frame",
               "1 pass s", "1 pass s/frame", "ratio"]
    rows = [[r["backend"], str(r["frames"]), str(r["work_size"]), *[f"{r['stage_seconds'][s]:.1f}" for s in STAGES],
             f"{r['refine_seconds']:.1f}", f"{r['refine_s_per_frame']:.3f}", f"{r['plain_seconds']:.2f}",
             f"{r['plain_s_per_frame']:.4f}", f"{r['ratio']:.0f}x"] for r in speed]
    md = "" if not speed else (f"## Speed: {args.clip}, {args.size}x{args.size}, preset `{args.preset}`, {args.cycles} cycles\n\n"
          + format_table(headers, rows, markdown=True))

    memory = []
    if not args.skip_memory:
        jobs = set(args.memory_jobs.split(","))
        if "pose" in jobs:
            memory.append(in_fresh_process(
                pose_stage_memory_job, str(clips[0].path), args.memory_frames, args.size, args.preset, args.pose_steps
            ))
        if "flow" in jobs:
            memory.append(in_fresh_process(
                flow_memory_job, args.memory_frames, args.memory_size, args.memory_flow,
                weights.get(args.memory_flow, "random" if FLOW_BACKENDS[args.memory_flow].takes_weights else None),
                config.flow.iters,
            ))
        if "refine" in jobs:
            parted = [int(n) for n in args.refine_part_frames.split(",") if n]
            runs = [(n, True) for n in [None] + parted] + [(n, False) for n in parted if args.refine_without_flow]
            for part_frames, keep_flow in runs:
                memory.append(in_fresh_process(
                    refine_memory_job, str(clips[0].path), args.memory_frames, args.size, args.preset,
                    args.refine_memory_cycles, part_frames, keep_flow,
                ))
        if "smpl" in jobs:
            for part_frames in [None] + [int(n) for n in args.refine_part_frames.split(",") if n]:
                memory.append(in_fresh_process(smpl_memory_job, args.memory_frames, args.size, args.preset,
                                               args.smpl_rings, args.smpl_layout, part_frames))
        mrows = [[m["job"], str(m["frames"]), f"{m['seconds']:.0f}", f"{m['flow_mb']:.0f}", f"{m['rss_start_mb']:.0f}",
                  f"{m['rss_peak_mb']:.0f}", f"{m['rss_peak_mb'] - m['rss_start_mb']:.0f}",
                  f"{m['foreseen_mb']:.0f}" if "foreseen_mb" in m else "-", f"{m['tracemalloc_peak_mb']:.0f}"]
                 for m in memory]
        md += "\n\n## Peak memory (fresh process per job)\n\n" + format_table(
            ["job", "frames", "s", "flow MB", "RSS at start MB", "peak RSS MB", "growth MB", "foreseen growth MB",
             "tracemalloc peak MB"], mrows, markdown=True
        ) + ("\n\nforeseen growth: what `refine` estimates before it starts (flowpose.refinement.memory), to warn where "
             "the machine has less available, plus the decoded frames it holds by then (a video of up to 2 GB).")
    meta = run_metadata(REPO)
    md += f"\n\n{meta['processor']}, {meta['torch_threads']} torch threads, torch {meta['torch']}.\n"
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "speed.json", jsonable({"args": vars(args), "meta": meta, "speed": speed, "memory": memory}))
    with atomic_path(args.out / "speed.md") as tmp:
        tmp.write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
