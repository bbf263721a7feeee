"""Run the refinement benchmark: every evaluation clip x estimator profile, against tuned smoothers, with
ablations.

Per clip and profile:

* ``estimate``: the simulated initial estimate (cycle 0 of the refinement's history);
* ``savgol``, ``one_euro``, ``gaussian``: the classical smoothers, their parameters tuned once per profile on
  the held-out tuning clip (:data:`flowpose.bench.clips.TUNING_CLIP`), never on a test clip;
* ``flowpose``: the refinement after N cycles, with its per-cycle history (cycle 0's EPE is the un-fine-tuned
  flow's);
* ablations (optional): each loss term removed in turn, flow fine-tuning off, and 1..5 cycles. The cycle count
  ablation needs no extra runs: cycle k of a run depends only on cycles < k (every stage is seeded with
  ``seed + k``), so row k of one 5-cycle run *is* the k-cycle result. The main run is therefore extended to
  5 cycles when ablations are on, and its first N rows are the method's history.

Any exception aborts the run, re-raised with the clip and profile named (no clip is silently skipped).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, TextIO

from flowpose.api import refine
from flowpose.baselines import SMOOTHERS, SmootherSpec, tune_smoother
from flowpose.bench.clips import TUNING_CLIP, BenchClip, discover_clips, get_clips, split_clips
from flowpose.config import RefineConfig, get_preset, with_cycles, without_flow
from flowpose.errors import FlowposeError, InputError
from flowpose.refinement.evaluate import pose_metrics, pose_motion_stats
from flowpose.refinement.result import CycleRecord
from flowpose.synth.clip import SynthClip

CYCLE_ABLATION = 5
"""Cycles of the run whose rows 1..5 are the cycle-count ablation."""

ABLATIONS: dict[str, Callable[[RefineConfig], RefineConfig]] = {
    "no_flow": lambda c: replace(c, pose=replace(c.pose, w_flow=0.0)),
    "no_3d": lambda c: replace(c, pose=replace(c.pose, w_3d_rel=0.0, w_3d_abs=0.0, w_3d_lateral=0.0)),
    "no_2d": lambda c: replace(c, pose=replace(c.pose, w_2d=0.0)),
    "no_temporal": lambda c: replace(c, pose=replace(c.pose, w_vel=0.0, w_acc=0.0)),
    "no_bone": lambda c: replace(c, pose=replace(c.pose, w_bone=0.0)),
    "no_finetune": lambda c: replace(c, finetune_flow=False),
}
"""Ablation name -> the configuration without that part (L_opt; L_3D rel+abs; L_2D; L_temp vel+acc; bone
length; flow fine-tuning)."""

def flow_off(c: RefineConfig) -> RefineConfig:
    """The same refinement without any use of the flow: no L_opt, no fine-tuning, no swap repair."""
    return replace(c, pose=replace(c.pose, w_flow=0.0), finetune_flow=False, swaps=replace(c.swaps, enabled=False))


def flow_off_continuity(c: RefineConfig) -> RefineConfig:
    """:func:`flow_off`, with swaps repaired by continuity (zero motion) instead of the flow
    (:func:`flowpose.config.without_flow`, ``refine --without-flow``)."""
    return without_flow(c)


NO_FLOW_RUNS: dict[str, Callable[[RefineConfig], RefineConfig]] = {
    "flow_off": flow_off,
    "flow_off_continuity": flow_off_continuity,
}
"""The flow-free runs every clip gets beside full flowpose (rows of the methods table)."""

LONG_RANGE_STRIDES = (3, 9)
"""The spans, in frames, of the ``long_range`` variant's tracks."""
FAR_STRIDES = (3, 9, 27)
"""The spans of the ``long_range_far`` variant: up to about a second at 30 fps."""


def _pose_changed(**changes) -> Callable[[RefineConfig], RefineConfig]:
    """A variant that changes only ``PoseStageConfig`` fields."""
    return lambda c: replace(c, pose=replace(c.pose, **changes))


def _dis(c: RefineConfig) -> RefineConfig:
    """The flow by OpenCV DIS (no network, no fine-tuning) on the same crops."""
    return replace(c, flow=replace(c.flow, names=("dis",), weights=(None,)))


def _raft_small(c: RefineConfig) -> RefineConfig:
    """The flow by the embedded RAFT-small, fine-tuned every cycle (the default until the fifth session)."""
    return replace(c, flow=replace(c.flow, names=("raft-small",), weights=(None,)))


FLOW_VARIANTS: dict[str, Callable[[RefineConfig], RefineConfig]] = {
    "symmetric": _pose_changed(symmetric_flow=True),
    "long_range": _pose_changed(long_range_strides=LONG_RANGE_STRIDES),
    "long_range_far": _pose_changed(long_range_strides=FAR_STRIDES),
    "flow_prior": _pose_changed(flow_aware_acc=True),
    "long_range_flow_prior": _pose_changed(long_range_strides=LONG_RANGE_STRIDES, flow_aware_acc=True),
    "dis": _dis,
    "dis_long_range_far": lambda c: _pose_changed(long_range_strides=FAR_STRIDES)(_dis(c)),
    "raft_small": _raft_small,
    "crop192": lambda c: replace(c, flow=replace(c.flow, work_size=192)),
    "acc_sigma_10": _pose_changed(w_acc=1.0 / 10.0**2),
    "acc_sigma_5": _pose_changed(w_acc=1.0 / 5.0**2),
    "flow_weight_4": _pose_changed(w_flow=4.0),
    "lag_band": _pose_changed(flow_lag_band=0.5),
    "lag_band_long_range": _pose_changed(flow_lag_band=0.5, long_range_strides=LONG_RANGE_STRIDES),
    "lag_band_long_range_far": _pose_changed(flow_lag_band=0.5, long_range_strides=FAR_STRIDES),
    "lag_band_1_long_range": _pose_changed(flow_lag_band=1.0, long_range_strides=LONG_RANGE_STRIDES),
    "root_centre": _pose_changed(pose3d_centre="root"),
    "still": _pose_changed(w_still=1.0 / 0.1**2),
    "still_strong": _pose_changed(w_still=1.0 / 0.03**2),
    "still_wide": _pose_changed(w_still=1.0 / 0.1**2, still_px=1.5),
}
"""Uses of the flow that are not the default, compared by the benchmarks on request: L_opt in both directions
(arXiv 2402.02736), along long-range tracks ("make flow pay" item 1), the acceleration prior centred on the
flow's motion (item 3), the last two together, OpenCV DIS's flow (alone and with long-range tracks; DIS is the
default since the fifth session, so these equal the default or its long-range variant there), and the
embedded RAFT-small fine-tuned every cycle; the flow on 192 px crops instead of 128; and, for the trade-off between
the acceleration error and MPJPE, the acceleration prior at sigma 10 and 5 mm/f² instead of 20; and L_opt four
times as strong (sigma 0.5 px of flow error instead of 1). ``lag_band*``: L_opt forgives motion up to 1.5 (or,
``_1_``, 2) times the flow's along it (``PoseStageConfig.flow_lag_band``), alone and with the spans.
``root_centre``: L_3D about the root joint, as until the thirty-fifth session (``PoseStageConfig.pose3d_centre``).
``still``, ``still_strong``: the 3D velocity of joints the flow shows unmoved held near 0 (``PoseStageConfig.w_still``,
sigma 0.1 and 0.03 m/s; ``still_wide``: sigma 0.1 m/s, ``still_px`` 1.5)."""

BASELINES = tuple(SMOOTHERS)
"""Smoothers compared against, in table order."""


class BenchmarkError(FlowposeError):
    """A clip of the benchmark failed; the message names it, the cause is chained."""


@dataclass(frozen=True)
class SuiteConfig:
    """What the benchmark runs."""

    profiles: tuple[str, ...] = ("metro", "spin")
    """Simulated estimators (keys of :data:`flowpose.synth.noise.PROFILES`)."""
    frames: int = 100
    """Most frames per clip, at 30 fps (shorter motions are used whole)."""
    size: int = 256
    """Image side, px."""
    seed: int = 0
    """Base seed: clips get ``seed + crc32(name) % 10000``; refinement runs use ``seed``."""
    clips: tuple[str, ...] | None = None
    """Evaluation clips by name; None for every clip but the tuning clip."""
    tuning_clip: str = TUNING_CLIP
    """Held-out clip the smoothers are tuned on."""
    tuning_metric: str = "mpjpe"
    """What the smoothers' tuning minimises (see :data:`flowpose.baselines.METRICS`)."""
    preset: str = "fast"
    """Refinement preset (:data:`flowpose.config.PRESETS`)."""
    cycles: int | None = None
    """Refinement cycles; None keeps the preset's."""
    flow: tuple[str, ...] | None = None
    """Flow backends; None keeps the preset's."""
    flow_weights: tuple[str | None, ...] | None = None
    """Weights per backend (see :class:`flowpose.config.FlowConfig`); None: the default weights."""
    ablations: bool = False
    """Also run the ablations."""
    device: str = "cpu"
    """Torch device."""

    def __post_init__(self) -> None:
        if not self.profiles:
            raise InputError("SuiteConfig.profiles must name at least one estimator profile")
        if self.frames < 3 or self.size < 32:
            raise InputError(f"need frames >= 3 and size >= 32, got frames={self.frames}, size={self.size}")
        if self.flow_weights is not None and (self.flow is None or len(self.flow_weights) != len(self.flow)):
            raise InputError("flow_weights needs flow, with one weights entry per flow backend")

    def refine_config(self) -> RefineConfig:
        """The preset with this suite's cycles and flow backends."""
        cfg = get_preset(self.preset)
        if self.cycles is not None:
            cfg = with_cycles(cfg, self.cycles)
        if self.flow is not None:
            weights = self.flow_weights if self.flow_weights is not None else (None,) * len(self.flow)
            cfg = replace(cfg, flow=replace(cfg.flow, names=self.flow, weights=weights))
        return cfg


@dataclass(frozen=True)
class TunedSmoother:
    """A smoother's parameters chosen on the tuning clip, and its tuning score there."""

    spec: SmootherSpec
    score: float


@dataclass(frozen=True)
class ClipResult:
    """Everything measured on one clip with one estimator profile.

    Attributes:
        clip: clip name; profile: estimator profile; frames: its frame count; seed: its synthesis seed.
        methods: method -> final metrics (``estimate``, each baseline, ``flowpose``).
        history: the refinement's records for cycles 0..N.
        ablations: ablation name -> its history; ``"cycles"`` is the 5-cycle run (row k = k cycles).
        seconds: wall time of the whole clip (refinements and baselines).
    """

    clip: str
    profile: str
    frames: int
    seed: int
    methods: dict[str, dict[str, float]]
    history: list[CycleRecord]
    ablations: dict[str, list[CycleRecord]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class SuiteResult:
    """The whole benchmark: its settings, the tuned baselines per profile, and every clip's results."""

    config: SuiteConfig
    refine: RefineConfig
    tuned: dict[str, dict[str, TunedSmoother]]
    clips: list[ClipResult]


def smoothed_metrics(clip: SynthClip, spec: SmootherSpec) -> dict[str, float]:
    """MPJPE, PA-MPJPE, accel error (vs ground truth), accel and bone-length std of a smoothed estimate."""
    est = clip.estimate
    poses = est.with_joints3d(spec.apply(est.joints3d, est.fps))
    return {**pose_metrics(poses, clip.gt), **pose_motion_stats(poses.joints3d, poses.skeleton)}


def tune_baselines(clip: SynthClip, metric: str = "mpjpe") -> dict[str, TunedSmoother]:
    """Grid-search every smoother on one (tuning) clip.

    Args:
        clip: the tuning clip with ground truth.
        metric: what to minimise (see :data:`flowpose.baselines.METRICS`).

    Returns:
        Smoother name -> its best parameters and score.
    """
    pair = [(clip.estimate.joints3d, clip.gt.joints3d, clip.estimate.fps)]
    out = {}
    for name in BASELINES:
        best, table = tune_smoother(name, pair, metric=metric)
        out[name] = TunedSmoother(best, next(r.score for r in table if r.spec == best))
    return out


def refine_history(clip: SynthClip, config: RefineConfig, *, seed: int, device: str) -> list[CycleRecord]:
    """The per-cycle history of one refinement of a clip, with ground-truth metrics."""
    result = refine(clip.estimate, clip.rendered.frames, config=config, gt=clip.gt, device=device, seed=seed)
    return result.history


def evaluate_clip(
    clip: SynthClip,
    *,
    name: str,
    profile: str,
    seed: int,
    tuned: dict[str, TunedSmoother],
    suite: SuiteConfig,
    config: RefineConfig,
) -> ClipResult:
    """Every method (and the ablations, if asked for) on one clip.

    Args:
        clip: the synthetic clip.
        name: its name; profile: its estimator profile; seed: its synthesis seed (recorded).
        tuned: the smoothers' parameters for this profile.
        suite: the benchmark settings (seed, device, ablations).
        config: the refinement configuration (N = ``config.cycles``).

    Returns:
        The clip's results.
    """
    start = time.perf_counter()
    n = config.cycles
    main_cycles = max(n, CYCLE_ABLATION) if suite.ablations else n
    history = refine_history(clip, with_cycles(config, main_cycles), seed=suite.seed, device=suite.device)
    methods = {"estimate": _pose_only(history[0].metrics)}
    methods.update({b: smoothed_metrics(clip, t.spec) for b, t in tuned.items()})
    for method, change in NO_FLOW_RUNS.items():
        runs = refine_history(clip, change(config), seed=suite.seed, device=suite.device)
        methods[method] = _pose_only(runs[n].metrics)
    methods["flowpose"] = _pose_only(history[n].metrics)
    ablations: dict[str, list[CycleRecord]] = {}
    if suite.ablations:
        ablations["cycles"] = history[: CYCLE_ABLATION + 1]
        for ab, change in ABLATIONS.items():
            ablations[ab] = refine_history(clip, change(config), seed=suite.seed, device=suite.device)
    return ClipResult(
        name, profile, clip.estimate.num_frames, seed, methods, history[: n + 1], ablations,
        time.perf_counter() - start,
    )


def _pose_only(metrics: dict[str, float]) -> dict[str, float]:
    keys = ("mpjpe", "pa_mpjpe", "accel_error", "accel", "bone_std", "swapped")
    return {k: metrics[k] for k in keys if k in metrics}


def run_suite(
    suite: SuiteConfig, *, mocap_dir: Path, cache_dir: Path | None, log: TextIO | None = sys.stderr
) -> SuiteResult:
    """Run the whole benchmark.

    Args:
        suite: what to run.
        mocap_dir: the shared mocap folder (``shared/data/mocap``).
        cache_dir: where rendered clips are cached, or None.
        log: where progress lines go (None: silent).

    Returns:
        The :class:`SuiteResult`.

    Raises:
        InputError: for unknown clips, profiles or a preset.
        BenchmarkError: when any clip fails, naming it; the original exception is chained.
    """
    config = suite.refine_config()
    tuning, clips = split_clips(discover_clips(mocap_dir), suite.tuning_clip, suite.clips)
    say = (lambda msg: print(msg, file=log, flush=True)) if log is not None else (lambda msg: None)
    kwargs = dict(profiles=suite.profiles, frames=suite.frames, size=suite.size, seed=suite.seed, cache_dir=cache_dir)
    tuned = {p: tune_baselines(c, suite.tuning_metric) for p, c in _load(tuning, kwargs).items()}
    for p, t in tuned.items():
        say(f"tuned on {tuning.name} ({p}): " + ", ".join(str(s.spec) for s in t.values()))
    results = []
    for clip in clips:
        synth = _load(clip, kwargs)
        for profile in suite.profiles:
            try:
                res = evaluate_clip(
                    synth[profile], name=clip.name, profile=profile, seed=clip.seed(suite.seed),
                    tuned=tuned[profile], suite=suite, config=config,
                )
            except Exception as e:
                raise BenchmarkError(f"benchmark clip {clip.name} ({profile}) failed: {type(e).__name__}: {e}") from e
            results.append(res)
            m = res.methods
            say(
                f"{clip.name} ({profile}, {res.frames} frames): MPJPE {m['estimate']['mpjpe']:.1f} -> "
                f"{m['flowpose']['mpjpe']:.1f} mm in {res.seconds:.1f} s"
            )
    return SuiteResult(suite, config, tuned, results)


def _load(clip: BenchClip, kwargs: dict) -> dict[str, SynthClip]:
    try:
        return get_clips(clip, **kwargs)
    except Exception as e:
        raise BenchmarkError(f"benchmark clip {clip.name}: rendering failed: {type(e).__name__}: {e}") from e
