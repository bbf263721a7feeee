"""Tune the flow stage's fine-tuning (learning rate, epochs, frozen blocks) on the held-out tuning clip.

Runs the whole refinement with the ``fast`` preset on :data:`flowpose.bench.clips.TUNING_CLIP` (never evaluated
by ``bench_refine.py``) once per setting and prints, per cycle, MPJPE, acceleration error and the flow's EPE on
ground-truth human pixels and at the joints. A setting is ``LR:EPOCHS[:FROZEN+PREFIXES]``.

    python benchmarks/experiments/tune_finetune.py --frames 60 --cycles 3 1e-5:2 5e-5:2 1e-4:2
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from flowpose.api import refine
from flowpose.bench.clips import TUNING_CLIP, get_clips, tuning_clip
from flowpose.config import RefineConfig, get_preset

REPO = Path(__file__).resolve().parents[2]


def parse_setting(text: str, base: RefineConfig) -> RefineConfig:
    """``"1e-4:2"`` or ``"1e-4:2:fnet+cnet"`` -> ``base`` with that fine-tuning lr, epochs and frozen blocks."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise SystemExit(f"error: a setting is LR:EPOCHS[:FROZEN], got {text!r}")
    frozen = tuple(p for p in parts[2].split("+") if p) if len(parts) == 3 else ()
    finetune = replace(base.finetune, lr=float(parts[0]), epochs=int(parts[1]), freeze=frozen)
    return replace(base, finetune=finetune)


def main() -> None:
    """Parse options, render (or load) the tuning clip, run each setting and print its history."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("settings", nargs="+", help="LR:EPOCHS[:FROZEN+PREFIXES]")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    parser.add_argument("--profile", default="metro")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--preset", default="fast")
    args = parser.parse_args()

    clip = tuning_clip(args.shared / "data" / "mocap")
    synth = get_clips(clip, profiles=(args.profile,), frames=args.frames, size=args.size, seed=0,
                      cache_dir=args.cache)[args.profile]
    base = replace(get_preset(args.preset), cycles=args.cycles)
    print(f"{TUNING_CLIP}, {args.profile}, {args.frames} frames, {args.size} px, {args.preset} preset")
    print("setting        cycle  MPJPE mm  accel err  EPE human px  EPE joints px")
    for text in args.settings:
        start = time.perf_counter()
        result = refine(synth.estimate, synth.rendered.frames, config=parse_setting(text, base), gt=synth.gt)
        for record in result.history:
            m = record.metrics
            print(f"{text:14s} {record.cycle:5d} {m['mpjpe']:9.1f} {m['accel_error']:10.2f} "
                  f"{m['epe_human']:13.3f} {m['epe_sparse']:14.3f}")
        print(f"{text:14s} {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
