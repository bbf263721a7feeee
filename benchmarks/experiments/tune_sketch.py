"""Choose the sketch's trust model on the held-out tuning clip by the error of the fine-tuning target.

Fine-tuning pulls the network toward ``target = (1 - W) F + W S`` (``flowpose/refinement/sketch.py``), so the
target's EPE on ground-truth human pixels bounds what a cycle can reach, and it costs one flow pass instead of
a fine-tuning run per setting. For :data:`flowpose.bench.clips.TUNING_CLIP` (never evaluated by
``bench_refine.py``) this prints the network flow's EPE, then, per sketch setting, the target's EPE when the
sketch is drawn from the initial estimate (cycle 1) and from the flow-free pose-stage fit (later cycles), with
the mean W over drawn pixels and the fraction of grid pixels drawn.

A setting is ``NAME=FIELD:VALUE,FIELD:VALUE`` over :class:`~flowpose.refinement.sketch.SketchConfig` fields
(``falloff``, ``max_weight``, ``network_veto``, ``motion_trust_px``, ``core_fraction``, ...).

    python benchmarks/experiments/tune_sketch.py --profile metro \\
        "seed-like=falloff:cosine,max_weight:0.9,network_veto:0.5" "flat=falloff:none,max_weight:1,network_veto:0"
"""

from __future__ import annotations

import argparse
from dataclasses import fields, replace
from pathlib import Path

from flowpose.bench.clips import TUNING_CLIP, get_clips, tuning_clip
from flowpose.config import get_preset
from flowpose.flow.registry import load_flow_model
from flowpose.refinement.evaluate import flow_metrics
from flowpose.refinement.flow_stage import FlowStage
from flowpose.refinement.loop import crop_boxes, pose_stage_config
from flowpose.refinement.optimize import optimize_poses
from flowpose.refinement.sketch import SketchConfig, compose_target, sketch_bone_motion

REPO = Path(__file__).resolve().parents[2]


def parse_setting(text: str, base: SketchConfig) -> tuple[str, SketchConfig]:
    """``"flat=falloff:none,max_weight:1"`` -> ("flat", ``base`` with those fields)."""
    name, _, body = text.partition("=")
    types = {f.name: f.type for f in fields(SketchConfig)}
    changes: dict[str, object] = {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition(":")
        if key not in types or key == "limb_radius_m":
            raise SystemExit(f"error: unknown or unsupported SketchConfig field {key!r} in {text!r}")
        changes[key] = value if key == "falloff" else float(value)
    return name or text, replace(base, **changes)


def main() -> None:
    """Parse options, compute the tuning clip's network flow once, and print each setting's target EPE."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("settings", nargs="+", help="NAME=FIELD:VALUE,...")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    parser.add_argument("--profile", default="metro")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--preset", default="fast")
    args = parser.parse_args()

    clip = tuning_clip(args.shared / "data" / "mocap")
    synth = get_clips(clip, profiles=(args.profile,), frames=args.frames, size=args.size, seed=0,
                      cache_dir=args.cache)[args.profile]
    config = get_preset(args.preset)
    init, frames, gt = synth.estimate, synth.rendered.frames, synth.gt
    model = load_flow_model(config.flow.names[0], config.flow.weights[0])
    flow = FlowStage([model], frames, crop_boxes(init, frames.shape[1:3], config), config).initial()
    fitted = init.with_joints3d(optimize_poses(init, None, pose_stage_config(init, frames.shape[1:3], config)).joints3d)
    print(f"{TUNING_CLIP}, {args.profile}, {args.frames} frames, {args.size} px, {args.preset} preset")
    print(f"network flow: EPE human {flow_metrics(flow, gt)['epe_human']:.3f} px")
    print("setting                poses      target EPE human px  mean W  drawn")
    for text in args.settings:
        name, sketch_config = parse_setting(text, config.sketch)
        for label, poses in (("initial", init), ("fitted", fitted)):
            sketch = sketch_bone_motion(poses.joints3d, poses.K, init.confidence(), flow, config=sketch_config)
            epe = flow_metrics(compose_target(flow, sketch), gt)["epe_human"]
            drawn = sketch.weight > 0
            print(f"{name:22s} {label:10s} {epe:20.3f} {sketch.weight[drawn].mean():7.2f} {drawn.mean():6.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
