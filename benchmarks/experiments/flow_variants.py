"""Variants of the flow term against each other and against no flow at all, one run, the same clips.

On the synthetic clips of the benchmark (realistic ``mediapipe`` profile by default, the benchmark's seeds and
cached renders), each clip is refined once per variant with otherwise equal settings:

* ``flow_off``: no flow at all (no L_opt, no fine-tuning, no swap repair);
* ``forward``: the default, L_opt on neighbouring frames with the forward flow;
* ``symmetric``: forward and backward flow, averaged (``PoseStageConfig.symmetric_flow``, arXiv 2402.02736);
* ``long_range``: plus L_opt along tracks chained over 3 and 9 frames (``long_range_strides``);
* ``flow_prior``: the acceleration prior centred on the flow's observed motion (``flow_aware_acc``);
* ``long_range_flow_prior``: the last two together; ``long_range_far``: spans of 3, 9 and 27 frames;
* ``dis``, ``dis_long_range_far``: OpenCV DIS's flow instead of the network's;
* ``raft_small``, ``crop192``: the embedded RAFT-small fine-tuned; DIS on 192 px crops;
* ``acc_sigma_10``, ``acc_sigma_5``: not a use of the flow, the acceleration prior at sigma 10 or 5 mm/f²
  instead of 20 (the trade-off between acceleration error and MPJPE);
* ``lag_band``, ``lag_band_long_range`` (``_far``, ``lag_band_1_long_range``): motion along the flow up to 1.5
  (2) times the flow's not penalised (``flow_lag_band``), alone and with the spans
(:data:`flowpose.bench.runner.FLOW_VARIANTS`);
* ``long_range_direct``: ``long_range`` with each span's endpoints from OpenCV DIS computed directly between
  frame t and t + k, not chained (``direct_chains.py --matcher dis``, on the full 256 px frames); an experiment
  only, not in the package.

Prints MPJPE, PA-MPJPE and acceleration error after the last cycle, per clip and on average, and the seconds
per run.

With ``--exact``, what the pose stage's uses of the flow could earn with a perfect network: the pose stage alone
(no flow stage) given the renderer's exact flow (confidence 1 where valid), for the variants that change only
the pose stage (``flow_off`` is then the pose stage without flow); every variant starts from the estimate with
its swaps repaired by continuity, and its pixel terms are scaled to the person as in the pipeline (before the
twentieth session: no swap repair and no scaling, ``benchmarks/RESULTS.md``). With ``--read-at truth`` the exact
flow is read at the true joints' projections (``truth-signs``, ``truth-shuffled``: the same errors, scrambled,
:data:`READ_AT`); with ``--read-at oracle`` L_opt's targets are the true motion of the joints and bone points over
each span: perfect correspondences, which the optical flow at a joint's pixel, the motion of the surface seen
there, is not. ``--oracle-cover C`` and ``--oracle-drift-px D`` (comma-separated
lists; every pair of them is a row) make that oracle an imperfect tracker: C times the true motion plus a random
walk of D px per frame along each track (``oracle_ceilings.oracle_flow_target``): how good a long-range tracker
must be to pay.

    python benchmarks/experiments/flow_variants.py [--variants flow_off,forward,long_range] [--clips a,b]
        [--profile mediapipe] [--frames 100] [--exact [--read-at truth|oracle|truth-signs|truth-shuffled]]
        [--flow-weight 4] [--oracle-cover 1,0.9 --oracle-drift-px 0,0.5] [--relative [all|spans]]
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from unittest import mock

import cv2
import numpy as np
import torch

from flowpose import metrics
from flowpose.bench.runner import FLOW_VARIANTS, flow_off, refine_history
from flowpose.config import RefineConfig, get_preset
from flowpose.flow.field import FlowField
from flowpose.refinement import objective, optimize
from flowpose.refinement.loop import pose_stage_config
from flowpose.refinement.objective import flow_target
from flowpose.refinement.optimize import optimize_poses
from flowpose.refinement.swaps import repair_swaps
from flowpose.synth.clip import SynthClip

sys.path.insert(0, str(Path(__file__).resolve().parent))
from direct_chains import DisMatcher, direct_target  # noqa: E402
from oracle_ceilings import add_tracker_options, oracle_flow_target, tracker_settings  # noqa: E402
from synth_set import evaluation_clips, rendered, synth_parser  # noqa: E402

VARIANTS = ("flow_off", "forward", *FLOW_VARIANTS, "long_range_direct")


READ_AT = ("estimate", "truth", "oracle", "truth-signs", "truth-shuffled")
"""Where ``--exact`` reads L_opt's targets: the exact flow at the current pose's projections (as the pipeline
does), the exact flow at the true joints' projections, or no flow at all but the true joints' own motion. The last
two are the true motion plus the exact flow's own error at the true joints (``truth`` minus ``oracle``), scrambled:
each error's sign drawn at random (``truth-signs``: the same sizes at the same points and frames, no direction
shared), or the errors permuted among the valid points and frames of each span (``truth-shuffled``: the same
errors, no structure at all). Does the error's structure, not its size, cost?"""


def scrambled_error(read: torch.Tensor, true: torch.Tensor, valid: torch.Tensor, how: str) -> torch.Tensor:
    """``true`` plus the error ``read - true`` scrambled as ``how`` says (:data:`READ_AT`, ``"signs"`` or
    ``"shuffled"``), the same way at every call.

    Args:
        read: (P, N, 2) the exact flow's targets at the true joints, px.
        true: (P, N, 2) the true joints' motion over the same frames, px.
        valid: (P, N) bool, where ``read`` is a measurement (the others keep their error).
        how: ``"signs"`` or ``"shuffled"``.

    Returns:
        (P, N, 2) px.
    """
    generator = torch.Generator().manual_seed(0)
    error = read - true
    if how == "signs":
        signs = torch.randint(0, 2, error.shape[:2], generator=generator).to(error.dtype) * 2 - 1
        return true + error * signs[..., None]
    flat = error.reshape(-1, 2).clone()
    idx = valid.flatten().nonzero().squeeze(1)
    flat[idx] = flat[idx[torch.randperm(idx.numel(), generator=generator)]]
    return true + flat.reshape(error.shape)


def parent_anchors(bones: torch.Tensor, num_points: int, num_joints: int) -> torch.Tensor:
    """(N,) for each of L_opt's points (the joints, then each bone's samples, ``bone_point_matrix``'s order) the
    joint it is taken relative to with ``--relative``: a joint's parent (the root itself), a bone point's bone's
    parent joint."""
    anchor = torch.arange(num_joints)
    anchor[bones[:, 1]] = bones[:, 0]
    samples = (num_points - num_joints) // len(bones)
    return torch.cat([anchor, bones[:, 0].repeat_interleave(samples)])


@contextlib.contextmanager
def flow_target_patched(make_target, relative: str | None = None) -> Iterator[None]:
    """The pose stage's flow target made by ``make_target`` (a stand-in for :func:`flow_target`) while the block runs.

    With ``relative`` (``--relative``), L_opt on each point's motion relative to its parent joint's: the flow's
    error at a joint points as its parent's does (``flow_at_joints.py``: cosine 0.5-0.6), and a difference cancels
    what they share. :func:`flowpose.refinement.losses.lag_band` in the objective is patched to return
    r_n - r_anchor(n), after the band; ``"spans"``: only for the long-range spans, neighbouring frames as they
    are; ``"all"``: for both.
    """
    anchors: dict[str, torch.Tensor] = {}
    band = objective.lag_band

    def target(X, problem, config, flow, backward=None):
        anchors["n"] = parent_anchors(problem.bones.cpu(), problem.point_matrix.shape[0], X.shape[1]).to(X.device)
        anchors["pairs"] = X.shape[0] - 1
        return make_target(X, problem, config, flow, backward)

    def residual(r, G, b):
        r = band(r, G, b)
        if relative == "spans" and r.shape[0] == anchors["pairs"]:
            return r
        return r - r[:, anchors["n"]]

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(optimize, "flow_target", target if relative else make_target))
        if relative:
            stack.enter_context(mock.patch.object(objective, "lag_band", residual))
        yield


def exact_run(
    synth: SynthClip, config: RefineConfig, read_at: str = "estimate", tracker: tuple[float, float] = (1.0, 0.0),
    relative: str | None = None,
) -> dict[str, float]:
    """``config``'s pose stage alone with the renderer's exact flow (none when its flow term is off), scored
    against the ground truth, L_opt's targets read as ``read_at`` says (:data:`READ_AT`; ``"oracle"``:
    ``oracle_ceilings.oracle_flow_target`` with ``tracker`` = (cover, drift px per frame)), L_opt relative to the
    parent joints as ``relative`` says (:func:`flow_target_patched`). Every variant starts from the same estimate,
    its swaps repaired by continuity (the 3% target's baseline, ``flow_off_continuity``), and runs the pipeline's
    pose stage: pixel terms scaled to the person (``pose_stage_config``), L_opt at its configured weight (an exact
    flow has no noise to widen it for)."""
    gt = synth.gt
    init = repair_swaps(synth.estimate, None, replace(config.swaps, enabled=True, motion="none")).poses
    pose = pose_stage_config(init, synth.rendered.frames.shape[1:3], config)
    exact = FlowField.full_frame(gt.flow, gt.flow_valid.astype(np.float32)) if config.pose.w_flow > 0 else None
    truth = torch.as_tensor(gt.joints3d)

    def at_truth(X, problem, cfg, flow, backward=None):
        return flow_target(truth.to(X.dtype), problem, cfg, flow, backward)

    oracle = oracle_flow_target(gt.joints3d, *tracker)

    def scrambled(X, problem, cfg, flow, backward=None):
        seen, ideal = at_truth(X, problem, cfg, flow, backward), oracle(X, problem, cfg, flow, backward)
        if seen is None:
            return None
        how = read_at.removeprefix("truth-")
        chains = tuple(replace(c, displacement=scrambled_error(c.displacement, o.displacement, c.weights > 0, how))
                       for c, o in zip(seen.chains, ideal.chains, strict=True))
        return replace(seen, flow_px=scrambled_error(seen.flow_px, ideal.flow_px, seen.weights > 0, how),
                       chains=chains)

    target = {"estimate": flow_target, "truth": at_truth, "oracle": oracle}.get(read_at, scrambled)
    with flow_target_patched(target, relative):
        X = optimize_poses(init, exact, pose).joints3d
    return {"mpjpe": metrics.mpjpe(X, gt.joints3d), "pa_mpjpe": metrics.pa_mpjpe(X, gt.joints3d),
            "accel_error": metrics.accel_error(X, gt.joints3d)}


def main() -> None:
    """Run the chosen variants on every clip and print the table."""
    p = synth_parser(__doc__)
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    p.add_argument("--exact", action="store_true", help="the pose stage alone, given the exact flow")
    p.add_argument("--flow-weight", type=float, default=1.0,
                   help="L_opt's weight, times the preset's (a variant that sets its own weight keeps it)")
    p.add_argument("--read-at", choices=READ_AT, default="estimate",
                   help="with --exact: where L_opt's targets come from (estimate: as the pipeline; truth: the "
                   "exact flow at the true joints; oracle: the true joints' own motion)")
    p.add_argument("--relative", nargs="?", const="all", choices=("all", "spans"),
                   help="L_opt on each point's motion relative to its parent joint's (spans: the long-range spans "
                   "only); an experiment")
    add_tracker_options(p, "with --read-at oracle")
    args = p.parse_args()
    trackers = tracker_settings(args)
    if trackers != [(1.0, 0.0)] and args.read_at != "oracle":
        raise SystemExit("--oracle-cover, --oracle-drift-px: only with --exact --read-at oracle")
    base = replace(get_preset("fast"), cycles=args.cycles)
    base = replace(base, pose=replace(base.pose, w_flow=args.flow_weight * base.pose.w_flow))
    changes = {"flow_off": flow_off, "forward": lambda c: c, **FLOW_VARIANTS,
               "long_range_direct": FLOW_VARIANTS["long_range"]}
    unknown = [name for name in args.variants.split(",") if name not in changes]
    if unknown:
        raise SystemExit(f"--variants: unknown {', '.join(unknown)}; expected some of {', '.join(VARIANTS)}")
    runs = {name: changes[name](base) for name in args.variants.split(",")}
    rows = [(name, tracker) for name in runs for tracker in trackers]
    if args.read_at != "estimate" and not args.exact:
        raise SystemExit("--read-at: only with --exact (the pipeline reads its own flow at its own poses)")
    if args.relative and "long_range_direct" in runs:
        raise SystemExit("--relative: not with long_range_direct")
    if args.exact and "long_range_direct" in runs:
        raise SystemExit("--exact: long_range_direct matches the frames, not the exact flow")
    if args.exact and any(c.flow != base.flow or c.pose.symmetric_flow for c in runs.values()):
        raise SystemExit("--exact: only variants that change the pose stage alone, and not symmetric (the "
                         "renderer gives no backward flow)")
    clips = evaluation_clips(args.clips)
    label = {row: row[0] if len(trackers) == 1 else f"{row[0]}, cover {row[1][0]:g}, drift {row[1][1]:g} px"
             for row in rows}
    table: dict[str, list[tuple[float, float, float, float]]] = {label[row]: [] for row in rows}
    for clip in clips:
        synth = rendered(clip, args.profile, args)
        line = []
        for name, tracker in rows:
            config = runs[name]
            start = time.perf_counter()
            if args.exact:
                m = exact_run(synth, config, read_at=args.read_at, tracker=tracker, relative=args.relative)
            elif name == "long_range_direct":
                gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in synth.rendered.frames]
                with mock.patch.object(optimize, "flow_target", direct_target(DisMatcher(gray, 1.0))):
                    m = refine_history(synth, config, seed=clip.seed(args.seed), device="cpu")[-1].metrics
            else:
                with flow_target_patched(flow_target, args.relative):
                    m = refine_history(synth, config, seed=clip.seed(args.seed), device="cpu")[-1].metrics
            row = (m["mpjpe"], m["pa_mpjpe"], m["accel_error"], time.perf_counter() - start)
            table[label[name, tracker]].append(row)
            line.append(f"{label[name, tracker]} {row[0]:.1f}")
        print(f"{clip.name}: " + ", ".join(line), flush=True)
    setting = "the pose stage alone, exact flow" if args.exact else f"{args.cycles} cycles"
    setting += {"estimate": "", "truth": ", read at the true joints", "oracle": ", true correspondences",
                "truth-signs": ", the true motion with the exact flow's errors at random signs",
                "truth-shuffled": ", the true motion with the exact flow's errors shuffled"}[args.read_at]
    setting += f", L_opt x{args.flow_weight:g}" if args.flow_weight != 1 else ""
    setting += {None: "", "all": ", L_opt relative to the parent joints",
                "spans": ", the spans of L_opt relative to the parent joints"}[args.relative]
    setting += f", tracker cover {trackers[0][0]:g}, drift {trackers[0][1]:g} px" if trackers != [(1.0, 0.0)] and \
        len(trackers) == 1 else ""
    print(f"\n{args.profile}, {len(clips)} clips, {args.frames} frames, {args.size} px, {setting}\n")
    print("| variant | MPJPE mm | PA-MPJPE mm | accel err mm/f² | s per clip |\n|---|---|---|---|---|")
    for name, rows in table.items():
        m = np.mean(rows, axis=0)
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.2f} | {m[3]:.1f} |")


if __name__ == "__main__":
    main()
