"""The flow-pose loop for a body model's parameters: flow stage and SMPL pose stage, alternated.

F_0 comes from the flow backends on person crops around the model's projected joints. Each cycle k then runs
the flow stage (a sketch of the current fit's motion, fine-tuning toward it, F_k; skipped when nothing is
trainable) and the SMPL pose stage (:func:`flowpose.body.refine.refine_smpl`) against F_k and its backward
flow (the mesh term in both directions), each from the input estimate, as the joints loop does. The sketch is
either the bone sketch of the fit's joints (``"bones"``, :mod:`flowpose.refinement.sketch`) or the mesh's own
motion over its silhouette, weighted per body part (``"mesh"``, :mod:`flowpose.body.mesh_sketch`).

As in the joints loop, every pixel-unit setting is scaled to the person's size (:func:`smpl_stage_config`),
each cycle's flow is trusted as much as its measured error against a flow-free fit allows
(``RefineConfig.flow_sigma_factor``, :func:`smpl_flow_weighted`), and where nothing is trainable the flow
does not change between cycles, so the first cycle's solve is reused.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from flowpose.body.memory import smpl_refine_memory
from flowpose.body.mesh_sketch import sketch_mesh_motion
from flowpose.body.model import BodyModel
from flowpose.body.params import SmplSequence
from flowpose.body.refine import MESH_FLOW_WEIGHT, SmplRefineConfig, SmplRefineResult, refine_smpl
from flowpose.config import RefineConfig
from flowpose.errors import InputError, MemoryNoteWarning
from flowpose.flow.field import FlowField
from flowpose.flow.registry import load_flow_model
from flowpose.pose import PoseSequence
from flowpose.refinement.flow_stage import FlowStage
from flowpose.refinement.loop import crop_boxes, flow_weighted, person_scale, pixel_scaled
from flowpose.refinement.memory import available_memory_bytes, memory_note
from flowpose.refinement.reliability import flow_noise_px
from flowpose.refinement.sketch import Sketch
from flowpose.reprs import short_repr

SKETCHES = ("bones", "mesh")
"""What the flow stage sketches for a body model."""


@dataclass
class SmplLoopResult:
    """What :func:`refine_smpl_frames` returns.

    Attributes:
        estimate: the input evaluated (``refine --cycles 0``).
        result: the last cycle's refinement (the estimate with 0 cycles).
        history: per cycle, ``cycle``, ``losses``, ``steps`` (0 where the last solve was reused), ``seconds``
            and, with ``RefineConfig.flow_sigma_factor``, ``flow_noise`` (px, the flow's measured error scale).
        flows: F_0 ... F_k when asked for (``keep_flows``), else empty.
    """

    estimate: SmplRefineResult
    result: SmplRefineResult
    history: list[dict] = field(default_factory=list)
    flows: list[FlowField] = field(default_factory=list)

    __repr__ = short_repr


def smpl_stage_config(
    poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig, w_mesh_flow: float
) -> SmplRefineConfig:
    """The SMPL pose stage's configuration for this video: every pixel-unit setting, the joint terms' and the
    mesh term's alike, specified at ``config.reference_box_px`` and scaled to the person's image size
    (:func:`flowpose.refinement.loop.person_scale`): weights px^-2 by 1 / scale^2, robust scales and the
    visibility cell (px) by scale. So the mesh term keeps its weight relative to L_opt's on any video.

    Args:
        poses: the estimate's joints (their projection decides the person's size).
        image_size: (H, W) px.
        config: the run's configuration (``pose``, ``smpl_max_steps``, ``reference_box_px``).
        w_mesh_flow: L_mesh's weight at the reference size, px^-2.
    """
    smpl = SmplRefineConfig(pose=replace(config.pose, max_steps=config.smpl_max_steps), w_mesh_flow=w_mesh_flow)
    scale = person_scale(poses, image_size, config)
    return replace(smpl, pose=pixel_scaled(smpl.pose, scale), w_mesh_flow=smpl.w_mesh_flow / scale**2,
                   mesh_flow_delta_px=smpl.mesh_flow_delta_px * scale,
                   visibility_cell_px=smpl.visibility_cell_px * scale)


def smpl_flow_weighted(config: SmplRefineConfig, noise_px: float, factor: float | None) -> SmplRefineConfig:
    """The SMPL pose stage for a flow whose measured error scale is ``noise_px``: L_opt's weight as the joints loop
    sets it (:func:`flowpose.refinement.loop.flow_weighted`), and the mesh term's, which reads the same flow,
    lowered by the same factor."""
    pose = flow_weighted(config.pose, noise_px, factor)
    if pose.w_flow == config.pose.w_flow:
        return config
    return replace(config, pose=pose, w_mesh_flow=config.w_mesh_flow * pose.w_flow / config.pose.w_flow)


def refine_smpl_frames(
    seq: SmplSequence,
    model: BodyModel,
    frames,
    config: RefineConfig,
    *,
    cycles: int = 3,
    w_mesh_flow: float = MESH_FLOW_WEIGHT,
    sketch: str = "bones",
    device: str = "cpu",
    seed: int = 0,
    progress: bool = False,
    keep_flows: bool = False,
    times: np.ndarray | None = None,
    source: str = "frames",
) -> SmplLoopResult:
    """Run the loop (module docstring) on a video's frames.

    Args:
        seq: the estimate, T frames.
        model: its body model.
        frames: (T, H, W, 3) uint8 RGB frames or a lazy sequence of them.
        config: flow backends and flow stage (its ``pose`` supplies the joint terms' weights).
        cycles: flow-pose cycles; 0 returns the estimate.
        w_mesh_flow: weight of the mesh-flow term, px^-2 (0: joints only).
        sketch: ``"bones"`` or ``"mesh"`` (module docstring).
        device: torch device of the flow networks.
        seed: seeds fine-tuning.
        progress: show progress bars.
        keep_flows: keep every cycle's flow in the result (for benchmarks).
        times: (T,) seconds, each frame's time for a variable frame rate (``PoseSequence.times``); None: evenly
            spaced at ``seq.fps``.
        source: names the frames in the note told (a :class:`~flowpose.errors.MemoryNoteWarning`, before the work)
            where the refinement needs more memory than is available (:mod:`flowpose.body.memory`).

    Raises:
        InputError: for an unknown sketch or a frame count other than the sequence's.
    """
    if sketch not in SKETCHES:
        raise InputError(f"sketch must be one of {list(SKETCHES)}, got {sketch!r}")
    if len(frames) != seq.num_frames:
        raise InputError(f"{seq.num_frames} frames of parameters, but {len(frames)} video frames")
    estimate = refine_smpl(seq, model, None, times=times, solve=False)
    out = SmplLoopResult(estimate=estimate, result=estimate)
    if cycles == 0:
        return out
    image_size = tuple(np.asarray(frames[0]).shape[:2])
    poses = estimate.poses
    models = [load_flow_model(n, w, device=device) for n, w in zip(config.flow.names, config.flow.weights)]
    need = smpl_refine_memory(poses, image_size, config, models, model.num_vertices, model.layout)
    note = memory_note(source, seq.num_frames, need, available_memory_bytes(), parts=False,
                       sliced_by="SmplSequence.frames")
    if note is not None:  # before the flow and the solves: a process stopped for lack of memory says nothing
        warnings.warn(note, MemoryNoteWarning, stacklevel=2)
    stage = FlowStage(models, frames, crop_boxes(poses, image_size, config), config, device=device,
                      progress=progress, keep_backward=True)
    flow = stage.initial()
    if keep_flows:
        out.flows.append(flow)
    smpl_config = smpl_stage_config(poses, image_size, config, w_mesh_flow)
    # The flow-free fit against which each cycle's flow is assessed, as the joints loop does (reliability.py).
    smooth = None
    if config.flow_sigma_factor is not None:
        smooth = refine_smpl(seq, model, None, smpl_config, times=times).poses
    conf = poses.confidence()
    parts = model.parts()
    result = estimate
    solved_flow = None
    for k in range(1, cycles + 1):
        t0 = time.perf_counter()
        if stage.can_train():
            current = result

            def draw(grid: FlowField, fit: SmplRefineResult = current) -> Sketch:
                return sketch_mesh_motion(fit.vertices, model.faces, seq.K, parts, grid, config.sketch)

            flow, _, _ = stage.cycle(poses, conf, flow, seed=seed + k, draw=draw if sketch == "mesh" else None)
        record: dict = {"cycle": k}
        noise = float("nan")
        if smooth is not None:
            noise = record["flow_noise"] = flow_noise_px(smooth, flow)
        steps = 0
        if flow is not solved_flow:  # else nothing the solve reads changed (no trainable network): reuse it
            cycle_config = smpl_flow_weighted(smpl_config, noise, config.flow_sigma_factor)
            result = refine_smpl(seq, model, flow, cycle_config, backward=flow.reverse, times=times)  # both ways
            solved_flow, steps = flow, result.steps
        poses = result.poses
        if keep_flows:
            out.flows.append(flow)
        out.history.append(record | {"losses": result.losses, "steps": steps, "seconds": time.perf_counter() - t0})
    out.result = result
    return out
