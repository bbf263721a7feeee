"""The ``flowpose`` command: a thin click shell over the API. No logic lives here.

Every :class:`~flowpose.errors.FlowposeError` becomes one line on stderr and exit code 2; warnings are
printed as one ``warning: ...`` line each.

``flowpose refine x/video.mp4`` reads the poses in ``x/video.poses.npz`` (unless ``--poses`` or ``--estimate``
says otherwise) and writes ``x/video.flowpose/`` (unless ``--out`` says otherwise): ``refined.npz``,
``refined.json``, ``history.json``, ``report.png`` and, with ``--viz``, ``overlay.mp4``. The folder appears
whole or not at all, and an existing one is replaced only with ``--overwrite``.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import warnings
from pathlib import Path
from typing import Callable, Iterator

import click

from flowpose.errors import FlowposeError, InputError


def user_errors(fn: Callable) -> Callable:
    """Turn flowpose's own errors into ``error: <message>`` on stderr and exit code 2, without a traceback.

    Numpy overflow raises (and is reported the same way) instead of printing a RuntimeWarning and going on
    with infinities. A stop signal (SIGTERM, SIGHUP) unwinds the command, so that its temporary outputs are
    removed, and exits with 128 + the signal's number.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003 - click passes the parsed options through
        import numpy as np

        from flowpose.io.outdir import Stopped, stop_signals_raise

        try:
            with _one_line_warnings(), np.errstate(over="raise"), stop_signals_raise():
                return fn(*args, **kwargs)
        except FlowposeError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except FloatingPointError as err:
            click.echo(f"error: numeric overflow ({err}): an input is out of range", err=True)
            sys.exit(2)
        except Stopped as stop:
            click.echo(f"error: {stop}; nothing was written", err=True)
            sys.exit(128 + stop.signum)

    return wrapper


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Show each distinct warning once, as ``warning: <message>`` on stderr (no file/line noise for users).

    ResourceWarning stays ignored, as Python has it by default: it is for developers, and a stop signal that
    interrupts an import or a read leaves a file to the garbage collector, which would warn about it.
    """
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001 - warnings API
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            click.echo(f"warning: {text}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.showwarning = show
        yield


class _OneLineGroup(click.Group):
    """A click group whose usage errors are one ``error: ...`` line on stderr too (exit 2), like flowpose's."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001, ANN003, ANN201 - click's signature
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as err:
            click.echo(f"error: {' '.join(err.format_message().split())}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("error: interrupted; nothing was written", err=True)
            sys.exit(130)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_OneLineGroup)
@click.version_option(package_name="flowpose")
def main() -> None:
    """flowpose: monocular 3D human pose refined with optical flow, per video, at inference time."""


SEED = click.IntRange(0, 2**32 - 1)
"""Seeds are what torch and numpy accept: 0 to 2**32 - 1."""


@main.command()
@click.argument("motion", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder (new).")
@click.option("--overwrite", is_flag=True, help="Replace an output folder that flowpose wrote earlier.")
@click.option("--frames", type=int, default=100, show_default=True, help="Frames to render.")
@click.option("--start", type=int, default=0, show_default=True, help="First frame (after resampling).")
@click.option("--size", type=int, default=256, show_default=True, help="Square image side, pixels.")
@click.option("--fps", type=float, default=30.0, show_default=True, help="Output frame rate.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of textures and estimator errors.")
@click.option(
    "--profile", default="metro", show_default=True, help="Simulated estimator: metro, spin or clean."
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

    Writes the new folder OUT with video.mp4, video.poses.npz and gt.npz.
    """
    from dataclasses import replace

    from flowpose.synth.clip import SynthConfig, synthesize
    from flowpose.synth.render import RenderConfig

    config = SynthConfig(
        frames=frames,
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


# --- shared options ---------------------------------------------------------------------------------------


def _segment_options(fn: Callable) -> Callable:
    fn = click.option(
        "--frames",
        "num_frames",
        type=int,
        default=None,
        help="Use at most this many frames from --start (default: to the end).",
    )(fn)
    return click.option("--start", type=int, default=0, show_default=True, help="First frame used.")(fn)


def _estimator_options(fn: Callable) -> Callable:
    fn = click.option(
        "--person",
        default="prominent",
        show_default=True,
        help="Whom to follow: prominent (biggest, surest, longest seen), largest, center, or a track id N "
        "(see people.png from estimate --all-people).",
    )(fn)
    fn = click.option(
        "--people",
        "max_people",
        type=click.IntRange(min=1),
        default=3,
        show_default=True,
        help="People looked for in each frame (1 is fastest).",
    )(fn)
    fn = click.option(
        "--min-confidence",
        type=float,
        default=0.5,
        show_default=True,
        help="MediaPipe's detection/tracking confidence threshold.",
    )(fn)
    fn = click.option(
        "--carry-frames",
        type=click.IntRange(min=0),
        default=10,
        show_default=True,
        help="Carry the person along the optical flow through misses of up to this many frames (0: leave them "
        "unobserved).",
    )(fn)
    fn = click.option(
        "--mirrored-2d",
        is_flag=True,
        help="Take the 2D keypoints from a second MediaPipe look at the mirrored crop (errs apart from the 3D; "
        "one extra MediaPipe run per frame).",
    )(fn)
    return click.option(
        "--track",
        is_flag=True,
        help="MediaPipe video mode: follow the person from frame to frame (finds more, in close-ups).",
    )(fn)


def _camera_options(fn: Callable) -> Callable:
    fn = click.option(
        "--fov",
        type=float,
        default=None,
        help="Horizontal field of view (across the image width), degrees: a guess when nothing else is known "
        "[default: 60].",
    )(fn)
    fn = click.option(
        "--focal-px",
        type=float,
        default=None,
        help="Focal length in pixels (principal point at the image centre).",
    )(fn)
    return click.option(
        "--intrinsics",
        type=click.Path(path_type=Path),
        default=None,
        help="Calibrated camera: 3x3 K or fx fy cx cy in .txt, .npy, .npz (key K) or .json.",
    )(fn)


def _camera(intrinsics: Path | None, focal_px: float | None, fov: float | None) -> "CameraOptions":  # noqa: F821
    from flowpose.io.intrinsics import CameraOptions

    return CameraOptions(intrinsics=intrinsics, focal_px=focal_px, fov_deg=60.0 if fov is None else fov)


def _refine_config(preset: str, flow: str | None, flow_weights: str | None) -> "RefineConfig":  # noqa: F821
    """The preset, with --flow / --flow-weights applied; names and weight files are checked now, not later."""
    from dataclasses import replace

    from flowpose.config import get_preset
    from flowpose.errors import WeightsUnavailableError
    from flowpose.flow.registry import flow_backend
    from flowpose.flow.weights import resolve_weights

    try:
        cfg = get_preset(preset)
    except InputError as e:
        raise InputError(f"--preset: {e}") from None
    names = (flow,) if flow is not None else cfg.flow.names
    for name in names:
        try:
            backend = flow_backend(name)
        except InputError as e:
            raise InputError(f"--flow: {e}") from None
        if flow_weights is not None and not backend.takes_weights:
            raise InputError(f"--flow-weights: the {name!r} flow model takes no weights, got {flow_weights}")
        if flow_weights is not None:
            try:
                resolve_weights(flow_weights, model=name, allow_download=False)
            except InputError as e:
                raise InputError(f"--flow-weights: {e}") from None
            except WeightsUnavailableError:
                pass  # a registry name not cached yet: the real load downloads it (or says why it cannot)
    weights = (
        tuple(flow_weights for _ in names)
        if flow is not None or flow_weights is not None
        else cfg.flow.weights
    )
    return replace(cfg, flow=replace(cfg.flow, names=names, weights=weights))


# --- flowpose refine --------------------------------------------------------------------------------------


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--poses",
    "poses_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Initial poses (.npz/.json pose file). Default: VIDEO.poses.npz beside the video, if present.",
)
@click.option(
    "--estimate", is_flag=True, help="Estimate initial poses with MediaPipe (needs flowpose[estimate])."
)
@click.option(
    "--smpl",
    "smpl_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Initial SMPL or SMPL-X parameters (.npz/.json: global_orient, body_pose, betas, transl, K; SMPL-X's "
    "jaw, eye and hand poses and expression are kept) instead of joints; needs --body-model.",
)
@click.option(
    "--body-model",
    type=click.Path(path_type=Path),
    default=None,
    help="Your SMPL or SMPL-X model file (.pkl or .npz from smpl.is.tue.mpg.de or smpl-x.is.tue.mpg.de; "
    "licensed, not shipped).",
)
@click.option(
    "--mesh-flow-weight",
    type=click.FloatRange(min=0.0),
    default=4.0,
    show_default=True,
    help="With --smpl: weight of the mesh-flow term, px^-2 (0: joints only).",
)
@click.option(
    "--sketch",
    type=click.Choice(["bones", "mesh"]),
    default="bones",
    show_default=True,
    help="With --smpl and a fine-tuned flow network (--flow raft-small|raft|gma): what the flow stage draws, "
    "the bones of the model's joints or the mesh's own motion over its silhouette.",
)
@click.option("--export-mesh", type=click.Choice(["obj", "ply"]), default=None, help="With --smpl: one mesh per frame.")
@click.option(
    "--keypoints",
    "keypoints_path",
    type=click.Path(path_type=Path),
    default=None,
    help="2D keypoints from another detector (flowpose import openpose|coco): the pose stage's 2D term follows "
    "them instead of the initial poses' own.",
)
@_estimator_options
@_camera_options
@click.option("--cycles", type=int, default=3, show_default=True, help="Flow-pose cycles.")
@click.option(
    "--flow", default=None, help="Flow network: raft, raft-small, gma or dis. Default: the preset's."
)
@click.option(
    "--flow-weights",
    default=None,
    help="Checkpoint file, registry name, or 'random'. Default: the network's default weights.",
)
@click.option(
    "--gt",
    "gt_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Ground truth (gt.npz from flowpose synth): adds MPJPE and EPE to the table.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder. Default: <video stem>.flowpose/ beside the video.",
)
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of fine-tuning and optimisation.")
@click.option("--preset", default="fast", show_default=True,
              help="Configuration preset: fast (DIS flow, nothing fine-tuned) or quality (RAFT-small, fine-tuned).")
@click.option("--overwrite", is_flag=True, help="Replace an output folder that flowpose wrote earlier.")
@click.option(
    "--viz",
    is_flag=True,
    help="Also write overlay.mp4: skeletons over the frames, and the flow (with --smpl: the estimate's and the "
    "refined mesh).",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_segment_options
@user_errors
def refine(
    video: Path,
    poses_path: Path | None,
    estimate: bool,
    smpl_path: Path | None,
    body_model: Path | None,
    mesh_flow_weight: float,
    sketch: str,
    export_mesh: str | None,
    keypoints_path: Path | None,
    track: bool,
    min_confidence: float,
    carry_frames: int,
    mirrored_2d: bool,
    max_people: int,
    person: str,
    intrinsics: Path | None,
    focal_px: float | None,
    fov: float | None,
    cycles: int,
    flow: str | None,
    flow_weights: str | None,
    gt_path: Path | None,
    out_dir: Path | None,
    device: str,
    seed: int,
    preset: str,
    overwrite: bool,
    viz: bool,
    quiet: bool,
    start: int,
    num_frames: int | None,
) -> None:
    """Refine the 3D poses of VIDEO (a video file or a folder of frames) with optical flow.

    Prints the per-cycle table and writes OUT/refined.npz, refined.json, history.json, report.png
    (and overlay.mp4 with --viz). --intrinsics, --focal-px or --fov replace the pose file's camera.
    """
    from flowpose.app.refine_video import RefineVideoJob, refine_video
    from flowpose.people.select import parse_person
    from flowpose.refinement.table import format_history

    config = _refine_config(preset, flow, flow_weights)
    if smpl_path is not None or body_model is not None:
        _refine_smpl(video, smpl_path, body_model, config, cycles, mesh_flow_weight, sketch, export_mesh, out_dir,
                     device, seed, overwrite, quiet,
                     estimate or poses_path is not None or keypoints_path is not None, viz)
        return
    described = intrinsics is not None or focal_px is not None or fov is not None
    est_config = None
    if estimate:
        from flowpose.estimate.mediapipe import EstimateConfig

        est_config = EstimateConfig(tracking=track, min_confidence=min_confidence, people=max_people,
                                    carry_frames=carry_frames, mirrored_2d=mirrored_2d)
    job = RefineVideoJob(
        video=video,
        config=config,
        cycles=cycles,
        poses=poses_path,
        estimate=est_config,
        person=parse_person(person),
        keypoints=keypoints_path,
        camera=_camera(intrinsics, focal_px, fov) if described else None,
        gt=gt_path,
        out=out_dir,
        device=device,
        seed=seed,
        overwrite=overwrite,
        overlay=viz,
        progress=not quiet,
        start=start,
        num_frames=num_frames,
    )
    output = refine_video(job)
    click.echo(format_history(output.result.history))
    for note in output.notes:
        click.echo(note)
    click.echo(f"wrote {output.folder}/: {', '.join(output.names)}")


def _refine_smpl(
    video: Path, smpl: Path | None, body_model: Path | None, config: "RefineConfig", cycles: int,  # noqa: F821
    w_mesh_flow: float, sketch: str, export_mesh: str | None, out: Path | None, device: str, seed: int,
    overwrite: bool, quiet: bool, joint_options: bool, viz: bool,
) -> None:
    """``refine --smpl P --body-model M``: see :mod:`flowpose.app.refine_smpl_video`."""
    from flowpose.app.refine_smpl_video import SmplVideoJob, refine_smpl_video
    from flowpose.body.model import OBTAIN

    if smpl is None:
        raise InputError("--body-model needs --smpl PARAMS (the SMPL parameters to refine)")
    if body_model is None:
        raise InputError(f"--smpl needs --body-model PATH. {OBTAIN}")
    if joint_options:
        raise InputError("--smpl refines SMPL parameters: --poses, --estimate and --keypoints do not apply")
    job = SmplVideoJob(video=video, smpl=smpl, body_model=body_model, config=config, cycles=cycles,
                       w_mesh_flow=w_mesh_flow, sketch=sketch, export_mesh=export_mesh, viz=viz, out=out, device=device, seed=seed,
                       overwrite=overwrite, progress=not quiet)
    _, lines = refine_smpl_video(job)
    for line in lines:
        click.echo(line)


# --- flowpose export ---------------------------------------------------------------------------------------


@main.command()
@click.argument("fmt", metavar="FORMAT")
@click.argument("poses", type=click.Path(path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path), help="File to write (new).")
@click.option(
    "--body-model", type=click.Path(path_type=Path), default=None, help="amass: the SMPL or SMPL-X model file of POSES."
)
@user_errors
def export(fmt: str, poses: Path, out_path: Path, body_model: Path | None) -> None:
    """Export POSES in FORMAT (bvh, amass) for animation tools.

    bvh: POSES is a pose file (e.g. refined.npz): a Human3.6M-17 skeleton with fixed bone lengths (each bone's
    median), joint rotations, Y up, centimetres.
    amass: POSES is an SMPL or SMPL-X parameter file (e.g. refined_smpl.npz): AMASS's .npz layout (poses, trans,
    betas, gender, mocap_framerate), Z up, metres, as Blender's SMPL-X add-on loads it; needs --body-model.
    """
    from flowpose.app.export import export_poses

    click.echo(export_poses(fmt, poses, out_path, body_model))


# --- flowpose batch ----------------------------------------------------------------------------------------


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
) -> None:
    """Refine many videos: SOURCE is a folder of videos (each with its VIDEO.poses.npz) or a manifest
    (one "VIDEO [POSES]" per line).

    Writes OUT/<video stem>/ per video and OUT/summary.csv. Resumable: finished videos are skipped. A video that
    fails is reported and the others go on; the exit code is 1 if any failed.
    """
    import os

    from flowpose.app.batch import SUMMARY, read_inputs, run_batch, write_summary
    from flowpose.app.refine_video import RefineVideoJob, check_job

    config = _refine_config(preset, flow, flow_weights)
    job = RefineVideoJob(video=source, config=config, cycles=cycles, device=device, seed=seed)
    check_job(job)  # the shared options, before any video
    items = read_inputs(source, out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = jobs if jobs is not None else max(1, min(4, (os.cpu_count() or 1) // 2))

    def report(row: dict[str, str]) -> None:
        note = f": {row['error']}" if row["error"] else ""
        click.echo(f"{row['status']:>22}  {row['video']} ({row['seconds']} s){note}")

    rows = run_batch(items, job, jobs=workers, ray_address=ray_address, report=report)
    write_summary(out_dir / SUMMARY, rows)
    failed = sum(r["status"] == "failed" for r in rows)
    click.echo(f"wrote {out_dir / SUMMARY}: {len(rows) - failed} of {len(rows)} videos refined or done before")
    if failed:
        raise SystemExit(1)


# --- flowpose estimate ------------------------------------------------------------------------------------


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
@_estimator_options
@click.option(
    "--all-people", is_flag=True, help="Write every person followed: one pose file each, and people.png."
)
@_camera_options
@click.option("--overwrite", is_flag=True, help="Replace an output flowpose wrote earlier.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_segment_options
@user_errors
def estimate(
    video: Path,
    out_path: Path | None,
    track: bool,
    min_confidence: float,
    carry_frames: int,
    mirrored_2d: bool,
    max_people: int,
    person: str,
    all_people: bool,
    intrinsics: Path | None,
    focal_px: float | None,
    fov: float | None,
    overwrite: bool,
    quiet: bool,
    start: int,
    num_frames: int | None,
) -> None:
    """Estimate initial 3D poses of VIDEO with MediaPipe's pose landmarker (offline), following one person.

    Needs the optional extra: pip install "flowpose[estimate]". Every person is detected and followed; the
    chosen one (--person) is written. Poses are Human3.6M-17 in the camera frame (--intrinsics,
    --focal-px, or a guessed --fov), placed by least squares on the 2D landmarks.
    """
    from flowpose.app.estimate_video import EstimateVideoJob, estimate_video
    from flowpose.estimate.mediapipe import EstimateConfig
    from flowpose.people.select import parse_person

    job = EstimateVideoJob(
        video=video,
        config=EstimateConfig(tracking=track, min_confidence=min_confidence, people=max_people,
                              carry_frames=carry_frames, mirrored_2d=mirrored_2d),
        camera=_camera(intrinsics, focal_px, fov),
        out=out_path,
        person=parse_person(person),
        all_people=all_people,
        overwrite=overwrite,
        progress=not quiet,
        start=start,
        num_frames=num_frames,
    )
    for line in estimate_video(job).lines:
        click.echo(line)


# --- flowpose import --------------------------------------------------------------------------------------


@main.command("import")
@click.argument("fmt", metavar="FORMAT")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out", "out_path", required=True, type=click.Path(path_type=Path), help="Pose (or keypoints) file to write."
)
@click.option(
    "--video",
    type=click.Path(path_type=Path),
    default=None,
    help="The video the poses are of: gives the image size (for --fov, --person center) and the frame rate.",
)
@_camera_options
@click.option(
    "--skeleton",
    default=None,
    help="Joint layout of FILE [default: h36m17 for joints3d; from the joint count for openpose].",
)
@click.option(
    "--person",
    default="prominent",
    show_default=True,
    help="openpose/coco/vibe/pare/wham/phalp: whom to follow (as for estimate; a track id of the file).",
)
@click.option("--units", default="m", show_default=True, help="Units of FILE's 3D coordinates: m, cm, mm.")
@click.option(
    "--keypoints",
    type=click.Path(path_type=Path),
    default=None,
    help="2D keypoints (T, 17, 2) px, for videopose3d.",
)
@click.option("--fps", type=float, default=None, help="Frame rate (default: the video's, else 30).")
@click.option("--overwrite", is_flag=True, help="Replace an existing pose file.")
@user_errors
def import_(
    fmt: str,
    file: Path,
    out_path: Path,
    video: Path | None,
    intrinsics: Path | None,
    focal_px: float | None,
    fov: float | None,
    skeleton: str | None,
    person: str,
    units: str,
    keypoints: Path | None,
    fps: float | None,
    overwrite: bool,
) -> None:
    """Convert FILE, a pose estimate in FORMAT, to a flowpose pose file (3D) or keypoints file (2D).

    metro: .npz with root-relative joints3d, weak-perspective cam [s, tx, ty] and crop bbox.
    joints3d: camera-frame (T, J, 3) .npy/.npz of --skeleton.
    videopose3d: root-relative (T, 17, 3) .npy, placed with --keypoints.
    openpose: a folder of OpenPose per-frame JSON (BODY_25, BODY_25B, COCO-18); writes a keypoints .npz.
    coco: COCO keypoint results JSON (mmpose, RTMPose, HRNet, ...); writes a keypoints .npz.
    vibe, pare, wham, phalp (4D-Humans): their SMPL results (.pkl, needs --video); writes an SMPL parameter file.
    Keypoints files are attached to 3D poses with: flowpose refine VIDEO --keypoints FILE;
    SMPL files are refined with: flowpose refine VIDEO --smpl FILE --body-model MODEL.
    """
    from flowpose.app.import_keypoints import KEYPOINT_FORMATS, import_keypoints
    from flowpose.body.importers import OWN_CAMERA, SMPL_FORMATS
    from flowpose.io.importers import IMPORT_FORMATS, UNITS, ImportOptions, import_poses
    from flowpose.io.outdir import check_output_file
    from flowpose.io.poses import save_poses, written_by_flowpose
    from flowpose.io.video import DEFAULT_FPS, open_video
    from flowpose.people.select import parse_person

    formats = [*IMPORT_FORMATS, *KEYPOINT_FORMATS, *SMPL_FORMATS]
    if fmt not in formats:
        raise InputError(f"unknown import format {fmt!r}; choose from {formats}")
    if fmt in SMPL_FORMATS:
        from flowpose.app.import_smpl import import_smpl_file

        if video is None:
            raise InputError(f"import {fmt} needs --video VIDEO (its size, frame count and frame rate)")
        with open_video(video) as reader:
            size, count, video_fps = reader.size, len(reader), reader.fps
        K = None
        if fmt not in OWN_CAMERA or any(v is not None for v in (intrinsics, focal_px, fov)):
            camera = _camera(intrinsics, focal_px, fov)
            K = camera.matrix(size)
            click.echo(camera.describe(size))
        lines = import_smpl_file(
            fmt, file, out_path, image_size=size, num_frames=count, fps=fps or video_fps, K=K,
            person=parse_person(person), overwrite=overwrite,
        )
        for line in lines:
            click.echo(line)
        return
    if fmt in KEYPOINT_FORMATS:
        size = None
        if video is not None:
            with open_video(video) as reader:
                size = reader.size
        lines = import_keypoints(
            fmt, file, out_path, skeleton=skeleton, person=parse_person(person), image_size=size, overwrite=overwrite
        )
        for line in lines:
            click.echo(line)
        return
    skeleton = "h36m17" if skeleton is None else skeleton

    if out_path.suffix.lower() not in (".npz", ".json"):
        raise InputError(f"--out {out_path}: expected a pose file ending in .npz or .json")
    inputs = [p for p in (file, video, intrinsics, keypoints) if p is not None]
    check_output_file(out_path, overwrite=overwrite, is_ours=written_by_flowpose, inputs=inputs)
    if units not in UNITS:
        raise InputError(f"--units: unknown unit {units!r}; choose from {list(UNITS)}")
    size, video_fps = None, None
    if video is not None:
        with open_video(video) as reader:
            size, video_fps = reader.size, reader.fps
    camera = _camera(intrinsics, focal_px, fov)
    if size is None and camera.intrinsics is None:
        raise InputError(
            "import needs the camera: pass --intrinsics FILE, or --video VIDEO (its size) with --focal-px or --fov"
        )
    K = camera.matrix(size if size is not None else (0, 0))
    if size is not None:
        click.echo(camera.describe(size))
    options = ImportOptions(
        K=K, fps=fps or video_fps or DEFAULT_FPS, skeleton=skeleton, units=UNITS[units], keypoints=keypoints
    )
    poses = import_poses(fmt, file, options)
    save_poses(poses, out_path)
    click.echo(f"wrote {out_path}: {poses.num_frames} frames of {poses.skeleton}")


if __name__ == "__main__":  # pragma: no cover
    main()
