"""Refinement configuration: nested frozen dataclasses, one per pipeline stage, with presets in a plain dict.

Every stage owns its config next to its code (:class:`~flowpose.refinement.sketch.SketchConfig`,
:class:`~flowpose.refinement.finetune.FinetuneConfig`, :class:`~flowpose.refinement.pose_config.PoseStageConfig`); this
module composes them into :class:`RefineConfig` and adds the flow-network settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from flowpose.errors import InputError, unknown_name_error
from flowpose.refinement.finetune import FinetuneConfig
from flowpose.refinement.pose_config import SMPL_MAX_STEPS, PoseStageConfig
from flowpose.refinement.sketch import SketchConfig
from flowpose.refinement.swaps import SwapConfig


@dataclass(frozen=True)
class FlowConfig:
    """Which flow networks run, and where in the frame."""

    names: tuple[str, ...] = ("dis",)
    """Flow backends (see :data:`flowpose.flow.registry.FLOW_BACKENDS`); several are averaged (an ensemble).
    The default is OpenCV DIS (``fine``), which cannot be fine-tuned: on a CPU a refinement with the embedded
    RAFT-small, fine-tuned, takes 3.7x (real set: 53.5 against 14.6 s per view) to 6.8x (``fair/dab``: 29.1
    against 4.3 s) the time, buys no pose accuracy over DIS on the real or the synthetic benchmarks, and its
    flow on people is worse (``benchmarks/RESULTS.md``, fifth session). The
    fine-tuning loop runs with a trainable network: ``("raft-small",)`` (the ``quality`` preset), ``raft``,
    ``gma``."""
    weights: tuple[str | None, ...] = (None,)
    """Weights per backend: None for the default, a registry name, a local path, or "random"."""
    iters: int = 12
    """GRU iterations at inference."""
    crop: bool = True
    """Run the networks on person-centred crops (the affordable path on a CPU) rather than the full frame."""
    work_size: int = 128
    """Side of the square crop the networks see, in pixels; a multiple of 8."""
    crop_pad: float = 0.25
    """Padding around the person's 2D bounding box, as a fraction of its side."""
    crop_window: int = 5
    """Frames over which crop boxes are united and smoothed, for stable crops."""
    batch_size: int = 4
    """Frame pairs per network call."""
    cache_encoders: bool = True
    """RAFT-family networks on crops: freeze the feature and context encoders, run them once per video, and
    fine-tune only the update block (:mod:`flowpose.refinement.flow_stage`)."""
    warm_iters: int | None = 3
    """Iterations of each cycle's inference when it starts from the previous cycle's flow (cached encoders
    only); None: a cold start with ``iters`` every cycle."""
    start: str = "zero"
    """Where F_0's iterations start (cached encoders only): ``"zero"`` flow with ``iters`` iterations, or
    OpenCV ``"dis"``'s flow on the same crops with ``warm_iters`` iterations (see
    :mod:`flowpose.refinement.flow_stage`)."""

    def __post_init__(self) -> None:
        if not self.names:
            raise InputError("FlowConfig.names must name at least one flow backend")
        if len(self.weights) != len(self.names):
            raise InputError(
                f"FlowConfig.weights must have one entry per backend: {len(self.names)} names, "
                f"{len(self.weights)} weights"
            )
        if self.warm_iters is not None and self.warm_iters < 1:
            raise InputError(f"FlowConfig.warm_iters must be >= 1 or None, got {self.warm_iters}")
        if self.start not in ("zero", "dis"):
            raise InputError(f"FlowConfig.start must be 'zero' or 'dis', got {self.start!r}")
        if self.work_size % 8 or self.work_size < 32:
            raise InputError(f"FlowConfig.work_size must be a multiple of 8 and >= 32, got {self.work_size}")
        for name in ("iters", "crop_window", "batch_size"):
            if getattr(self, name) < 1:
                raise InputError(f"FlowConfig.{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.crop_pad < math.inf:
            raise InputError(f"FlowConfig.crop_pad must be a finite fraction >= 0, got {self.crop_pad}")


@dataclass(frozen=True)
class RefineConfig:
    """The whole flow-pose-flow refinement."""

    cycles: int = 3
    """Flow-stage + pose-stage cycles."""
    flow: FlowConfig = field(default_factory=FlowConfig)
    """Flow networks and crops."""
    sketch: SketchConfig = field(default_factory=SketchConfig)
    """Bone-motion sketch that builds the fine-tuning target."""
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    """Per-video flow fine-tuning."""
    finetune_flow: bool = True
    """Fine-tune the flow networks in the flow stage; off, every cycle's pose stage sees the initial flow F_0
    (an ablation)."""
    pose: PoseStageConfig = field(default_factory=PoseStageConfig)
    """Pose stage: loss weights and optimiser."""
    smpl_max_steps: int = SMPL_MAX_STEPS
    """With a body model: the SMPL pose stage's iteration cap, in place of ``pose.max_steps`` (more buys accuracy
    at a proportional cost; see :data:`flowpose.refinement.pose_config.SMPL_MAX_STEPS`)."""
    swaps: SwapConfig = field(default_factory=SwapConfig)
    """Left-right limb swaps found along the flow and relabelled before the pose stage
    (:mod:`flowpose.refinement.swaps`)."""
    flow_sigma_factor: float | None = 2.0
    """L_opt's sigma becomes max(configured, factor x the flow's measured error scale at the joints) each cycle
    (:mod:`flowpose.refinement.reliability`), so a poor flow is trusted less. None: the configured weight."""
    reference_box_px: float | None = 160.0
    """Side (px) of the person-centred box at which the pose stage's pixel-unit terms are specified: the
    median box of the 256x256 synthetic clips they were tuned on. For another video the 2D-keypoint and flow
    sigmas and robust scales are multiplied by (its median box side / this), so a person filling a 1000 px
    frame is not held to 2 px. None: use them as given."""
    part_frames: int | Literal["auto"] | None = None
    """Refine a video longer than this in overlapping parts of at most this many frames, one after another, and
    join them (:mod:`flowpose.refinement.parts`): the memory is a part's, not the whole video's. None: the whole
    video at once. ``"auto"``: the whole video where the memory available holds it, else the longest parts that fit
    (at least 3 x ``part_overlap``; :func:`flowpose.refinement.memory.auto_part_frames`)."""
    part_overlap: int = 30
    """Frames that neighbouring parts share; across them the joints pass from one part's to the next's."""

    def __post_init__(self) -> None:
        if self.part_overlap < 2:
            raise InputError(f"part_overlap must be at least 2 frames, got {self.part_overlap}")
        if isinstance(self.part_frames, str) and self.part_frames != "auto":
            raise InputError(f"part_frames must be a number of frames, 'auto' or None, got {self.part_frames!r}")
        if isinstance(self.part_frames, int) and self.part_frames < 3 * self.part_overlap:
            raise InputError(f"part_frames must be at least 3 x part_overlap ({3 * self.part_overlap} frames: each "
                             f"part keeps frames of its own between its two overlaps), got {self.part_frames}")
        if self.cycles < 0:
            raise InputError(f"cycles must be >= 0, got {self.cycles}")
        if self.smpl_max_steps < 0:
            raise InputError(f"smpl_max_steps must be >= 0, got {self.smpl_max_steps}")
        if self.flow_sigma_factor is not None and not self.flow_sigma_factor > 0:
            raise InputError(f"flow_sigma_factor must be positive or None, got {self.flow_sigma_factor}")
        if self.reference_box_px is not None and not self.reference_box_px > 0:
            raise InputError(f"reference_box_px must be positive or None, got {self.reference_box_px}")


PRESETS: dict[str, RefineConfig] = {
    "fast": RefineConfig(
        cycles=3,
        # OpenCV DIS ("fine") by default; the rest applies when a network is chosen (--flow raft-small): F_0
        # started from DIS (human-pixel EPE after 3 cycles 1.10 px against 1.32 from zero, in less time, on the
        # tuning clip; benchmarks/bench_flow_stage.py).
        flow=FlowConfig(names=("dis",), work_size=128, iters=8, start="dis"),
        # lr 1e-4 (10x the seed's): with 2 epochs instead of the seed's 8, and weights trained here rather than
        # on FlyingThings, 1e-5 barely moves the network (human-pixel EPE -10% after a cycle on the held-out
        # tuning clip, 60 frames, metro); 5e-5 and 1e-4 reach -19% and -16% after one cycle and -40% after
        # three, at the same MPJPE (`benchmarks/experiments/tune_finetune.py`).
        # Cached encoders and warm starts (flow_stage.py): only the update block is fine-tuned, from the current
        # flow, with 3 iterations, on the half of the pairs with the most to teach (benchmarks/bench_flow_stage.py
        # on the tuning clip: 3.8x less time than fine-tuning the whole network, human-pixel EPE 1.31 against
        # 1.02 px; see benchmarks/RESULTS.md).
        finetune=FinetuneConfig(lr=1e-4, epochs=2, iters=3, batch_size=4, warm_start=True, pair_fraction=0.5),
    ),
    "quality": RefineConfig(
        cycles=3,
        # The whole network is fine-tuned, cold, every cycle: the most flow accuracy, at the most cost.
        flow=FlowConfig(names=("raft-small",), work_size=192, iters=12, cache_encoders=False, warm_iters=None),
        # 6x the optimiser steps of ``fast`` (3x the epochs, half the batch), so a smaller step than fast's.
        finetune=FinetuneConfig(lr=3e-5, epochs=6, iters=12, batch_size=2),
    ),
}
"""Named configurations: ``fast`` (DIS flow, no fine-tuning) for a CPU; ``quality`` (the embedded RAFT-small,
wholly fine-tuned every cycle) for a GPU or patient users."""


def get_preset(name: str) -> RefineConfig:
    """Look a preset up by name.

    Raises:
        InputError: for an unknown name, listing the presets.
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise unknown_name_error("preset", name, list(PRESETS)) from None


def with_cycles(config: RefineConfig, cycles: int) -> RefineConfig:
    """A copy of ``config`` with another number of cycles."""
    return replace(config, cycles=cycles)


def without_flow(config: RefineConfig) -> RefineConfig:
    """The flow-free baseline of ``config``: the same refinement with no flow term (L_opt weight 0), no flow
    fine-tuning, and left/right swaps repaired by continuity (zero motion) instead of along the flow. What the flow
    earns is a run's figures against this one's (the benchmarks' ``flow_off_continuity`` row)."""
    return replace(config, pose=replace(config.pose, w_flow=0.0), finetune_flow=False,
                   swaps=replace(config.swaps, enabled=True, motion="none"))
