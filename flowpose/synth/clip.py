"""A synthetic clip with exact ground truth: motion capture -> camera placement -> rendering -> simulated
estimator output. What ``flowpose synth`` writes and what the benchmarks measure on."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from flowpose.errors import InputError
from flowpose.io.groundtruth import GroundTruth, save_gt
from flowpose.io.motion import Motion, load_motion, resample
from flowpose.io.outdir import check_output_folder, write_output_folder
from flowpose.io.poses import save_poses
from flowpose.io.video_writer import write_video
from flowpose.pose import PoseSequence
from flowpose.synth.noise import PROFILES, simulate_estimates
from flowpose.synth.placement import default_intrinsics, place_in_camera
from flowpose.synth.render import RenderConfig, RenderedClip, render_clip

MAX_SIZE = 4096
"""The largest image side ``synth`` renders, px (a 4K frame; each frame is held in memory)."""
MAX_PITCH_DEG = 60.0
"""The steepest camera ``synth`` renders, degrees down or up."""
MAX_FPS = 1000.0
"""The highest frame rate ``synth`` renders (a high-speed camera's; the simulated errors' smoothing kernels grow
with it)."""


@dataclass(frozen=True)
class SynthConfig:
    """How a motion becomes a clip."""

    frames: int | None = 100
    """Frames to keep after resampling (from ``start``); None keeps the whole motion."""
    shorter_ok: bool = False
    """A motion shorter than ``frames`` (from ``start``) is kept whole instead of refused: ``flowpose synth``
    without ``--frames``."""
    start: int = 0
    """First frame kept, after resampling."""
    fps: float = 30.0
    """Output frame rate; the motion is resampled to it."""
    size: int = 256
    """Square image side in pixels."""
    fov_deg: float = 55.0
    """Horizontal field of view of the camera."""
    fill: float = 0.7
    """The person's whole trajectory spans at most this fraction of the image: sets the camera distance."""
    min_distance_m: float = 2.5
    """Nearest the person's mean position may come to the camera."""
    yaw_deg: float = 0.0
    """Extra turn of the person about the vertical (0: facing the camera)."""
    pitch_deg: float = 0.0
    """How far the camera looks down at the person, degrees (0: level, at the height of their mean body centre;
    :func:`~flowpose.synth.placement.place_in_camera`)."""
    profile: str = "metro"
    """Simulated estimator, a key of :data:`flowpose.synth.noise.PROFILES`."""
    seed: int = 0
    """Seeds textures, camera motion and the estimator's errors."""
    render: RenderConfig = field(default_factory=RenderConfig)
    """Renderer options; its ``size`` is overridden by ``size``."""

    def __post_init__(self) -> None:
        if self.frames is not None and self.frames < 2:
            raise InputError(f"SynthConfig.frames must be at least 2, got {self.frames}")
        if self.start < 0:
            raise InputError(f"SynthConfig.start must be >= 0, got {self.start}")
        if self.profile not in PROFILES:
            raise InputError(f"unknown estimator profile {self.profile!r}; choose from {sorted(PROFILES)}")
        if not 0.0 < self.fill <= 1.0:
            raise InputError(f"SynthConfig.fill must be in (0, 1], got {self.fill}")
        if not 32 <= self.size <= MAX_SIZE:
            raise InputError(f"SynthConfig.size must be 32 to {MAX_SIZE} pixels, got {self.size}")
        if not abs(self.pitch_deg) <= MAX_PITCH_DEG:
            raise InputError(f"SynthConfig.pitch_deg must be within ±{MAX_PITCH_DEG:g} degrees, got {self.pitch_deg}")
        if not 0 < self.fps <= MAX_FPS:
            raise InputError(f"SynthConfig.fps must be in (0, {MAX_FPS:g}] frames per second, got {self.fps}")


@dataclass(frozen=True)
class SynthClip:
    """A rendered clip with its ground truth and the simulated estimate."""

    rendered: RenderedClip
    estimate: PoseSequence

    @property
    def gt(self) -> GroundTruth:
        """The ground truth in the file format's form."""
        r = self.rendered
        return GroundTruth(r.joints3d, r.joints2d, r.K, r.flow, r.flow_valid, r.human_mask, r.fps)


def fit_distance(joints_world: np.ndarray, K: np.ndarray, config: SynthConfig) -> float:
    """Camera distance (m) at which the whole trajectory fits ``config.fill`` of the image.

    Args:
        joints_world: (T, 17, 3) world metres, Y up.
        K: (3, 3) intrinsics.
        config: image size and fill fraction.

    Returns:
        The depth of the clip's mean position, at least ``config.min_distance_m``.
    """
    centred = place_in_camera(joints_world, distance_m=10.0, yaw_deg=config.yaw_deg, pitch_deg=config.pitch_deg)
    centred = centred - centred.reshape(-1, 3).mean(0)
    extent = np.abs(centred[..., :2]).max(axis=(0, 1))  # half-extent (x, y), metres
    half_px = 0.5 * config.fill * config.size
    need = max(K[0, 0] * extent[0], K[1, 1] * extent[1]) / half_px
    # The extent is measured at the mean depth; nearer joints look bigger, so add the depth half-range.
    return float(max(need + np.abs(centred[..., 2]).max(), config.min_distance_m))


def make_clip(motion: Motion, config: SynthConfig = SynthConfig()) -> SynthClip:
    """Render a motion and simulate an estimator on it.

    Args:
        motion: H36M-17 world motion, Y up.
        config: clip options.

    Returns:
        The rendered clip with exact ground truth and the simulated estimate.

    Raises:
        InputError: when the motion is shorter than the frames asked for (2 at least with ``shorter_ok``).
    """
    m = resample(motion, config.fps) if abs(motion.fps - config.fps) > 1e-6 else motion
    stop = None if config.frames is None else config.start + config.frames
    joints = m.joints[config.start : stop]
    if len(joints) < 2 or (config.frames is not None and len(joints) < config.frames and not config.shorter_ok):
        raise InputError(
            f"{motion.source}: {len(m.joints)} frames at {config.fps:g} fps, fewer than start {config.start} + "
            f"frames {config.frames}"
        )
    K = default_intrinsics(config.size, config.size, config.fov_deg)
    distance = fit_distance(joints, K, config)
    cam = place_in_camera(joints, distance_m=distance, yaw_deg=config.yaw_deg, pitch_deg=config.pitch_deg)
    # Keep the background well behind the person whatever the distance.
    background = max(config.render.background_depth_m, float(cam[..., 2].max()) + 3.0)
    render_cfg = replace(config.render, size=config.size, background_depth_m=background)
    rendered = render_clip(cam, K, fps=config.fps, config=render_cfg, seed=config.seed)
    estimate = simulate_estimates(rendered.joints3d, rendered.K, fps=config.fps, profile=config.profile, seed=config.seed)
    return SynthClip(rendered, estimate)


def synthesize(
    motion_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    config: SynthConfig,
    *,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write the folder ``out_dir`` with ``video.mp4``, ``video.poses.npz`` and ``gt.npz`` (``flowpose synth``).

    Same inputs and seed give the same bytes. The folder follows :mod:`flowpose.io.outdir`: it is new (or,
    with ``overwrite``, one that flowpose wrote), checked before rendering, and appears whole.

    Args:
        motion_path: a ``.bvh`` or ``.npz`` motion (see :func:`flowpose.io.motion.load_motion`).
        out_dir: output folder.
        config: clip options.
        overwrite: replace a folder that flowpose wrote earlier.

    Returns:
        The written paths by role: ``video``, ``poses``, ``gt``.

    Raises:
        InputError: for a refused output folder or an unusable motion.
    """
    check_output_folder(out_dir, overwrite=overwrite, inputs=[motion_path])
    clip = make_clip(load_motion(motion_path), config)
    names = {"video": "video.mp4", "poses": "video.poses.npz", "gt": "gt.npz"}

    def fill(tmp: Path) -> None:
        write_video(tmp / names["video"], clip.rendered.frames, clip.rendered.fps)
        save_poses(clip.estimate, tmp / names["poses"])
        save_gt(clip.gt, tmp / names["gt"])

    out = write_output_folder(out_dir, fill, overwrite=overwrite, inputs=[motion_path])
    return {role: out / name for role, name in names.items()}
