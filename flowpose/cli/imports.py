"""``flowpose import``: pose, keypoint and SMPL files of other tools converted to flowpose's files."""

from __future__ import annotations

from pathlib import Path

import click

from flowpose.cli.options import camera_options, described_camera, refuse_unused
from flowpose.cli.shell import main, user_errors


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
    help="The video the poses are of: gives the image size (for --fov, --person center, yolo's fractions), the "
    "frames (yolo's labels name them) and the frame rate.",
)
@camera_options
@click.option(
    "--skeleton",
    default=None,
    help="Joint layout of FILE [default: h36m17 for joints3d; coco17 for yolo; from the joint count for openpose].",
)
@click.option(
    "--person",
    default="prominent",
    show_default=True,
    help="openpose/coco/yolo/vibe/pare/wham/phalp: whom to follow (as for estimate); N: the file's own person id "
    "(OpenPose person_id, COCO track_id, YOLO's track id, the results' track), or flowpose's track id where it gives "
    "none.",
)
@click.option("--units", default="m", show_default=True, help="Units of FILE's 3D coordinates: m, cm, mm.")
@click.option("--axes", default="RDF", show_default=True,
              help="Directions of FILE's x, y, z: R/L, U/D, F/B (RDF: OpenCV's, flowpose's; RUB: OpenGL's; "
                   "LUF: PyTorch3D's).")
@click.option(
    "--keypoints",
    type=click.Path(path_type=Path),
    default=None,
    help="2D keypoints (T, 17, 2) px, for videopose3d.",
)
@click.option("--fps", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Frame rate (default: the video's, else 30).")
@click.option("--overwrite", is_flag=True, help="Replace an existing pose file.")
@user_errors
def import_(
    fmt: str,
    file: Path,
    out_path: Path,
    video: Path | None,
    intrinsics: Path | None,
    camera_name: str | None,
    focal_px: float | str | None,
    fov: float | None,
    skeleton: str | None,
    person: str,
    units: str,
    axes: str,
    keypoints: Path | None,
    fps: float | None,
    overwrite: bool,
) -> None:
    """Convert FILE, a pose estimate in FORMAT, to a flowpose pose file (3D) or keypoints file (2D).

    metro: .npz with root-relative joints3d, weak-perspective cam [s, tx, ty] and crop bbox.
    joints3d: camera-frame (T, J, 3) .npy/.npz of --skeleton.
    videopose3d: root-relative (T, 17, 3) .npy, placed with --keypoints.
    openpose: a folder of OpenPose per-frame JSON (BODY_25, BODY_25B, COCO-18; Pose2Sim's HALPE_26, COCO_133);
    writes a keypoints .npz.
    coco: COCO keypoint results JSON (mmpose, RTMPose, HRNet, ...; COCO-17, Halpe-26, COCO-WholeBody-133); writes a
    keypoints .npz.
    yolo: the labels folder of an Ultralytics pose run with save_txt=True (YOLOv8 to YOLO26 pose; track ids where
    it tracked); needs --video, the video it ran on; writes a keypoints .npz.
    vibe, pare, wham, phalp (4D-Humans): their SMPL results (.pkl, needs --video); writes an SMPL parameter file.
    Keypoints files are attached to 3D poses with: flowpose refine VIDEO --keypoints FILE;
    SMPL files are refined with: flowpose refine VIDEO --smpl FILE --body-model MODEL.
    """
    from flowpose.app.import_file import IMPORT_KINDS, ImportJob, run_import
    from flowpose.people.select import parse_person

    poses, smpl = IMPORT_KINDS["poses"], IMPORT_KINDS["smpl"]
    used_by = (  # options only some formats read: given to another, refused rather than silently ignored
        (("keypoints",), ("videopose3d",)),
        (("units", "axes"), poses),
        (("skeleton",), ("metro", "joints3d", "openpose", "yolo")),
        (("person",), (*IMPORT_KINDS["keypoints"], *smpl)),
        (("intrinsics", "camera_name", "focal_px", "fov", "fps"), (*poses, *smpl)),
    )
    if any(fmt in kind for kind in IMPORT_KINDS.values()):
        for names, formats in used_by:
            if fmt not in formats:
                refuse_unused(names, f"not used by import {fmt} (only by {', '.join(formats)})")
    camera = described_camera(intrinsics, focal_px, fov, camera_name, video)
    job = ImportJob(fmt=fmt, source=file, out=out_path, video=video, camera=camera,
                    skeleton=skeleton, person=parse_person(person), units=units, axes=axes, keypoints=keypoints, fps=fps,
                    overwrite=overwrite)
    for line in run_import(job):
        click.echo(line)
