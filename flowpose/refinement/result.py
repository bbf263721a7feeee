"""Typed results of a refinement: one record per cycle, and the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowpose.flow.field import FlowField
from flowpose.pose import PoseSequence
from flowpose.reprs import short_repr


@dataclass(frozen=True)
class CycleRecord:
    """What one cycle did and reached. Cycle 0 is the initial estimate and the un-fine-tuned flow.

    Attributes:
        cycle: 0 for the initial state, k for the state after cycle k.
        losses: the pose stage's weighted loss terms at the end of the cycle (empty for cycle 0), plus the
            flow stage's mean fine-tuning loss of the last epoch as ``"finetune"`` where it ran.
        seconds: wall time per stage, s: ``flow_inference``, ``sketch``, ``finetune`` (where a network is
            fine-tuned), ``pose``; cycle 0 also ``swaps`` where swaps are repaired.
        metrics: evaluation figures. Always: ``accel`` (mean joint acceleration, mm/frame^2), ``bone_std``
            (mm), ``flow_residual`` (confidence-weighted mean |projected joint motion - flow| at the joints, px).
            Where ``RefineConfig.flow_sigma_factor`` is set (the default) and cycles > 0: ``flow_noise`` (px, the
            flow's error scale measured against a flow-free fit, which sets L_opt's weight; see
            :mod:`flowpose.refinement.reliability`). Cycle 0, where swaps are repaired: ``swaps_repaired``
            (frames relabelled). With ground truth also: ``mpjpe``, ``pa_mpjpe`` (mm), ``accel_error``
            (mm/frame^2), ``epe_all``, ``epe_valid``, ``epe_human``, ``epe_sparse`` (px).
    """

    cycle: int
    losses: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RefineResult:
    """The outcome of :func:`flowpose.refine`.

    Attributes:
        poses: the refined pose sequence (same skeleton, camera and keypoints as the input).
        flow: the refined forward flow of the video (after the last flow stage); None where not kept
            (``flowpose.refine(..., keep_flow=False)``).
        history: ``history[0]`` the initial state, ``history[k]`` after cycle k.
        flow_state: the fine-tuned networks' state dicts (one per backend) when asked for, else None.
        swapped: (T, 2) bool, the frames whose limbs swap repair relabelled left for right before refinement
            (column 0 the legs, 1 the arms; :mod:`flowpose.refinement.swaps`); None where swap repair is off.
            ``history[0].metrics["swaps_repaired"]`` is its sum.
        part_frames: the most frames of a part where the video was refined in parts
            (:mod:`flowpose.refinement.parts`), else None.
    """

    poses: PoseSequence
    flow: FlowField | None
    history: list[CycleRecord]
    flow_state: list[dict] | None = None
    swapped: np.ndarray | None = None
    part_frames: int | None = None

    __repr__ = short_repr
