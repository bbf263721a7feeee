"""The public entry point: ``refine(poses, frames)``."""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Sequence, Union

import numpy as np
from torch import nn

from flowpose.camera_checks import off_image_note, scaled_camera_note
from flowpose.config import RefineConfig, get_preset, with_cycles
from flowpose.coverage import absent_joints_note, unobserved_note
from flowpose.errors import InputError, InputNoteWarning, MemoryNoteWarning, ShapeError
from flowpose.flow.registry import load_flow_model
from flowpose.frame_convention import frame_convention_note
from flowpose.io.groundtruth import GroundTruth, load_gt
from flowpose.io.poses import load_poses
from flowpose.io.video import VideoReader, VideoSegment, open_video
from flowpose.io.video_notes import frame_times, listed_note, rate_for, rotation_note, truncation_note
from flowpose.joint_map import to_h36m17
from flowpose.lens import pinhole_poses, through_lens, undistorted_frames
from flowpose.pose import PoseSequence
from flowpose.refinement.ensemble import average_poses
from flowpose.refinement.loop import seed_everything
from flowpose.refinement.memory import auto_part_frames, available_memory_bytes, memory_note, refine_memory
from flowpose.refinement.parts import refine_in_parts
from flowpose.refinement.result import RefineResult
from flowpose.skeleton import H36M17
from flowpose.truth_checks import ground_truth_note

PathLike = Union[str, os.PathLike]
PosesInput = Union[PoseSequence, PathLike, Sequence[Union[PoseSequence, PathLike]]]
FramesInput = Union[np.ndarray, Sequence[np.ndarray], PathLike, VideoReader]

IN_MEMORY_LIMIT_BYTES = 2 * 1024**3
"""Videos smaller than this are decoded once into memory (fine-tuning reads every frame several times);
longer ones stay lazy."""


def refine(
    poses: PosesInput,
    frames: FramesInput,
    *,
    cycles: int | None = None,
    config: RefineConfig | None = None,
    preset: str = "fast",
    gt: GroundTruth | PathLike | None = None,
    flow_models: Sequence[nn.Module] | None = None,
    device: str = "cpu",
    seed: int = 0,
    keep_flow_state: bool = False,
    keep_flow: bool = True,
    progress: bool = False,
) -> RefineResult:
    """Refine per-frame 3D poses of a video with optical flow, alternating flow and pose stages.

    Args:
        poses: the initial estimate: a :class:`PoseSequence`, a pose file (``.npz``/``.json``), or a list of
            either (an ensemble: averaged, confidence-weighted). Any registered skeleton; converted to H36M-17.
        frames: (T, H, W, 3) uint8 RGB array, a video file or image folder, or an open :class:`VideoReader`.
            A video with a frame rate of its own gives it to the poses (the motion priors are per second; a
            warning says when the poses' ``fps`` differed); with an array the poses' ``fps`` is used.
        cycles: number of flow-pose cycles; overrides ``config.cycles`` when given.
        config: the full configuration; default: the ``preset``.
        preset: name in :data:`flowpose.config.PRESETS`, used when ``config`` is None.
        gt: ground truth (object or ``gt.npz`` path; the 3D joints alone will do) for MPJPE (and, with dense
            flow ground truth, EPE) in the history.
        flow_models: ready flow backends to use (and fine-tune in place) instead of building
            ``config.flow.names``; for custom networks and tests.
        device: torch device, e.g. ``"cpu"`` or ``"cuda"``.
        seed: seed for fine-tuning and optimisation; equal seeds give equal results on one device.
        keep_flow_state: return the fine-tuned flow networks' state dicts in the result.
        keep_flow: return the refined flow (``result.flow``; None where False). A video refined in parts then never
            holds the whole video's flow, which is most of what its memory still grows by with the video's length.
        progress: show progress bars.

    Returns:
        :class:`RefineResult` with the refined poses (H36M-17), the refined flow and the per-cycle history. A video
        longer than ``config.part_frames`` is refined in overlapping parts and joined
        (:mod:`flowpose.refinement.parts`; ``"auto"``: where the memory available needs them), and
        ``result.part_frames`` says so.
        Poses with lens distortion (``dist``) are refined in the pinhole camera K (:mod:`flowpose.lens`): the
        frames undistorted, their 2D too and given back distorted; the flow is of the undistorted frames.

    Raises:
        InputError: unusable poses or video (wrong shapes, mismatched frame counts, fewer than 2 frames,
            nothing observed), unknown names; the message names the file.
        WeightsUnavailableError: flow weights that are neither local nor downloadable.

    Example:
        >>> result = refine("clip.poses.npz", "clip.mp4", cycles=3)  # doctest: +SKIP
        >>> result.history[-1].metrics["accel"]  # doctest: +SKIP
    """
    problem = device_problem(device)
    if problem is not None:
        raise InputError(f"device: {problem}")
    if not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**32:
        raise InputError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    if config is not None and not isinstance(config, RefineConfig):
        preset = f" (a preset by name: flowpose.config.get_preset({config!r}))" if isinstance(config, str) else ""
        raise InputError(f"config must be a flowpose.config.RefineConfig, got {type(config).__name__}{preset}")
    if cycles is not None and (isinstance(cycles, bool) or not isinstance(cycles, (int, np.integer))):
        raise InputError(f"cycles must be an integer >= 0, got {cycles!r}")
    if gt is not None and not isinstance(gt, (GroundTruth, str, os.PathLike)):
        raise InputError(f"gt must be a GroundTruth or a ground-truth file (gt.npz), got {type(gt).__name__}")
    cfg = config if config is not None else get_preset(preset)
    if cycles is not None:
        cfg = with_cycles(cfg, cycles)
    init = _as_h36m17(_load_pose_sources(poses))
    video, reader = _load_frames(frames)
    _check_match(init, video, frames, reader)
    lens = init.dist
    if lens is not None:  # refinement sees the pinhole camera K; its 2D goes back through the lens at the end
        init, video = pinhole_poses(init), undistorted_frames(video, init.K, lens)
    named = str(poses) if isinstance(poses, (str, os.PathLike)) else "poses"
    size = video.size if isinstance(video, VideoReader) else video.shape[1:3]
    camera = off_image_note(init, size, named) or scaled_camera_note(init, size, named)
    for note in (camera, frame_convention_note(init, named), unobserved_note(init, named),
                 absent_joints_note(init, named)):
        if note is not None:
            warnings.warn(note, InputNoteWarning, stacklevel=2)
    if reader is not None:
        fps, note = rate_for(init.fps, reader, named)
        if note is not None:
            warnings.warn(note, InputNoteWarning, stacklevel=2)
            init = replace(init, fps=fps)
        for note in (rotation_note(reader), truncation_note(reader)):
            if note is not None:
                warnings.warn(note, InputNoteWarning, stacklevel=2)
        times, timing = frame_times(reader, 0, len(reader), init.times)
        init = replace(init, times=times)
        if timing is not None:
            warnings.warn(timing, InputNoteWarning, stacklevel=2)
    truth = load_gt(gt) if isinstance(gt, (str, os.PathLike)) else gt
    truth = None if truth is None else truth.as_h36m17()  # scored in the joints refined
    if truth is not None and truth.joints3d.shape[:2] != (init.num_frames, H36M17.num_joints):
        raise ShapeError("ground-truth joints3d", f"({init.num_frames}, 17, 3)", truth.joints3d.shape, str(gt))
    gt_named = str(gt) if isinstance(gt, (str, os.PathLike)) else "gt"
    if truth is not None and (problem := truth.video_problem(init.num_frames, tuple(size))) is not None:
        raise InputError(f"{gt_named}: {problem}")
    if truth is not None and (note := ground_truth_note(init, truth, gt_named)) is not None:
        warnings.warn(note, InputNoteWarning, stacklevel=2)
    if truth is not None and lens is not None and truth.flow is not None:
        warnings.warn(f"{gt_named}: its flow is of the recorded frames, the refined flow of the undistorted ones "
                      "(the poses have lens distortion): no EPE", InputNoteWarning, stacklevel=2)
        truth = replace(truth, flow=None, flow_valid=None, human_mask=None)

    seed_everything(seed)
    models = list(flow_models) if flow_models is not None else [
        load_flow_model(name, weights, device=device) for name, weights in zip(cfg.flow.names, cfg.flow.weights)
    ]
    need = refine_memory(init, tuple(size), cfg, models, keep_flow=keep_flow)
    available = available_memory_bytes()
    if cfg.part_frames == "auto":
        cfg = replace(cfg, part_frames=auto_part_frames(need, init.num_frames, available, 3 * cfg.part_overlap))
    note = memory_note(_source_name(frames), init.num_frames, need, available,
                       part_frames=cfg.part_frames, shortest_part=3 * cfg.part_overlap)
    if note is not None:
        warnings.warn(note, MemoryNoteWarning, stacklevel=2)
    result = refine_in_parts(
        init, video, models, cfg, gt=truth, device=device, seed=seed, keep_flow_state=keep_flow_state,
        keep_flow=keep_flow, progress=progress,
    )
    return result if lens is None else replace(result, poses=through_lens(result.poses, lens))


def _load_pose_sources(poses: PosesInput) -> PoseSequence:
    if isinstance(poses, PoseSequence):
        return poses
    if isinstance(poses, (str, os.PathLike)):
        return load_poses(poses)
    if isinstance(poses, np.ndarray) or not isinstance(poses, Sequence) or not poses or not all(
            isinstance(p, (PoseSequence, str, os.PathLike)) for p in poses):
        got = f"an array of shape {poses.shape}" if isinstance(poses, np.ndarray) else repr(poses)[:80]
        raise InputError(f"poses must be a PoseSequence, a pose file, or a non-empty list of them; got {got} "
                         "(joints alone lack their camera: PoseSequence(joints3d=..., K=...))")
    sources = [p if isinstance(p, PoseSequence) else load_poses(p) for p in poses]
    return average_poses([_as_h36m17(s) for s in sources])


def _as_h36m17(poses: PoseSequence) -> PoseSequence:
    """Convert any registered skeleton to H36M-17; joints it cannot give become NaN (unobserved)."""
    if poses.skeleton == H36M17.name:
        return poses
    conf = poses.confidence()[..., None]
    return replace(
        poses,
        joints3d=to_h36m17(poses.joints3d, poses.skeleton, missing="nan"),
        joints2d=None if poses.joints2d is None else to_h36m17(poses.joints2d, poses.skeleton, missing="nan"),
        conf=np.nan_to_num(to_h36m17(conf, poses.skeleton, missing="nan")[..., 0], nan=0.0),
        skeleton=H36M17.name,
    )


def device_problem(device: object) -> str | None:
    """What is wrong with a torch device name on this machine, or None when it can be used.

    Example:
        >>> device_problem("cpu") is None, device_problem("tpu")
        (True, "expected 'cpu' or 'cuda' (or 'cuda:N'), got 'tpu'")
    """
    import torch

    if not isinstance(device, str) or not (device == "cpu" or device.split(":")[0] == "cuda"):
        return f"expected 'cpu' or 'cuda' (or 'cuda:N'), got {device!r}"
    if device.startswith("cuda") and not torch.cuda.is_available():
        return "CUDA is not available on this machine (torch.cuda.is_available() is False); use cpu"
    return None


MIN_FRAME_SIDE = 16
"""Smallest frame side (pixels) the flow networks can work on."""


def _load_frames(frames: FramesInput) -> tuple[np.ndarray | VideoReader, VideoReader | None]:
    """The frames as an array (or a lazy reader, for long videos), and the reader they came from, if any."""
    if isinstance(frames, (list, tuple)):
        try:
            frames = np.stack([np.asarray(f) for f in frames]) if len(frames) else np.zeros((0, 0, 0, 3), np.uint8)
        except ValueError as e:
            raise InputError(f"frames: a list of frames must hold (H, W, 3) uint8 arrays of one size: {e}") from None
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ShapeError("frames", "(T, H, W, 3) uint8 RGB", frames.shape)
        if frames.dtype != np.uint8:
            raise InputError(f"frames: expected uint8 RGB values, got {frames.dtype}")
        if min(frames.shape[1:3]) < MIN_FRAME_SIDE:
            raise InputError(
                f"frames: each frame must be at least {MIN_FRAME_SIDE}x{MIN_FRAME_SIDE} px, got "
                f"{frames.shape[1]}x{frames.shape[2]}"
            )
        return frames, None
    if not isinstance(frames, (str, os.PathLike, VideoReader)):
        raise InputError(
            "frames: expected a (T, H, W, 3) uint8 array, a list of frames, a video file, an image folder or a "
            f"VideoReader, got {type(frames).__name__}"
        )
    reader = frames if isinstance(frames, VideoReader) else open_video(Path(frames))
    if held_in_memory(len(reader), reader.size):
        return reader.read(), reader
    return reader, reader


def held_in_memory(num_frames: int, size: tuple[int, int]) -> bool:
    """Whether :func:`refine` decodes a video of ``num_frames`` frames of ``size`` (H, W) into memory before it
    starts (up to :data:`IN_MEMORY_LIMIT_BYTES`), rather than reading it lazily."""
    return num_frames * size[0] * size[1] * 3 <= IN_MEMORY_LIMIT_BYTES


def _source_name(source: FramesInput) -> str:
    """How messages name the frames given: the file, a segment of it, or ``frames`` (an array)."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, VideoSegment):
        return f"{source.path} (frames {source.start} to {source.stop - 1})"
    if isinstance(source, VideoReader):
        return str(source.path)
    return "frames"


def _check_match(
    init: PoseSequence, video: np.ndarray | VideoReader, source: FramesInput, reader: VideoReader | None
) -> None:
    T = len(video)
    name = _source_name(source)
    if T < 2:
        raise InputError(f"{name}: refinement needs at least 2 frames, got {T}")
    if init.num_frames != T:
        cut = "" if reader is None else listed_note(reader)
        raise InputError(
            f"{name}: the video has {T} frames but the poses have {init.num_frames}; they must match frame for frame"
            f"{cut or _segment_hint(init, T, source)}"
        )


def _segment_hint(init: PoseSequence, T: int, source: FramesInput) -> str:
    """How to give the poses of part of a video, where the poses have more frames than the T frames given."""
    if isinstance(source, VideoSegment) and init.num_frames == len(source.reader):
        return f" (the poses of the whole video: pass poses.slice({source.start}, {source.stop}))"
    if init.num_frames > T:
        return f" (frames of part of the video: pass the poses of those frames, poses.slice(start, start + {T}))"
    return ""
