"""``flowpose export``: refined poses or SMPL parameters for animation and biomechanics tools (BVH, TRC, AMASS)."""

from __future__ import annotations

from pathlib import Path

import click

from flowpose.cli.options import camera_place_from_options, camera_place_options
from flowpose.cli.shell import main, user_errors


@main.command()
@click.argument("fmt", metavar="FORMAT")
@click.argument("poses", type=click.Path(path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path), help="File to write (new).")
@click.option(
    "--body-model", type=click.Path(path_type=Path), default=None, help="amass: the SMPL or SMPL-X model file of POSES."
)
@click.option(
    "--extrinsics",
    type=click.Path(path_type=Path),
    default=None,
    help="A multi-camera calibration (Pose2Sim's .toml, Qualisys's .qca.txt, EasyMocap's intri.yml with its "
    "extri.yml): write in its world, on its floor.",
)
@click.option("--camera", default=None, help="The camera of --extrinsics that filmed POSES [default: the one named as its video].")
@camera_place_options
@user_errors
def export(fmt: str, poses: Path, out_path: Path, body_model: Path | None, extrinsics: Path | None,
           camera: str | None, camera_height: float | None, camera_tilt: str | None) -> None:
    """Export POSES in FORMAT (bvh, trc, amass) for animation and biomechanics tools.

    bvh: POSES is a pose file (e.g. refined.npz): a Human3.6M-17 skeleton with fixed bone lengths (each bone's
    median), joint rotations, Y up, centimetres.
    trc: POSES is a pose file: OpenSim's marker file (for its scaling and inverse kinematics; Pose2Sim's marker
    names), a marker a joint, Y up, metres, blank where a joint was not observed.
    bvh and trc are in the camera's frame turned Y up (a tilted camera tilts the body), or in the world of the floor
    refine --floor stood POSES on (refined.npz keeps the camera's place), or with --extrinsics in the
    calibrated world of a multi-camera capture, Z up turned Y up as Pose2Sim writes its TRC files; or with
    --camera-height and --camera-tilt upright on the floor under the camera.
    amass: POSES is an SMPL or SMPL-X parameter file (e.g. refined_smpl.npz): AMASS's .npz layout (poses, trans,
    betas, gender, mocap_framerate), Z up, metres, as Blender's SMPL-X add-on loads it; needs --body-model. In the
    camera's frame turned Z up, or with --extrinsics (or --camera-height and --camera-tilt) in that world, Z up.
    """
    from flowpose.app.export import export_poses

    click.echo(export_poses(fmt, poses, out_path, body_model, extrinsics, camera,
                            camera_place_from_options(camera_height, camera_tilt)))
