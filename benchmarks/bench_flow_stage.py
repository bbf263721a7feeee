"""The flow stage's cost levers, one at a time, on the held-out tuning clip (never used by bench_refine.py).

Each variant runs the whole refinement (``fast`` preset, 3 cycles) on the same clip in this one process, and
prints its wall time, the time of a run with no cycles (measured in the same process), their ratio, and the
accuracy: MPJPE, acceleration error, human-pixel EPE before and after the cycles.

    python benchmarks/bench_flow_stage.py --frames 60 --variants plain cached warm pairs raft_fast dis_start default
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from flowpose.api import refine
from flowpose.bench.clips import TUNING_CLIP, get_clips, tuning_clip
from flowpose.config import RefineConfig, get_preset

REPO = Path(__file__).resolve().parents[1]


def variants(base: RefineConfig) -> dict[str, RefineConfig]:
    """The network levers on the embedded RAFT-small, cumulatively: plain (encoders run at every step), cached
    encoders, warm starts, chosen pairs (``raft_fast``: the ``fast`` preset with ``--flow raft-small``, the
    default until the fifth session); ``raft_fast`` with F_0 started from DIS (``dis_start``); and the shipped
    default ``base`` (``default``: OpenCV DIS, nothing fine-tuned)."""
    net = replace(base, flow=replace(base.flow, names=("raft-small",), weights=(None,)))
    plain_flow = replace(net.flow, cache_encoders=False, warm_iters=None)
    plain_ft = replace(net.finetune, warm_start=False, iters=8, pair_fraction=1.0, epochs=2)
    plain = replace(net, flow=plain_flow, finetune=plain_ft)
    cached = replace(plain, flow=replace(plain_flow, cache_encoders=True))
    warm = replace(
        cached, flow=replace(cached.flow, warm_iters=3), finetune=replace(plain_ft, warm_start=True, iters=3)
    )
    pairs = replace(warm, finetune=replace(warm.finetune, pair_fraction=0.5))
    out = {"plain": plain, "cached": cached, "warm": warm, "pairs": pairs, "raft_fast": net, "default": base}
    out["dis_start"] = replace(net, flow=replace(net.flow, start="dis"))
    out["cached_warminfer"] = replace(cached, flow=replace(cached.flow, warm_iters=3))
    out["warmtrain_coldinfer"] = replace(warm, flow=replace(warm.flow, warm_iters=None))
    out["warm_e4_p05"] = replace(pairs, finetune=replace(pairs.finetune, epochs=4))
    for lr in (3e-4, 1e-3):  # the update block alone takes a larger step
        out[f"warm_lr{lr:g}"] = replace(warm, finetune=replace(warm.finetune, lr=lr))
        out[f"pairs_lr{lr:g}"] = replace(pairs, finetune=replace(pairs.finetune, lr=lr))
    return out


def main() -> None:
    """Render (or load) the tuning clip, run each variant and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=["plain", "cached", "warm", "pairs", "raft_fast", "dis_start", "default"])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    parser.add_argument("--profile", default="metro")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    clip = tuning_clip(args.shared / "data" / "mocap")
    synth = get_clips(clip, profiles=(args.profile,), frames=args.frames, size=args.size, seed=0,
                      cache_dir=args.cache)[args.profile]
    base = replace(get_preset("fast"), cycles=args.cycles)
    table = variants(base)

    def run(config: RefineConfig) -> tuple[float, list]:
        start = time.perf_counter()
        result = refine(synth.estimate, synth.rendered.frames, config=config, gt=synth.gt)
        return time.perf_counter() - start, result.history

    print(f"{TUNING_CLIP}, {args.profile}, {args.frames} frames, {args.size} px, fast preset, {args.cycles} cycles")
    zeros = {}  # the run with no cycles, per flow backend: each variant's ratio is to its own backend's
    for names in sorted({table[name].flow.names for name in args.variants}):
        zeros[names], history0 = run(replace(base, flow=replace(base.flow, names=names), cycles=0))
        m0 = history0[0].metrics
        print(f"cycles 0, {'+'.join(names)}: {zeros[names]:.1f} s, MPJPE {m0['mpjpe']:.1f} mm, "
              f"EPE human {m0['epe_human']:.3f} px")
    print("variant     seconds  ratio_to_c0  MPJPE mm  PA-MPJPE mm  accel err  EPE human px  finetune s  infer s")
    for name in args.variants:
        seconds, history = run(table[name])
        m = history[-1].metrics
        ft = sum(r.seconds.get("finetune", 0.0) for r in history)
        inf = sum(r.seconds.get("flow_inference", 0.0) for r in history)
        ratio = seconds / zeros[table[name].flow.names]
        print(f"{name:10s} {seconds:8.1f} {ratio:12.2f} {m['mpjpe']:9.1f} {m['pa_mpjpe']:12.1f} "
              f"{m['accel_error']:10.2f} {m['epe_human']:13.3f} {ft:11.1f} {inf:8.1f}", flush=True)

if __name__ == "__main__":
    main()
