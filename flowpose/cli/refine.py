"""``flowpose refine``: a video's poses (or SMPL parameters) refined with optical flow.

``flowpose refine x/video.mp4`` reads the poses in ``x/video.poses.npz`` (unless ``--poses`` or ``--estimate``
says otherwise) and writes ``x/video.flowpose/`` (unless ``--out`` says otherwise): ``refined.npz``,
``refined.json``, ``history.json``, ``report.png`` and, with ``--viz``, ``overlay.mp4``. The folder appears
whole or not at all, and an existing one is replaced only with ``--overwrite``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from flowpose.cli.options import (
    ESTIMATOR_PARAMETERS,
    camera_options,
    camera_place_from_options,
    camera_place_options,
    described_camera,
    estimate_config_from_options,
    estimator_options,
    floor_contact_option,
    floor_option,
    part_frames_option,
    refine_config_from_options,
    refuse_unused,
    segment_options,
    show_progress,
    with_floor_contact,
    without_flow_option,
)
from flowpose.cli.shell import SEED, main, user_errors
from flowpose.errors import InputError
from flowpose.io.keypoints2d import KEYPOINT_MIXES

if TYPE_CHECKING:
    from flowpose.config import RefineConfig

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
    default=32.0,
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
    help="2D keypoints from another detector (flowpose import openpose|coco|yolo): the pose stage's 2D term follows "
    "them instead of the initial poses' own (--keypoints-mix average: the mean of the two).",
)
@click.option(
    "--keypoints-mix",
    type=click.Choice(list(KEYPOINT_MIXES)),
    default="replace",
    show_default=True,
    help="With --keypoints: replace the initial poses' own 2D, or average with it where both have a joint (real "
    "set, YOLO11n-pose's 2D: averaged refines 4-10% better than replaced; after estimate --looks 2 the looks' own 2D "
    "alone is better still; benchmarks/RESULTS.md).",
)
@estimator_options
@camera_options
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
    help="Ground truth: a .npz with the true joints3d (a pose file serves; gt.npz from flowpose synth adds its "
    "flow): adds MPJPE (and EPE) to the table.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder. Default: <video stem>.flowpose/ beside the video (<video stem>.<person>.flowpose/ for "
    "--poses of its <video stem>.people/ folder).",
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
@click.option("--quiet", is_flag=True, help="No progress bars (drawn only when stderr is a terminal).")
@floor_option
@floor_contact_option
@camera_place_options
@without_flow_option
@part_frames_option
@segment_options
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
    keypoints_mix: str,
    track: bool,
    min_confidence: float,
    carry_frames: int,
    min_frames: int,
    looks: int,
    mirrored_2d: bool,
    max_people: int,
    person: str,
    intrinsics: Path | None,
    camera_name: str | None,
    focal_px: float | str | None,
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
    floor_z: float | None,
    floor_contact: bool,
    camera_height: float | None,
    camera_tilt: str | None,
    without_flow: bool,
    part_frames: int | str | None,
    start: int,
    num_frames: int | None,
    fps: float | None,
) -> None:
    """Refine the 3D poses of VIDEO (a video file or a folder of frames) with optical flow.

    Prints the per-cycle table and writes OUT/refined.npz, refined.json, history.json, report.png
    (and overlay.mp4 with --viz). --intrinsics, --focal-px or --fov replace the pose file's camera.
    """
    from flowpose.app.refine_video import RefineVideoJob, refine_video
    from flowpose.people.select import parse_person
    from flowpose.refinement.table import format_history

    config = refine_config_from_options(preset, flow, flow_weights, without_flow, part_frames)
    if smpl_path is not None or body_model is not None:
        refuse_unused(("without_flow",), "not used with --smpl, whose flow is the mesh's (--mesh-flow-weight 0 "
                      "leaves it out)")
        refuse_unused((*ESTIMATOR_PARAMETERS, "intrinsics", "camera_name", "focal_px", "fov", "floor_z", "floor_contact",
                       "camera_height", "camera_tilt", "keypoints_mix"),
                      "not used with --smpl, which refines the parameters in their own camera (their K)")
        _refine_smpl(video, smpl_path, body_model, config, cycles, mesh_flow_weight, sketch, export_mesh, out_dir,
                     device, seed, overwrite, quiet,
                     estimate or poses_path is not None or keypoints_path is not None, viz, fps, gt_path, start,
                     num_frames)
        return
    refuse_unused(("mesh_flow_weight", "sketch", "export_mesh"), "used only with --smpl (and --body-model)")
    if keypoints_path is None:
        refuse_unused(("keypoints_mix",), "used only with --keypoints")
    if not estimate:
        refuse_unused(ESTIMATOR_PARAMETERS, "used only with --estimate (here the initial poses come from a pose file)")
    est_config = (estimate_config_from_options(track, min_confidence, carry_frames, min_frames, looks, mirrored_2d,
                                        max_people)
                  if estimate else None)
    place = camera_place_from_options(camera_height, camera_tilt)
    if place is not None and floor_z is None:
        floor_z = 0.0  # the floor under the camera's tripod
    config = with_floor_contact(config, floor_z, floor_contact)
    job = RefineVideoJob(
        video=video,
        config=config,
        cycles=cycles,
        poses=poses_path,
        estimate=est_config,
        person=parse_person(person),
        keypoints=keypoints_path,
        keypoints_mix=keypoints_mix,
        camera=described_camera(intrinsics, focal_px, fov, camera_name, video),
        gt=gt_path,
        out=out_dir,
        device=device,
        seed=seed,
        overwrite=overwrite,
        overlay=viz,
        progress=show_progress(quiet),
        start=start,
        num_frames=num_frames,
        fps=fps,
        floor_z=floor_z,
        camera_place=place,
    )
    output = refine_video(job)
    click.echo(format_history(output.result.history))
    for note in output.notes:
        click.echo(note)
    click.echo(f"wrote {output.folder}/: {', '.join(output.names)}")


def _refine_smpl(
    video: Path, smpl: Path | None, body_model: Path | None, config: RefineConfig, cycles: int,
    w_mesh_flow: float, sketch: str, export_mesh: str | None, out: Path | None, device: str, seed: int,
    overwrite: bool, quiet: bool, joint_options: bool, viz: bool, fps: float | None, gt: Path | None, start: int,
    num_frames: int | None,
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
                       overwrite=overwrite, progress=show_progress(quiet), fps=fps, gt=gt, start=start,
                       num_frames=num_frames)
    _, lines = refine_smpl_video(job)
    for line in lines:
        click.echo(line)
