"""How much refinement without flow takes off a simulated profile, and how much of the estimate's orientation error
its 2D carries.

Refinement without flow lowers MPJPE on the real set by 12.5% (held out 13.5%) and PA-MPJPE by 3-4%. Until the
thirty-eighth session the ``mediapipe`` profile's 2D keypoints carried none of the estimate's global orientation
error, and refinement took 27% off: the pose stage fits the 3D to the 2D and so took the orientation error out,
which a real estimator's 2D does not allow. The profile now gives its 2D a share of it (``kp_orient_share``).

This reruns the profile with its 2D given each share kappa of ``--shares`` (default: the profile's own; ``seen = s +
kappa * (pose - s)``, ``s`` the articulated pose the 2D sees without the orientation error, ``pose`` the one with
it; the same draws otherwise), and prints, mean over the clips, the estimate's MPJPE and PA-MPJPE (unchanged by
kappa: only the 2D changes), its 2D error (mean and median distance over the person's height, as
``calibrate_noise.py`` and DATA.md give it: real MediaPipe 3.6%), and flowpose without flow (swaps repaired by
continuity, the README's baseline; MPJPE and PA-MPJPE) with its change from the estimate. A second table splits the
error of the estimate and of the run without flow as ``real_error_parts.py`` splits the real set's (bias, noise;
the noise in the image plane, slow and fast, and in depth; the pelvis, exact by construction, left out), with the
slow part smoothed over :data:`SLOW_FRAMES` frames (the real set's 10 at 60 fps).

``--set field=value,...`` changes fields of the profile (e.g. ``orient_shake_deg=6,bone_keep=0.5,kp_scale=0``) for
every row: a candidate recalibration, tried without changing the package (and its cached clips);
``gross_rate_hz=0`` leaves out the swaps and flips, as on the real set, whose estimate swaps in under 1 frame a
pair. Before the thirty-eighth session the 2D's share and a 3D-only image-plane jitter were patched in here
(``--jitter3d-mm``, with other draws); the share is now a profile field, the jitter was tried and replaced (RESULTS.md).

    python benchmarks/experiments/simulator_gain.py [--shares 0,0.3,0.6,1] [--set FIELD=VALUE,...] [--clips ...]
        [--profile mediapipe]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from real_error_parts import split_error  # the same directory
from synth_set import changed_profile, evaluation_clips, rendered, synth_parser

from flowpose import metrics
from flowpose.api import refine
from flowpose.bench.clips import synth_config
from flowpose.bench.runner import flow_off_continuity
from flowpose.config import get_preset
from flowpose.synth import noise

SLOW_FRAMES = 5.0
"""Sigma of the Gaussian that separates slow from fast noise, frames at the clips' 30 fps (about 170 ms)."""


def parts(joints: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """:func:`real_error_parts.split_error` (mm) of (T, 17, 3) joints against the truth, root-aligned, without the
    pelvis, slow noise at :data:`SLOW_FRAMES`."""
    return split_error(((joints - joints[:, :1]) - (gt - gt[:, :1]))[:, 1:].astype(np.float64), sigma=SLOW_FRAMES)


def main() -> None:
    """Simulate, refine and score every clip at every share; print the means."""
    p = synth_parser(__doc__)
    p.add_argument("--shares", default="", help="kappa, comma-separated (default: the profile's kp_orient_share)")
    p.add_argument("--set", default="", help="profile fields changed, FIELD=VALUE,... (numbers; 0 or 1 for flags)")
    args = p.parse_args()
    base, profile = noise.PROFILES[args.profile], changed_profile(args.profile, args.set)
    shares = [float(k) for k in args.shares.split(",")] if args.shares else [profile.kp_orient_share]
    config = flow_off_continuity(replace(get_preset("fast"), cycles=1))  # no flow: later cycles repeat the first
    rows: dict[float, list[tuple[float, ...]]] = {k: [] for k in shares}
    split: dict[str, list[np.ndarray]] = {}
    swaps: list[float] = []
    for clip in evaluation_clips(args.clips):
        synth = rendered(clip, args.profile, args)
        cfg = synth_config(clip, profile=args.profile, frames=args.frames, size=args.size, seed=args.seed)
        gt = synth.gt
        height = noise.person_height_px(gt.joints2d)
        for share in shares:
            est = noise.simulate_estimates(synth.rendered.joints3d, synth.rendered.K, fps=cfg.fps,
                                           profile=replace(profile, kp_orient_share=share), seed=cfg.seed)
            if share == base.kp_orient_share and not args.set and not np.array_equal(est.joints2d,
                                                                                    synth.estimate.joints2d):
                raise RuntimeError(f"{clip.name}: the profile does not reproduce the cached estimate")
            refined = refine(est, synth.rendered.frames, config=config, seed=clip.seed(args.seed)).poses.joints3d
            if share == shares[0]:
                split.setdefault("estimate", []).append(parts(est.joints3d, gt.joints3d))
                swaps.append(100.0 * float(metrics.swapped_limbs(est.joints3d, gt.joints3d).any(1).mean()))
            split.setdefault(f"without flow, kappa {share:g}", []).append(parts(refined, gt.joints3d))
            d2 = np.linalg.norm(est.joints2d - gt.joints2d, axis=-1) / height * 100.0
            rows[share].append((metrics.mpjpe(est.joints3d, gt.joints3d), metrics.pa_mpjpe(est.joints3d, gt.joints3d),
                                float(d2.mean()), float(np.median(d2)), metrics.mpjpe(refined, gt.joints3d),
                                metrics.pa_mpjpe(refined, gt.joints3d)))
        print(clip.name + ": " + ", ".join(f"kappa {k:g} {rows[k][-1][0]:.1f} -> {rows[k][-1][4]:.1f}" for k in shares),
              flush=True)
    print(f"\n{args.profile}{', ' + args.set if args.set else ''}, {len(rows[shares[0]])} clips, {args.frames} frames, "
          f"{args.size} px\n")
    print("| kappa | estimate MPJPE / PA-MPJPE mm | 2D error, mean / median, % of height | without flow MPJPE / "
          "PA-MPJPE mm | from the estimate |\n|---|---|---|---|---|")
    for share, values in rows.items():
        m = np.mean(values, axis=0)
        print(f"| {share:g} | {m[0]:.1f} / {m[1]:.1f} | {m[2]:.2f} / {m[3]:.2f} | {m[4]:.1f} / {m[5]:.1f} | "
              f"{100 * (m[4] / m[0] - 1):+.1f}% / {100 * (m[5] / m[1] - 1):+.1f}% |")
    print(f"\nframes with a limb pair swapped: {np.mean(swaps):.1f}%")
    print("\n| mean of the clips, mm | MPJPE | bias | noise | noise in the image plane | of it slow | of it fast | "
          "noise in depth |\n|---|---|---|---|---|---|---|---|")
    for name, values in split.items():
        print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in np.mean(values, axis=0)) + " |")


if __name__ == "__main__":
    main()
