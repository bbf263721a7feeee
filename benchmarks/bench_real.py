"""The real-video benchmark: single-view refinement of each pose2sim camera against triangulated pseudo ground
truth (built by ``benchmarks/build_pose2sim_devset.py``; run that first).

For each view: the initial estimate (MediaPipe, placed with the calibrated K), the three smoothers (tuned on
the synthetic tuning clip with the ``mediapipe`` profile, never on this video), flowpose without any flow,
the same with swaps repaired by continuity, and full flowpose, all in one run. Scored on the frames where the
view's detector followed the triangulated person and every pseudo-ground-truth joint exists: MPJPE and
PA-MPJPE (mm), acceleration error (mm/frame^2, against the temporally filtered pseudo ground truth), swapped
limb-pair frames, and wall time. The pseudo ground truth has a floor of a few centimetres.

    python benchmarks/bench_real.py --cycles 3
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from flowpose.api import refine
from flowpose.bench.clips import get_clips, tuning_clip
from flowpose.bench.runner import NO_FLOW_RUNS, tune_baselines
from flowpose.config import get_preset
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.metrics import accel_error, mpjpe, pa_mpjpe, swapped_limbs
from flowpose.refinement.table import format_table

REPO = Path(__file__).resolve().parents[1]
VIDEOS = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson" / "videos"


def scores(joints: np.ndarray, gt: np.ndarray, keep: np.ndarray) -> dict[str, float]:
    """Metrics of (T, 17, 3) camera-frame joints against the pseudo ground truth on the ``keep`` frames."""
    j, g = joints[keep], gt[keep]
    return {
        "mpjpe": float(mpjpe(j, g)), "pa_mpjpe": float(pa_mpjpe(j, g)),
        "accel_error": float(accel_error(joints, gt)) if keep.all() else float(accel_error(j, g)),
        "swapped": float(swapped_limbs(j, g).sum()),
    }


def main() -> None:
    """Score every method on every view and print the table (also written to ``--out``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--videos", type=Path, default=VIDEOS)
    p.add_argument("--out", type=Path, default=REPO / "results" / "bench_real")
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--preset", default="fast")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    config = replace(get_preset(args.preset), cycles=args.cycles)
    tuning = get_clips(tuning_clip(REPO.parent / "shared" / "data" / "mocap"), profiles=("mediapipe",), frames=100,
                       size=256, seed=0, cache_dir=REPO / "results" / "cache")["mediapipe"]
    smoothers = {name: t.spec for name, t in tune_baselines(tuning).items()}
    with np.load(args.devset / "pseudo_gt.npz") as d:
        world, valid = d["joints3d_world"].astype(np.float64), d["valid"]
    rows, per_view = [], {}
    for _v, view in enumerate(args.views.split(",")):
        init = load_poses(args.devset / f"{view}.poses.npz")
        with np.load(args.devset / f"{view}.camera.npz") as c:
            R, t = c["R"], c["t"]
        gt = world @ R.T + t
        keep = valid[:, int(view[-2:]) - 1] & np.isfinite(gt).all((1, 2)) & np.isfinite(init.joints3d).all((1, 2))
        with open_video(args.videos / f"{view}.mp4") as reader:
            frames = reader.read()
        methods: dict[str, dict[str, float]] = {"estimate": scores(init.joints3d, gt, keep)}
        for name, spec in smoothers.items():
            methods[name] = scores(spec.apply(init.joints3d, init.fps), gt, keep)
        for name, change in [*NO_FLOW_RUNS.items(), ("flowpose", lambda c: c)]:
            start = time.perf_counter()
            result = refine(init, frames, config=change(config))
            methods[name] = {**scores(result.poses.joints3d, gt, keep), "seconds": time.perf_counter() - start}
            methods[name]["repaired"] = result.history[0].metrics.get("swaps_repaired", 0.0)
        per_view[view] = {"frames_scored": int(keep.sum()), "methods": methods}
        for name, m in methods.items():
            rows.append([view, name, f"{m['mpjpe']:.1f}", f"{m['pa_mpjpe']:.1f}", f"{m['accel_error']:.2f}",
                         f"{m['swapped']:.0f}", f"{m.get('seconds', float('nan')):.1f}"])
        print(f"{view}: {int(keep.sum())} frames scored; " + ", ".join(f"{n} {m['mpjpe']:.1f}" for n, m in methods.items()),
              flush=True)
    names = list(next(iter(per_view.values()))["methods"])
    for name in names:
        ms = [pv["methods"][name] for pv in per_view.values()]
        mean = {k: float(np.mean([m[k] for m in ms])) for k in ("mpjpe", "pa_mpjpe", "accel_error", "swapped")}
        secs = [m["seconds"] for m in ms if "seconds" in m]
        rows.append(["mean", name, f"{mean['mpjpe']:.1f}", f"{mean['pa_mpjpe']:.1f}", f"{mean['accel_error']:.2f}",
                     f"{mean['swapped']:.1f}", f"{np.mean(secs):.1f}" if secs else "-"])
    headers = ["view", "method", "MPJPE mm", "PA-MPJPE mm", "accel err mm/f²", "swapped frames", "seconds"]
    table = format_table(headers, rows)
    print(table)
    (args.out / "table.txt").write_text(table + "\n")
    (args.out / "results.json").write_text(json.dumps({"config": args.preset, "cycles": args.cycles,
                                                        "smoothers": {k: str(s) for k, s in smoothers.items()},
                                                        "views": per_view}, indent=1))


if __name__ == "__main__":
    main()
