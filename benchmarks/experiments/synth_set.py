"""The synthetic clips a synthetic experiment runs on: its common options, and the clips they name.

Each experiment renders the shared CMU motion-capture clips (all but the tuning clip, or ``--clips``) as
``bench_refine.py`` does, through its cache in ``results/cache``, and simulates one estimator profile on them.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from flowpose.bench.clips import BenchClip, discover_clips, get_clips, split_clips
from flowpose.synth.clip import SynthClip
from flowpose.synth.noise import PROFILES, EstimatorProfile

REPO = Path(__file__).resolve().parents[2]


def synth_parser(description: str, frames: int = 100, profile: bool = True) -> argparse.ArgumentParser:
    """The argument parser of a synthetic experiment: ``--clips``, ``--profile`` (unless ``profile`` is False: an
    experiment that takes several), ``--frames`` (default ``frames``), ``--size``, ``--seed`` and ``--pitch`` (the
    camera looking down, degrees; 0: level). ``description``: the script's docstring, shown as written."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", default=None, help="comma-separated clip names (default: all but the tuning clip)")
    if profile:
        p.add_argument("--profile", default="mediapipe")
    p.add_argument("--frames", type=int, default=frames)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pitch", type=float, default=0.0, help="the camera looking down, degrees (0: level)")
    return p


def evaluation_clips(names: str | None) -> list[BenchClip]:
    """The clips named (comma-separated, in this order), or every clip but the tuning clip when ``names`` is None."""
    _, clips = split_clips(discover_clips(REPO.parent / "shared" / "data" / "mocap"),
                           select=tuple(names.split(",")) if names else None)
    return clips


def rendered(clip: BenchClip, profile: str, args: argparse.Namespace) -> SynthClip:
    """``clip`` rendered at ``args.frames`` frames of ``args.size`` px with ``args.seed``, the camera pitched down by
    ``args.pitch`` degrees, its estimate simulated with ``profile``; from the benchmark's cache where it holds it."""
    return get_clips(clip, profiles=(profile,), frames=args.frames, size=args.size, seed=args.seed,
                     cache_dir=REPO / "results" / "cache", pitch_deg=args.pitch)[profile]


def changed_profile(name: str, spec: str) -> EstimatorProfile:
    """The profile ``name`` with the fields ``spec`` names changed (``FIELD=VALUE,...``; numbers, 0 or 1 for flags):
    a candidate recalibration, tried without changing the package."""
    base = PROFILES[name]
    changes = {k: type(getattr(base, k))(float(v)) for k, v in (item.split("=") for item in spec.split(",") if item)}
    return replace(base, **changes)
