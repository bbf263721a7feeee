"""Does L_3D's centre decide the synthetic figures through the simulator's oracle pelvis? Estimates placed as real ones.

The simulator (``flowpose/synth/noise.py``, eq. 3) puts each estimate's pelvis exactly on the true pelvis's viewing
ray: the pose's error is relative to a perfect root. Real estimators place their body by fitting all of it to the
image (MediaPipe through :func:`flowpose.estimate.placement.place_root`, weak-perspective networks through their
camera): on the real set MediaPipe's pelvis lies 52 mm from the truth across the ray, the centroid of its joints 34
(``benchmarks/RESULTS.md``, thirty-fifth session). Here each synthetic estimate is also moved, frame by frame and
across the ray only, so that the centroid of its joints lies on the ray of the truth's centroid (its depth kept;
its 2D keypoints, the estimator's own, left as they are): its pelvis then errs by the mean of its pose's error, as a
real one does. Each benchmark clip (all but the tuning clip, ``--profile``) is refined without flow (swaps repaired
by continuity, the 3% target's baseline) and with it, L_3D about the centroid (the default) and about the pelvis
(``PoseStageConfig.pose3d_centre="root"``), from the simulator's estimate and from the one placed as real ones are.

    python benchmarks/experiments/placed_estimates.py [--profile mediapipe] [--clips ...] [--cycles 3]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from l3d_centre import lateral_error_mm  # the same directory
from synth_set import evaluation_clips, rendered, synth_parser  # the same directory

from flowpose.bench.runner import flow_off_continuity, refine_history
from flowpose.config import RefineConfig, get_preset
from flowpose.synth.clip import SynthClip


def placed_as_real(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(T, 17, 3) camera-frame estimate moved across the ray so that the centroid of its joints lies on the ray of
    the truth's centroid, at its own depth (finite joints of both; frames without any kept as they are)."""
    out = estimate.copy()
    for t in range(len(estimate)):
        both = np.isfinite(estimate[t]).all(-1) & np.isfinite(truth[t]).all(-1)
        if not both.any():
            continue
        c_est, c_true = estimate[t, both].mean(0), truth[t, both].mean(0)
        out[t] += c_true * (c_est[2] / c_true[2]) - c_est
    return out


def main() -> None:
    """Refine every clip four ways from both placements and print the means."""
    p = synth_parser(__doc__)
    p.add_argument("--cycles", type=int, default=3)
    args = p.parse_args()
    base = replace(get_preset("fast"), cycles=args.cycles)
    rooted = replace(base, pose=replace(base.pose, pose3d_centre="root"))
    runs: dict[str, RefineConfig] = {
        "without flow, centroid": flow_off_continuity(base), "flowpose, centroid": base,
        "without flow, pelvis": flow_off_continuity(rooted), "flowpose, pelvis": rooted,
    }
    clips = evaluation_clips(args.clips)
    table: dict[str, list[tuple[float, float, float]]] = {}
    anchors: dict[str, list[tuple[float, float]]] = {"simulated": [], "placed as real": []}
    for clip in clips:
        synth = rendered(clip, args.profile, args)
        truth = synth.rendered.joints3d.astype(np.float64)
        simulated = np.asarray(synth.estimate.joints3d, np.float64)
        line = []
        for placement, joints in (("simulated", simulated), ("placed as real", placed_as_real(simulated, truth))):
            seen = np.isfinite(joints).all(-1)
            centroid = np.stack([joints[t, seen[t]].mean(0) for t in range(len(joints))])
            true_centroid = np.stack([truth[t, seen[t]].mean(0) for t in range(len(truth))])
            anchors[placement].append((lateral_error_mm(joints[:, 0], truth[:, 0]),
                                       lateral_error_mm(centroid, true_centroid)))
            clip_in = SynthClip(synth.rendered, synth.estimate.with_joints3d(joints.astype(np.float32)))
            for name, config in runs.items():
                m = refine_history(clip_in, config, seed=clip.seed(args.seed), device="cpu")[-1].metrics
                table.setdefault(f"{placement}: {name}", []).append((m["mpjpe"], m["pa_mpjpe"], m["accel_error"]))
                line.append(f"{placement[:6]} {name} {m['mpjpe']:.1f}")
        print(f"{clip.name}: " + ", ".join(line), flush=True)
    print(f"\n{args.profile}, {len(clips)} clips, {args.cycles} cycles; the estimate's pelvis and centroid across the "
          "ray from the truth's, median mm, mean over clips: " + "; ".join(
              f"{k} {np.mean([a[0] for a in v]):.1f} and {np.mean([a[1] for a in v]):.1f}" for k, v in anchors.items()))
    print("\n| estimate, run | MPJPE mm | PA-MPJPE mm | accel err mm/f² |\n|---|---|---|---|")
    for name, rows in table.items():
        m = np.mean(rows, axis=0)
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.2f} |")


if __name__ == "__main__":
    main()
