"""The flow-pose-flow loop (DESIGN.md): alternate the flow stage and the pose stage for N cycles.

    F_0 = net(frames)                                    initial flow, on person-centred crops
    for k = 1..N:
        S, W      = sketch(X_{k-1}, K)                     bone-motion flow and its trust
        target    = (1 − W)·F_{k−1} + W·S
        net       ← fine-tune(net; frames, target)          smooth-L1 sequence loss
        F_k       = net(frames)
        X_k       = argmin_X L_opt(X; F_k) + L_3D(X; X_init) + L_2D(X; x2d) + L_temp(X)

Before the cycles, one pose stage without L_opt gives a flow-free fit X̄; each cycle measures its flow's error
scale at X̄'s joints and loosens L_opt's sigma to at least twice it (:mod:`flowpose.refinement.reliability`),
so a poor flow network cannot inject jitter. The pose stage's pixel-unit terms are scaled to the person's image
size (``RefineConfig.reference_box_px``).

Stages talk only through :class:`~flowpose.flow.field.FlowField` and :class:`~flowpose.pose.PoseSequence`.
With a backend that cannot be trained (OpenCV DIS) the flow stage is skipped: F_k = F_0, and each cycle's pose
stage sees the same flow; the composed target is never used as flow for the pose stage, because it is partly
drawn from the poses themselves and would only feed the poses back to themselves.
"""

from __future__ import annotations

import copy
import time
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from flowpose.camera import project_np
from flowpose.config import RefineConfig
from flowpose.flow.classical import DISFlow
from flowpose.flow.crop import person_boxes
from flowpose.flow.field import FlowField
from flowpose.io.groundtruth import GroundTruth
from flowpose.pose import PoseSequence
from flowpose.refinement.evaluate import FlowErrors, evaluate
from flowpose.refinement.flow_stage import FlowStage
from flowpose.refinement.optimize import optimize_poses
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.refinement.reliability import flow_noise_px
from flowpose.refinement.result import CycleRecord, RefineResult
from flowpose.refinement.swaps import repair_swaps


def pose_person_boxes(poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig) -> np.ndarray:
    """Person-centred boxes per frame pair from the initial 2D keypoints (or the projected 3D joints).

    Returns:
        (T-1, 4) boxes ``[x0, y0, x1, y1]`` in full-frame pixels (see :func:`flowpose.flow.crop.person_boxes`).
    """
    x2d = poses.joints2d if poses.joints2d is not None else project_np(poses.joints3d, poses.K_per_frame())
    return person_boxes(
        x2d, poses.confidence(), image_size, pad=config.flow.crop_pad, window=config.flow.crop_window
    )


def crop_boxes(poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig) -> np.ndarray | None:
    """The flow networks' crop boxes: :func:`pose_person_boxes`, or None for full-frame flow (crops off)."""
    return pose_person_boxes(poses, image_size, config) if config.flow.crop else None


def pixel_scaled(pose: PoseStageConfig, scale: float) -> PoseStageConfig:
    """The pose stage's pixel-unit terms for a person ``scale`` times the reference size.

    A sigma in pixels grows with the person's image size, so a weight 1/sigma^2 shrinks by scale^2 and a
    robust scale (px) grows by scale; the 3D and temporal terms are in metres and do not change.
    """
    return replace(
        pose,
        w_2d=pose.w_2d / scale**2,
        w_flow=pose.w_flow / scale**2,
        keypoint_delta_px=pose.keypoint_delta_px * scale,
        flow_delta_px=pose.flow_delta_px * scale,
        still_px=pose.still_px * scale,
    )


def person_scale(poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig) -> float:
    """The person's image size over the one the pixel terms are specified at: the median side (px) of the
    person-centred boxes over ``RefineConfig.reference_box_px``; 1 when that is None."""
    if config.reference_box_px is None:
        return 1.0
    boxes = pose_person_boxes(poses, image_size, config)
    side = float(np.median(np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])))
    return side / config.reference_box_px


def pose_stage_config(poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig) -> PoseStageConfig:
    """The pose stage's configuration for this video (pixel terms scaled, see ``RefineConfig.reference_box_px``)."""
    if config.reference_box_px is None:
        return config.pose
    return pixel_scaled(config.pose, person_scale(poses, image_size, config))


def swap_flow(flow: FlowField, flow_stage: FlowStage, config: RefineConfig) -> FlowField | None:
    """The flow that carries the limbs for swap detection: the refinement's own F_0 (``motion="flow"``, or
    ``"dis"`` when F_0 is DIS already), OpenCV DIS on the same crops (``"dis"``, shared with a DIS start), or
    None (``"none"``)."""
    if config.swaps.motion == "none":
        return None
    if config.swaps.motion == "flow" or all(isinstance(m, DISFlow) for m in flow_stage.models):
        return flow
    return flow_stage.dis_flow()


def flow_weighted(pose: PoseStageConfig, noise_px: float, factor: float | None) -> PoseStageConfig:
    """L_opt's weight for a flow whose measured error scale is ``noise_px``: sigma = max(configured, factor x it)."""
    if factor is None or not np.isfinite(noise_px) or pose.w_flow == 0:
        return pose
    sigma = max(pose.w_flow**-0.5, factor * noise_px)
    return replace(pose, w_flow=sigma**-2)


def run_refinement(
    init: PoseSequence,
    frames,
    models: Sequence[nn.Module],
    config: RefineConfig,
    *,
    gt: GroundTruth | None = None,
    device: str = "cpu",
    seed: int = 0,
    keep_flow_state: bool = False,
    progress: bool = False,
    observe: Callable[[int, PoseSequence, FlowField], None] | None = None,
    scale: float | None = None,
) -> RefineResult:
    """Run the alternating refinement on one video.

    Args:
        init: the initial estimate (H36M-17 joints, camera frame), already validated against the video.
        frames: (T, H, W, 3) uint8 RGB frames or a lazy sequence of them.
        models: flow backends (an ensemble when several), each on ``device``; fine-tuned in place.
        config: the refinement configuration.
        gt: ground truth for the history's metrics, or None.
        device: torch device.
        seed: seeds fine-tuning and optimisation.
        keep_flow_state: return copies of the fine-tuned networks' state dicts.
        progress: show progress bars.
        observe: called with each cycle's number, poses and flow, as the history's figures read them (cycle 0:
            the initial poses, before swap repair), for figures of several runs together
            (:mod:`flowpose.refinement.parts`).
        scale: the person's image size over ``config.reference_box_px`` (:func:`person_scale`) for the pose stage's
            pixel terms; None: measured on ``init`` (a part of a video is given its whole video's).

    Returns:
        The refined poses and flow with the per-cycle history.
    """
    image_size = tuple(np.asarray(frames[0]).shape[:2])
    boxes = crop_boxes(init, image_size, config)
    flow_stage = FlowStage(models, frames, boxes, config, device=device, progress=progress,
                           keep_backward=config.pose.symmetric_flow)

    t0 = time.perf_counter()
    flow = flow_stage.initial()
    seconds0 = {"flow_inference": time.perf_counter() - t0}

    flow_errors = None if gt is None else FlowErrors(gt)  # each field's EPEs measured once
    metrics0 = evaluate(init, flow, gt, flow_errors)
    if observe is not None:
        observe(0, init, flow)
    swapped = None
    if config.swaps.enabled:  # before anything reads the poses: relabel limbs swapped left for right
        t0 = time.perf_counter()
        repair = repair_swaps(init, swap_flow(flow, flow_stage, config), config.swaps)
        init = repair.poses
        swapped = repair.swapped
        metrics0["swaps_repaired"] = float(repair.count)
        seconds0["swaps"] = time.perf_counter() - t0
    if scale is None or config.reference_box_px is None:
        pose_config = pose_stage_config(init, image_size, config)
    else:
        pose_config = pixel_scaled(config.pose, scale)
    # The flow-free fit against which each cycle's flow is assessed (reliability.py).
    smooth = None
    if config.flow_sigma_factor is not None and config.cycles > 0:
        t0 = time.perf_counter()
        smooth = init.with_joints3d(optimize_poses(init, None, pose_config, device=device, seed=seed).joints3d)
        seconds0["pose"] = time.perf_counter() - t0
    if smooth is not None:
        metrics0["flow_noise"] = flow_noise_px(smooth, flow)
    history = [CycleRecord(0, seconds=seconds0, metrics=metrics0)]
    stage, stage_flow = None, None
    poses = init
    conf = init.confidence()
    for k in range(1, config.cycles + 1):
        seconds: dict[str, float] = {}
        losses: dict[str, float] = {}
        if flow_stage.can_train():
            flow, seconds, losses = flow_stage.cycle(poses, conf, flow, seed=seed + k)
        if stage is not None and flow is stage_flow:
            # Nothing the pose stage reads changed (no trainable network: the flow is F_0 again), and the stage
            # is deterministic: its result would be identical, so it is reused, not recomputed.
            seconds["pose"] = 0.0
        else:
            noise = flow_noise_px(smooth, flow) if smooth is not None else float("nan")
            cycle_config = flow_weighted(pose_config, noise, config.flow_sigma_factor)
            stage = optimize_poses(init, flow, cycle_config, device=device, seed=seed)
            stage_flow = flow
            seconds["pose"] = stage.seconds
        losses.update({n: v for n, v in stage.losses.items() if not n.startswith("init_")})
        poses = init.with_joints3d(stage.joints3d)
        metrics = evaluate(poses, flow, gt, flow_errors)
        if observe is not None:
            observe(k, poses, flow)
        if smooth is not None:
            metrics["flow_noise"] = noise
        history.append(CycleRecord(k, losses=losses, seconds=seconds, metrics=metrics))

    state = [copy.deepcopy(m.state_dict()) for m in flow_stage.trainable] if keep_flow_state else None
    return RefineResult(poses=poses, flow=flow, history=history, flow_state=state, swapped=swapped)


def seed_everything(seed: int) -> None:
    """Seed torch and NumPy's legacy global RNG (the package itself uses explicit generators)."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
