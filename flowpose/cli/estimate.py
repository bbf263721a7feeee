"""``flowpose estimate``: initial 3D poses of a video from MediaPipe, offline, one person or everyone."""

from __future__ import annotations

from pathlib import Path

import click

from flowpose.cli.options import (
    camera_from_options,
    camera_options,
    estimate_config_from_options,
    estimator_options,
    refuse_unused,
    segment_options,
    show_progress,
)
from flowpose.cli.shell import main, user_errors


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Pose file to write (.npz or .json); a folder with --all-people. Default: VIDEO.poses.npz "
    "(VIDEO.people/ with --all-people) beside the video.",
)
@estimator_options
@click.option(
    "--all-people", is_flag=True, help="Write every person followed: one pose file each, and people.png."
)
@camera_options
@click.option("--overwrite", is_flag=True, help="Replace an output flowpose wrote earlier.")
@click.option("--quiet", is_flag=True, help="No progress bar (drawn only when stderr is a terminal).")
@segment_options
@user_errors
def estimate(
    video: Path,
    out_path: Path | None,
    track: bool,
    min_confidence: float,
    carry_frames: int,
    min_frames: int,
    looks: int,
    mirrored_2d: bool,
    max_people: int,
    person: str,
    all_people: bool,
    intrinsics: Path | None,
    camera_name: str | None,
    focal_px: float | str | None,
    fov: float | None,
    overwrite: bool,
    quiet: bool,
    start: int,
    num_frames: int | None,
    fps: float | None,
) -> None:
    """Estimate initial 3D poses of VIDEO with MediaPipe's pose landmarker (offline), following one person.

    Needs the optional extra: pip install "flowpose[estimate]". Every person is detected and followed; the
    chosen one (--person) is written. Poses are Human3.6M-17 in the camera frame (--intrinsics,
    --focal-px, or a guessed --fov), placed by least squares on the 2D landmarks.
    """
    from flowpose.app.estimate_video import EstimateVideoJob, estimate_video
    from flowpose.people.select import parse_person

    if all_people:
        refuse_unused(("person",), "not used with --all-people, which writes everyone")
    job = EstimateVideoJob(
        video=video,
        config=estimate_config_from_options(track, min_confidence, carry_frames, min_frames, looks, mirrored_2d,
                                        max_people),
        camera=camera_from_options(intrinsics, focal_px, fov, camera_name, video),
        out=out_path,
        person=parse_person(person),
        all_people=all_people,
        overwrite=overwrite,
        progress=show_progress(quiet),
        start=start,
        num_frames=num_frames,
        fps=fps,
    )
    for line in estimate_video(job).lines:
        click.echo(line)
