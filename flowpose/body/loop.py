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

import copy
import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from flowpose.body.memory import smpl_refine_memory
from flowpose.body.mesh_sketch import sketch_mesh_motion
from flowpose.body.model import BodyModel
from flowpose.body.params import SmplSequence
from flowpose.body.parts import anchored_smpl, join_smpl, joined_history
from flowpose.body.refine import MESH_FLOW_WEIGHT, SmplRefineConfig, SmplRefineResult, refine_smpl
from flowpose.config import RefineConfig
from flowpose.errors import InputError, MemoryNoteWarning
from flowpose.flow.field import FlowField
from flowpose.flow.registry import load_flow_model
from flowpose.pose import PoseSequence
from flowpose.refinement.flow_stage import FlowStage
from flowpose.refinement.loop import crop_boxes, flow_weighted, person_scale, pixel_scaled
from flowpose.refinement.memory import auto_part_frames, available_memory_bytes, memory_note
from flowpose.refinement.parts import frames_of, plan_parts
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
        part_frames: the parts' length where the video was refined in parts (``"auto"`` made a number), else None.
    """

    estimate: SmplRefineResult
    result: SmplRefineResult
    history: list[dict] = field(default_factory=list)
    flows: list[FlowField] = field(default_factory=list)
    part_frames: int | None = None

    __repr__ = short_repr


def smpl_stage_config(
    poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig, w_mesh_flow: float,
    scale: float | None = None,
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
        scale: the person's size over the reference's; None: ``poses``' own (a part of a video is given the whole
            video's).
    """
    smpl = SmplRefineConfig(pose=replace(config.pose, max_steps=config.smpl_max_steps), w_mesh_flow=w_mesh_flow)
    scale = person_scale(poses, image_size, config) if scale is None else scale
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
    """Run the loop (module docstring) on a video's frames, whole or, with ``config.part_frames``, in overlapping
    parts joined into one sequence (:mod:`flowpose.body.parts`).

    Args:
        seq: the estimate, T frames.
        model: its body model.
        frames: (T, H, W, 3) uint8 RGB frames or a lazy sequence of them (a reader: then a part's frames are decoded
            on demand).
        config: flow backends and flow stage (its ``pose`` supplies the joint terms' weights; ``part_frames`` and
            ``part_overlap`` the parts, ``"auto"`` the longest the memory available holds).
        cycles: flow-pose cycles; 0 returns the estimate.
        w_mesh_flow: weight of the mesh-flow term, px^-2 (0: joints only).
        sketch: ``"bones"`` or ``"mesh"`` (module docstring).
        device: torch device of the flow networks.
        seed: seeds fine-tuning.
        progress: show progress bars.
        keep_flows: keep every cycle's flow in the result (for benchmarks; a video refined whole only).
        times: (T,) seconds, each frame's time for a variable frame rate (``PoseSequence.times``); None: evenly
            spaced at ``seq.fps``.
        source: names the frames in the note told (a :class:`~flowpose.errors.MemoryNoteWarning`, before the work)
            where the refinement needs more memory than is available (:mod:`flowpose.body.memory`).

    Raises:
        InputError: for an unknown sketch, a frame count other than the sequence's, or ``keep_flows`` for a video
            refined in parts.
    """
    if sketch not in SKETCHES:
        raise InputError(f"sketch must be one of {list(SKETCHES)}, got {sketch!r}")
    if len(frames) != seq.num_frames:
        raise InputError(f"{seq.num_frames} frames of parameters, but {len(frames)} video frames")
    T = seq.num_frames
    estimate = refine_smpl(seq, model, None, times=times, solve=False)
    if cycles == 0:
        return SmplLoopResult(estimate=estimate, result=estimate)
    image_size = tuple(np.asarray(frames[0]).shape[:2])
    models = [load_flow_model(n, w, device=device) for n, w in zip(config.flow.names, config.flow.weights)]
    need = smpl_refine_memory(estimate.poses, image_size, config, models, model.num_vertices)
    available = available_memory_bytes()
    part_frames = config.part_frames
    if part_frames == "auto":
        part_frames = auto_part_frames(need, T, available, 3 * config.part_overlap)
    parted = part_frames is not None and T > part_frames
    if keep_flows and parted:
        raise InputError(f"keep_flows keeps the flow of a video refined whole; this one is refined in parts of "
                         f"{part_frames} frames")
    note = memory_note(source, T, need, available, part_frames=part_frames, shortest_part=3 * config.part_overlap,
                       sliced_by="SmplSequence.frames")
    if note is not None:  # before the flow and the solves: a process stopped for lack of memory says nothing
        warnings.warn(note, MemoryNoteWarning, stacklevel=2)
    run = _Run(model, config, cycles, w_mesh_flow, sketch, device, seed, progress, keep_flows,
               person_scale(estimate.poses, image_size, config))
    if not parted:
        result, history, flows = run.cycles(seq, estimate, frames, models, times)
        return SmplLoopResult(estimate=estimate, result=result, history=history, flows=flows)
    parts = plan_parts(T, part_frames, config.part_overlap)
    start_states = [copy.deepcopy(m.state_dict()) for m in models]
    refined: list[SmplRefineResult] = []
    histories: list[list[dict]] = []
    for i, part in enumerate(parts):
        for network, state in zip(models, start_states):
            network.load_state_dict(state)
        part_seq = seq.frames(part.start, part.stop)
        if refined:  # the frames it shares with the previous part: that part's refined parameters
            previous = parts[i - 1]
            part_seq = anchored_smpl(part_seq, refined[-1].smpl.frames(part.start - previous.start,
                                                                        previous.stop - previous.start))
        part_times = None if times is None else times[part.start:part.stop]
        part_estimate = refine_smpl(part_seq, model, None, times=part_times, solve=False)
        result, history, _ = run.cycles(part_seq, part_estimate, frames_of(frames, part.start, part.stop), models,
                                        part_times)
        refined.append(replace(result, vertices=np.empty((0,), np.float32)))  # the joined model gives the vertices
        histories.append(history)
        del result, part_estimate
    joined = join_smpl(seq, parts, [r.smpl for r in refined], config.part_overlap)
    history = joined_history(parts, histories)
    result = replace(refine_smpl(joined, model, None, times=times, solve=False), losses=history[-1]["losses"],
                     steps=sum(r.steps for r in refined), seconds=sum(r.seconds for r in refined))
    return SmplLoopResult(estimate=estimate, result=result, history=history, part_frames=part_frames)


@dataclass(frozen=True)
class _Run:
    """What every part of one refinement shares (the arguments of :func:`refine_smpl_frames`; ``scale``: the
    person's size over the reference's, of the whole video)."""

    model: BodyModel
    config: RefineConfig
    num_cycles: int
    w_mesh_flow: float
    sketch: str
    device: str
    seed: int
    progress: bool
    keep_flows: bool
    scale: float

    def cycles(
        self, seq: SmplSequence, estimate: SmplRefineResult, frames, models: list, times: np.ndarray | None
    ) -> tuple[SmplRefineResult, list[dict], list[FlowField]]:
        """The flow-pose cycles on ``seq`` (a video or a part), from its evaluated ``estimate``: the last cycle's
        refinement, the history, and the flows when kept (module docstring)."""
        config, model = self.config, self.model
        image_size = tuple(np.asarray(frames[0]).shape[:2])
        poses = estimate.poses
        stage = FlowStage(models, frames, crop_boxes(poses, image_size, config), config, device=self.device,
                          progress=self.progress, keep_backward=True)
        flow = stage.initial()
        flows = [flow] if self.keep_flows else []
        smpl_config = smpl_stage_config(poses, image_size, config, self.w_mesh_flow, self.scale)
        # The flow-free fit against which each cycle's flow is assessed, as the joints loop does (reliability.py).
        smooth = None
        if config.flow_sigma_factor is not None:
            smooth = refine_smpl(seq, model, None, smpl_config, times=times).poses
        conf = poses.confidence()
        body_parts = model.parts()
        result = estimate
        solved_flow = None
        history = []
        for k in range(1, self.num_cycles + 1):
            t0 = time.perf_counter()
            if stage.can_train():
                current = result

                def draw(grid: FlowField, fit: SmplRefineResult = current) -> Sketch:
                    return sketch_mesh_motion(fit.vertices, model.faces, seq.K, body_parts, grid, config.sketch)

                flow, _, _ = stage.cycle(poses, conf, flow, seed=self.seed + k,
                                         draw=draw if self.sketch == "mesh" else None)
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
            if self.keep_flows:
                flows.append(flow)
            history.append(record | {"losses": result.losses, "steps": steps, "seconds": time.perf_counter() - t0})
        return result, history, flows
