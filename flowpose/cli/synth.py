"""``flowpose synth``: a motion-capture clip rendered with exact ground truth and simulated estimates."""

from __future__ import annotations

from pathlib import Path

import click

from flowpose.cli.shell import SEED, main, user_errors

PROFILE_NAMES = ("mediapipe", "hmr", "metro", "spin", "clean")
"""The names of :data:`flowpose.synth.noise.PROFILES`, realistic first, written out so that the command line
starts without importing torch."""

DEFAULT_FRAMES = 100
"""The frames ``synth`` renders without ``--frames`` (:class:`flowpose.synth.clip.SynthConfig`'s default), or all
of a shorter motion."""

SIZES = click.IntRange(32, 4096)
"""The image sides :class:`flowpose.synth.clip.SynthConfig` accepts (``MAX_SIZE``), checked by click so that the
message names the option."""
FRAME_RATES = click.FloatRange(0.0, 1000.0, min_open=True)
"""The frame rates :class:`~flowpose.synth.clip.SynthConfig` accepts (``MAX_FPS``)."""


@main.command()
@click.argument("motion", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder (new).")
@click.option("--overwrite", is_flag=True, help="Replace an output folder that flowpose wrote earlier.")
@click.option("--frames", type=click.IntRange(min=2), default=None,
              help=f"Frames to render. Default: {DEFAULT_FRAMES}, or all of a shorter motion.")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True,
              help="First frame (after resampling).")
@click.option("--size", type=SIZES, default=256, show_default=True, help="Square image side, pixels.")
@click.option("--fps", type=FRAME_RATES, default=30.0, show_default=True, help="Output frame rate.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of textures and estimator errors.")
@click.option(
    "--profile",
    type=click.Choice(PROFILE_NAMES),
    default="metro",
    show_default=True,
    help="Simulated estimator: mediapipe or hmr are realistic (their 2D is the projection of their own erroneous "
    "3D, and limbs swap left for right in runs of frames); metro and spin have an independent 2D detector; clean "
    "errs by millimetres.",
)
@click.option("--camera-motion/--static-camera", default=False, show_default=True, help="Slow camera motion.")
@user_errors
def synth(
    motion: Path,
    out_dir: Path,
    overwrite: bool,
    frames: int,
    start: int,
    size: int,
    fps: float,
    seed: int,
    profile: str,
    camera_motion: bool,
) -> None:
    """Render MOTION (.bvh or .npz) as a video with exact ground truth and simulated estimates.

    MOTION: a BVH file (CMU's, AnimatedDrawings', flowpose export bvh's), or an .npz with joints3d (T, 17, 3)
    metres, y or z up or a camera frame's y down (a pose file serves), and fps.

    Writes the new folder OUT with video.mp4, video.poses.npz and gt.npz.
    """
    from dataclasses import replace

    from flowpose.io.poses import load_poses
    from flowpose.synth.clip import SynthConfig, synthesize
    from flowpose.synth.render import RenderConfig

    config = SynthConfig(
        frames=DEFAULT_FRAMES if frames is None else frames,
        shorter_ok=frames is None,
        start=start,
        size=size,
        fps=fps,
        seed=seed,
        profile=profile,
        render=replace(RenderConfig(), camera_motion=camera_motion),
    )
    paths = synthesize(motion, out_dir, config, overwrite=overwrite)
    for role, path in paths.items():
        click.echo(f"{role:6s} {path}")
    rendered = load_poses(paths["poses"]).num_frames
    if rendered < config.frames:
        click.echo(f"{motion}: {rendered} frames at {fps:g} fps from frame {start}, all rendered (fewer than "
                   f"{DEFAULT_FRAMES}; --frames N asks for N)")
