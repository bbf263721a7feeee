"""Speed and memory of the refinement: time per stage, the cost of a whole refinement relative to one plain
inference pass of the same flow network, and the peak memory of long videos.

Memory is measured in a fresh (spawned) process per job, so one job's allocations cannot hide another's: the
peak resident set (everything: Python, NumPy, torch, OpenCV; see :func:`_rss_mb`) at the job's start and at
its end, and
the peak of :mod:`tracemalloc` (allocations through Python's allocator, NumPy arrays included, torch tensors
not).
"""

from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable

import numpy as np

from flowpose.api import held_in_memory, refine
from flowpose.config import RefineConfig, get_preset, with_cycles
from flowpose.flow.field import FlowField
from flowpose.flow.infer import compute_video_flow, plan_grids
from flowpose.flow.registry import load_flow_model
from flowpose.io.motion import load_motion, resample
from flowpose.io.video import open_video
from flowpose.io.video_writer import write_video
from flowpose.pose import PoseSequence
from flowpose.refinement.loop import crop_boxes, seed_everything
from flowpose.refinement.memory import refine_memory
from flowpose.refinement.optimize import optimize_poses
from flowpose.synth.clip import SynthClip, SynthConfig, fit_distance
from flowpose.synth.noise import simulate_estimates
from flowpose.synth.placement import default_intrinsics, place_in_camera

STAGES = ("flow_inference", "sketch", "finetune", "pose")


def plain_pass_seconds(model, frames: np.ndarray, poses: PoseSequence, config: RefineConfig, device: str) -> float:
    """Wall time of one forward-only inference pass of ``model`` over a clip, on the refinement's crops.

    This is what running the flow network alone costs: no backward flow (the refinement also computes it for
    the confidence), no fine-tuning. One pair is run first as a warm-up.

    Args:
        model: a flow backend on ``device``.
        frames: (T, H, W, 3) uint8.
        poses: the initial estimate (sets the crops).
        config: the refinement config (crop size, iterations, batch size).
        device: torch device.

    Returns:
        Seconds for the T - 1 pairs.
    """
    boxes = crop_boxes(poses, frames.shape[1:3], config)
    work = config.flow.work_size if boxes is not None else None
    args = dict(work_size=work, iters=config.flow.iters, batch_size=config.flow.batch_size, backward=False, device=device)
    compute_video_flow(model, frames[:2], boxes=None if boxes is None else boxes[:1], **args)
    start = time.perf_counter()
    compute_video_flow(model, frames, boxes=boxes, **args)
    return time.perf_counter() - start


def refinement_speed(
    clip: SynthClip, config: RefineConfig, *, backend: str, weights: str | None, device: str = "cpu", seed: int = 0
) -> dict[str, Any]:
    """Time a full refinement with one flow backend and one plain inference pass of the same network.

    Args:
        clip: the clip (frames and initial estimate).
        config: the refinement config; its flow backends are replaced by ``backend``.
        backend: a flow backend name; weights: its weights (``"random"`` times the same network).
        device: torch device; seed: refinement seed.

    Returns:
        ``backend``, ``frames``, ``cycles``, ``stage_seconds`` (summed over cycles), ``refine_seconds``
        (wall time of :func:`flowpose.refine`), ``plain_seconds``, ``ratio`` (refine / plain) and the
        seconds per frame of both.
    """
    config = replace(config, flow=replace(config.flow, names=(backend,), weights=(weights,)))
    frames = clip.rendered.frames
    model = load_flow_model(backend, weights, device=device)
    plain = plain_pass_seconds(model, frames, clip.estimate, config, device)
    seed_everything(seed)
    start = time.perf_counter()
    result = refine(clip.estimate, frames, config=config, flow_models=[model], device=device, seed=seed)
    total = time.perf_counter() - start
    stages = {s: float(sum(r.seconds.get(s, 0.0) for r in result.history)) for s in STAGES}
    T = len(frames)
    return {
        "backend": backend, "weights": weights, "frames": T, "cycles": config.cycles,
        "work_size": config.flow.work_size, "stage_seconds": stages, "refine_seconds": total,
        "plain_seconds": plain, "ratio": total / plain, "refine_s_per_frame": total / T, "plain_s_per_frame": plain / T,
    }


def long_estimate(motion_path: Path, *, frames: int, size: int, seed: int = 0) -> PoseSequence:
    """A simulated ``metro`` estimate of a long video, without rendering (the pose stage needs no pixels).

    The motion is resampled to 30 fps and played forwards and backwards until it has ``frames`` frames.
    """
    motion = resample(load_motion(motion_path), 30.0)
    j = motion.joints
    reps = int(np.ceil(frames / max(len(j) - 1, 1))) + 1
    pingpong = np.concatenate([j if k % 2 == 0 else j[::-1] for k in range(reps)])[:frames]
    K = default_intrinsics(size, size)
    cam = place_in_camera(pingpong, distance_m=fit_distance(pingpong, K, SynthConfig(frames=None, size=size)))
    return simulate_estimates(cam, K, fps=30.0, profile="metro", seed=seed)


def crop_flow_of(poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig) -> FlowField:
    """A crop :class:`FlowField` like the refinement's, holding each pair's mean 2D joint motion everywhere.

    The values only need to be plausible: this field is for measuring the pose stage's time and memory.

    Args:
        poses: the estimate (its 2D keypoints set the crops and the motion).
        image_size: (H, W) of the video.
        config: crop settings (``config.flow``).

    Returns:
        (T - 1) pairs on ``config.flow.work_size`` square crops, confidence 1.
    """
    H, W = image_size
    boxes = crop_boxes(poses, (H, W), config)
    origins, scales, (h, w) = plan_grids(boxes, config.flow.work_size, (H, W), poses.num_frames - 1)
    motion = np.nan_to_num(np.nanmean(poses.joints2d[1:] - poses.joints2d[:-1], axis=1))  # (P, 2)
    flow = np.broadcast_to(motion[:, None, None, :], (len(motion), h, w, 2)).astype(np.float32)
    return FlowField(flow, np.ones(flow.shape[:3], np.float32), origins, scales, (H, W))


def _rss_mb() -> float:
    """Peak resident set of this process so far, MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``, the high-water mark of this process's own memory map.
    ``ru_maxrss`` is not used there because it survives ``exec``: a spawned child would report its parent's
    size at the fork. Elsewhere: ``ru_maxrss`` (KiB on Linux/BSD, bytes on macOS; treated as KiB).
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _measured(job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    rss0 = _rss_mb()
    tracemalloc.start()
    start = time.perf_counter()
    out = job()
    seconds = time.perf_counter() - start
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {**out, "seconds": seconds, "rss_start_mb": rss0, "rss_peak_mb": _rss_mb(), "tracemalloc_peak_mb": traced / 2**20}


def pose_stage_memory_job(motion_path: str, frames: int, size: int, preset: str, max_steps: int | None) -> dict[str, Any]:
    """(Run in a child.) The pose stage alone on a ``frames``-frame estimate with a crop flow field."""
    config = get_preset(preset)
    poses = long_estimate(Path(motion_path), frames=frames, size=size)
    field = crop_flow_of(poses, (size, size), config)
    pose_cfg = config.pose if max_steps is None else replace(config.pose, max_steps=max_steps)

    def job() -> dict[str, Any]:
        res = optimize_poses(poses, field, pose_cfg)
        return {"job": "pose stage", "frames": frames, "steps": res.steps, "flow_mb": field.flow.nbytes / 2**20}

    return _measured(job)


def flow_memory_job(frames: int, size: int, backend: str, weights: str | None, iters: int) -> dict[str, Any]:
    """(Run in a child.) Flow inference with backward flow on a lazily read ``frames``-frame video of
    ``size`` x ``size`` moving noise, full frame."""
    rng = np.random.default_rng(0)
    texture = (rng.random((size * 2, size * 2, 3)) * 255).astype(np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.mp4"
        write_video(path, (np.roll(texture, (t % size, 2 * t % size), (0, 1))[:size, :size] for t in range(frames)), 30.0)
        reader = open_video(path)
        model = load_flow_model(backend, weights)

        def job() -> dict[str, Any]:
            field = compute_video_flow(model, reader, iters=iters, backward=True)
            return {"job": f"flow inference ({backend})", "frames": len(reader), "flow_mb": field.flow.nbytes / 2**20}

        return _measured(job)


def refine_memory_job(
    motion_path: str,
    frames: int,
    size: int,
    preset: str,
    cycles: int,
    part_frames: int | None = None,
    keep_flow: bool = True,
) -> dict[str, Any]:
    """(Run in a child.) The whole refinement with the preset's default flow on a ``frames``-frame video of
    ``size`` x ``size`` moving noise (a ``metro`` estimate of a looped motion capture clip as the poses):
    decoding, flow inference, the encoder cache, fine-tuning and the pose stage together; in parts of
    ``part_frames`` frames where given (``RefineConfig.part_frames``); the refined flow kept or not (``keep_flow``)."""
    poses = long_estimate(Path(motion_path), frames=frames, size=size)
    rng = np.random.default_rng(0)
    texture = (rng.random((size * 2, size * 2, 3)) * 255).astype(np.uint8)
    config = replace(with_cycles(get_preset(preset), cycles), part_frames=part_frames)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.mp4"
        write_video(path, (np.roll(texture, (t % size, 2 * t % size), (0, 1))[:size, :size] for t in range(frames)), 30.0)

        def job() -> dict[str, Any]:
            models = [load_flow_model(n, w) for n, w in zip(config.flow.names, config.flow.weights)]
            # refine decodes a video this small into memory before it foresees the rest (flowpose.api).
            decoded = frames * size * size * 3 if held_in_memory(frames, (size, size)) else 0
            need = refine_memory(poses, (size, size), config, models, keep_flow=keep_flow)
            foreseen = decoded + need.bytes(frames, part_frames)
            with open_video(path) as reader:
                result = refine(poses, reader, config=config, flow_models=models, keep_flow=keep_flow)
            parts = "" if part_frames is None else f", parts of {part_frames}"
            kept = "" if keep_flow else ", flow not kept"
            return {"job": f"refine ({preset}, {cycles} cycles, {'+'.join(config.flow.names)}{parts}{kept})",
                    "frames": frames, "flow_mb": 0.0 if result.flow is None else result.flow.flow.nbytes / 2**20,
                    "foreseen_mb": foreseen / 2**20}

        return _measured(job)


def smpl_memory_job(frames: int, size: int, preset: str, rings_per_bone: int, layout: str = "smpl",
                    part_frames: int | None = None) -> dict[str, Any]:
    """(Run in a child.) An SMPL refinement (:func:`flowpose.body.loop.refine_smpl_frames`, one cycle: its caches
    do not grow with cycles) of the generated stand-in model (``rings_per_bone`` sets its vertices; ``layout``
    ``"smpl"`` or ``"smplx"``, whose face and hands move as the estimate gives them) in
    ``frames`` frames of ``size`` x ``size`` moving noise, with the preset's flow, read lazily as ``refine --smpl``
    reads a video, whole or in parts of ``part_frames`` frames (``RefineConfig.part_frames``); the growth beside what
    :func:`flowpose.body.memory.smpl_refine_memory` foresees."""
    from flowpose.body.layouts import SMPL, SMPLX
    from flowpose.body.loop import refine_smpl_frames
    from flowpose.body.memory import smpl_refine_memory
    from flowpose.body.model import load_body_model
    from flowpose.body.refine import refine_smpl
    from flowpose.body.standin import write_standin
    from flowpose.body.synth import perturb, smpl_motion

    body = {"smpl": SMPL, "smplx": SMPLX}[layout]
    config = replace(with_cycles(get_preset(preset), 1), part_frames=part_frames)
    rng = np.random.default_rng(0)
    texture = (rng.random((size * 2, size * 2, 3)) * 255).astype(np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        model = load_body_model(write_standin(Path(tmp) / "standin.pkl", rings_per_bone=rings_per_bone, layout=body))
        seq = perturb(smpl_motion(frames, layout=body))
        path = Path(tmp) / "long.mp4"
        write_video(path, (np.roll(texture, (t % size, 2 * t % size), (0, 1))[:size, :size] for t in range(frames)), 30.0)
        vertices = model.num_vertices

        def job() -> dict[str, Any]:
            models = [load_flow_model(n, w) for n, w in zip(config.flow.names, config.flow.weights)]
            poses = refine_smpl(seq, model, None, solve=False).poses
            need = smpl_refine_memory(poses, (size, size), config, models, vertices)
            foreseen = need.bytes(frames, part_frames)
            with open_video(path) as reader:
                refine_smpl_frames(seq, model, reader, config, cycles=1)
            parts = "" if part_frames is None else f", parts of {part_frames}"
            return {"job": f"refine --smpl ({preset}, 1 cycle, {'+'.join(config.flow.names)}, {layout} stand-in, "
                           f"{vertices} vertices{parts})",
                    "frames": frames, "flow_mb": 0.0, "foreseen_mb": foreseen / 2**20}

        return _measured(job)


def in_fresh_process(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a new spawned Python process and return its result (exceptions propagate)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()
