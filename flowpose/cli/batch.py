"""``flowpose batch``: many videos refined, resumably, on this machine or a Ray cluster."""

from __future__ import annotations

from pathlib import Path

import click

from flowpose.cli.options import (
    FocalLength,
    camera_place_from_options,
    camera_place_options,
    floor_contact_option,
    floor_option,
    fps_option,
    part_frames_option,
    refine_config_from_options,
    refuse_unused,
    with_floor_contact,
    without_flow_option,
)
from flowpose.cli.shell import SEED, main, user_errors
from flowpose.errors import InputError
from flowpose.io.stops import Stopped


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Folder of results (one per video).")
@click.option("--cycles", type=int, default=3, show_default=True, help="Flow-pose cycles.")
@click.option("--flow", default=None, help="Flow network: raft, raft-small, gma or dis. Default: the preset's.")
@click.option("--flow-weights", default=None, help="Checkpoint file, registry name, or 'random'.")
@click.option("--preset", default="fast", show_default=True,
              help="Configuration preset: fast (DIS flow, nothing fine-tuned) or quality (RAFT-small, fine-tuned).")
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of fine-tuning and optimisation.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Videos refined at once on this machine [default: half the CPU cores, at most 4].",
)
@click.option(
    "--ray",
    "ray_address",
    default=None,
    help="Run on a Ray cluster instead: auto, ray://HOST:10001, or local (needs flowpose[cluster]).",
)
@click.option(
    "--intrinsics",
    type=click.Path(path_type=Path),
    default=None,
    help="A calibration: each video's camera is the one named as the video in a multi-camera file (Pose2Sim's or "
    "anipose's .toml, Qualisys's .qca.txt, EasyMocap's intri.yml), or the one camera of any K file (refine --intrinsics).",
)
@click.option(
    "--focal-px",
    type=FocalLength(),
    default=None,
    metavar="F|auto",
    help="Without --intrinsics: every video's focal length in pixels (principal point at the image centre), or auto: "
    "each read from its own scene's lines (refine --focal-px auto).",
)
@floor_option
@floor_contact_option
@camera_place_options
@fps_option
@without_flow_option
@part_frames_option
@user_errors
def batch(
    source: Path,
    out_dir: Path,
    cycles: int,
    flow: str | None,
    flow_weights: str | None,
    preset: str,
    device: str,
    seed: int,
    jobs: int | None,
    ray_address: str | None,
    intrinsics: Path | None,
    focal_px: float | str | None,
    floor_z: float | None,
    floor_contact: bool,
    camera_height: float | None,
    camera_tilt: str | None,
    fps: float | None,
    without_flow: bool,
    part_frames: int | str | None,
) -> None:
    """Refine many videos: SOURCE is a folder of videos (each with its VIDEO.poses.npz, or every person of its
    VIDEO.people/ folder) or a manifest (one "VIDEO [POSES [GT]]" per line; POSES may be a folder of pose files, or
    - for the sidecar; GT, a ground truth, adds MPJPE and PA-MPJPE to the summary).

    Writes OUT/<video stem>/ per video (OUT/<video stem>.<person>/ per person of a video refined for several)
    and OUT/summary.csv. Resumable: finished videos are skipped. A video that
    fails is reported and the others go on; the exit code is 1 if any failed.
    """
    from flowpose.app.batch import NOTE_SEPARATOR, SUMMARY, batch_folder
    from flowpose.app.inputs import video_stem
    from flowpose.app.refine_video import RefineVideoJob, repeated_cycles_note

    if ray_address is not None:
        refuse_unused(("jobs",), "not used with --ray, whose cluster runs as many videos at once as it has room for")
    config = refine_config_from_options(preset, flow, flow_weights, without_flow, part_frames)
    from flowpose.io.intrinsics import CameraOptions

    if intrinsics is not None and focal_px is not None:
        raise InputError("--intrinsics and --focal-px both give the camera: pass one")
    camera = None
    if intrinsics is not None or focal_px is not None:
        auto = focal_px == "auto"
        camera = CameraOptions(intrinsics=intrinsics, focal_px=None if auto else focal_px, focal_from_scene=auto)
    place = camera_place_from_options(camera_height, camera_tilt)  # every video's camera (one tripod), for the floor
    if place is not None and floor_z is None:
        floor_z = 0.0
    config = with_floor_contact(config, floor_z, floor_contact)
    job = RefineVideoJob(video=source, config=config, cycles=cycles, device=device, seed=seed, fps=fps, camera=camera,
                         floor_z=floor_z, camera_place=place)

    refined: list[str] = []
    shared = [n for n in [repeated_cycles_note(config, cycles)] if n is not None]  # said once, before the first row

    def report(row: dict[str, str]) -> None:
        while shared:
            click.echo(shared.pop())
        note = f": {row['error']}" if row["error"] else ""
        video, results = Path(row["video"]), Path(row["results"]).name
        which = "" if results == video_stem(video) else f" as {results}"
        scored = f", MPJPE {row['mpjpe_init']} -> {row['mpjpe_final']} mm" if row.get("mpjpe_final") else ""
        click.echo(f"{row['status']:>22}  {video}{which} ({row['seconds']} s{scored}){note}")
        for told in filter(None, row.get("notes", "").split(NOTE_SEPARATOR)):
            click.echo(f"{'':>24}{told}")
        if row["status"] == "done":
            refined.append(row["video"])

    try:
        rows = batch_folder(source, out_dir, job, jobs=jobs, ray_address=ray_address, report=report,
                           tell=click.echo)
    except (Stopped, KeyboardInterrupt) as stop:
        why, code = (str(stop), 128 + stop.signum) if isinstance(stop, Stopped) else ("interrupted", 130)
        done = f"the {len(refined)} video(s) refined before it are in {out_dir}" if refined else "no video was refined"
        click.echo(f"error: {why}; {done}, the others were not written (run the same command again to go on)",
                   err=True)
        raise SystemExit(code) from None
    failed = sum(r["status"] == "failed" for r in rows)
    videos = len({r["video"] for r in rows})
    what = "videos" if videos == len(rows) else f"pose files ({videos} video{'' if videos == 1 else 's'})"
    click.echo(f"wrote {out_dir / SUMMARY}: {len(rows) - failed} of {len(rows)} {what} refined or done before")
    scored = [r for r in rows if r.get("mpjpe_final") and r.get("pa_mpjpe_final")]
    if scored:
        mean = {k: sum(float(r[k]) for r in scored) / len(scored)
                for k in ("mpjpe_init", "mpjpe_final", "pa_mpjpe_init", "pa_mpjpe_final")}
        click.echo(f"against their ground truth, the mean of {len(scored)}: MPJPE {mean['mpjpe_init']:.1f} -> "
                   f"{mean['mpjpe_final']:.1f} mm, PA-MPJPE {mean['pa_mpjpe_init']:.1f} -> "
                   f"{mean['pa_mpjpe_final']:.1f} mm")
    if failed:
        raise SystemExit(1)
