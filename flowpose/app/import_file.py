"""Import a file another tool wrote: what ``flowpose import FORMAT FILE --out OUT`` does, for every format.

Three kinds of file, by format (:data:`IMPORT_KINDS`):

- 3D poses (``metro``, ``joints3d``, ``videopose3d``; :mod:`flowpose.io.importers`): a pose file, placed in the
  camera the user describes (or that ``--video``'s size and a focal length or field of view give);
- 2D keypoints (``openpose``, ``coco``, ``yolo``; :mod:`flowpose.app.import_keypoints`): a keypoints file, one
  person (``yolo`` needs ``--video``: its labels are fractions of the frame's size, named by the video's frames);
- SMPL results (``vibe``, ``pare``, ``wham``, ``phalp``; :mod:`flowpose.app.import_smpl`): an SMPL parameter
  file, one person over the whole video (``--video`` gives its size, frame count and frame rate).

Every kind checks its output before it reads the input, and writes it whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from flowpose.app.import_keypoints import KEYPOINT_FORMATS, import_keypoints
from flowpose.app.import_smpl import import_smpl_file
from flowpose.app.inputs import check_observed
from flowpose.body.importers import OWN_CAMERA, SMPL_FORMATS
from flowpose.errors import InputError
from flowpose.frame_convention import CAMERA_AXES, axes_matrix, joint_order_note, y_up_note
from flowpose.io.importers import IMPORT_FORMATS, UNITS, ImportOptions, import_poses
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.outdir import check_output_file
from flowpose.io.poses import save_poses, written_by_flowpose
from flowpose.io.video import DEFAULT_FPS, ImageFolderReader, open_video
from flowpose.io.video_notes import listed_note, rotation_note, truncation_note
from flowpose.io.yolo_labels import LabelledVideo

IMPORT_KINDS: dict[str, tuple[str, ...]] = {
    "poses": tuple(IMPORT_FORMATS),
    "keypoints": tuple(KEYPOINT_FORMATS),
    "smpl": tuple(SMPL_FORMATS),
}
"""The formats ``flowpose import`` reads, by the kind of file each gives."""


@dataclass(frozen=True)
class ImportJob:
    """One ``flowpose import``: the file, its format, the output and what the file does not say by itself."""

    fmt: str
    """One of the formats of :data:`IMPORT_KINDS`."""
    source: Path
    """The file (or, for ``openpose``, the folder) to read."""
    out: Path
    """The file to write: a pose file, keypoints file or SMPL parameter file (``.npz`` or ``.json``)."""
    video: Path | None = None
    """The video the file is of: its size (for a focal length or field of view, ``--person center``), frame rate
    and, for SMPL results, frame count. Needed for SMPL results."""
    camera: CameraOptions | None = None
    """How the user described the camera; None: nothing said (SMPL results that carry their own camera keep it;
    3D poses then need the camera from somewhere and are refused)."""
    skeleton: str | None = None
    """Joint layout of the file; None: ``h36m17`` for 3D poses, from the joint count for keypoints."""
    person: str | int = "prominent"
    """Whom to follow in multi-person files (:func:`flowpose.people.select.choose_track`)."""
    units: str = "m"
    """Units of the file's 3D coordinates, a key of :data:`flowpose.io.importers.UNITS`."""
    axes: str = CAMERA_AXES
    """Directions of the file's x, y, z (:func:`flowpose.frame_convention.axes_matrix`)."""
    keypoints: Path | None = None
    """2D keypoints for ``videopose3d``."""
    fps: float | None = None
    """Frame rate; None: the video's, else :data:`flowpose.io.video.DEFAULT_FPS`."""
    overwrite: bool = False
    """Replace an output file flowpose wrote earlier."""


def run_import(job: ImportJob) -> list[str]:
    """Read ``job.source``, write ``job.out``; returns the lines for the user (the camera used, what was written).

    Raises:
        InputError: for an unknown format, a refused output, a camera that cannot be had, or malformed input;
            nothing is written then.
    """
    if job.fmt in IMPORT_KINDS["smpl"]:
        return _import_smpl(job)
    if job.fmt in IMPORT_KINDS["keypoints"]:
        size, turned, video = None, [], None
        if job.video is not None:
            facts = _video_facts(job.video)
            size, turned = facts.size, facts.lines
            video = LabelledVideo(job.video.stem, facts.size, facts.frames, facts.frame_stems)
        return turned + import_keypoints(job.fmt, job.source, job.out, skeleton=job.skeleton, person=job.person,
                                         image_size=size, video=video, overwrite=job.overwrite)
    if job.fmt in IMPORT_KINDS["poses"]:
        return _import_poses(job)
    formats = [f for kind in IMPORT_KINDS.values() for f in kind]
    raise InputError(f"unknown import format {job.fmt!r}; choose from {formats}")


class VideoFacts(NamedTuple):
    """What an import takes from ``--video``."""

    size: tuple[int, int]
    """(H, W) px."""
    frames: int
    """The frames that decode."""
    fps: float
    """Frames per second."""
    lines: list[str]
    """Lines for the user: the video is stored rotated (the imported file's coordinates must be of its upright
    frames), or lists frames that do not decode (a cut or damaged file)."""
    count_note: str
    """What ends a message giving its frame count (:func:`flowpose.io.video_notes.listed_note`)."""
    frame_stems: tuple[str, ...] | None
    """A folder of images' names without their suffixes, in frame order; None for a video file."""


def _video_facts(video: Path) -> VideoFacts:
    """:class:`VideoFacts` of ``video``."""
    with open_video(video) as reader:
        turned, cut = rotation_note(reader), truncation_note(reader)
        lines = ([] if turned is None else [turned]) + ([] if cut is None else [f"warning: {cut}"])
        stems = tuple(f.stem for f in reader.files) if isinstance(reader, ImageFolderReader) else None
        return VideoFacts(reader.size, len(reader), reader.fps, lines, listed_note(reader), stems)


def _import_smpl(job: ImportJob) -> list[str]:
    """SMPL results: the video's facts, and its camera unless the format carries its own and none was described."""
    if job.video is None:
        raise InputError(f"import {job.fmt} needs --video VIDEO (its size, frame count and frame rate)")
    size, count, video_fps, lines, _, _ = _video_facts(job.video)
    K = None
    if job.fmt not in OWN_CAMERA or job.camera is not None:
        camera = job.camera if job.camera is not None else CameraOptions()
        K = camera.matrix(size)
        lines.append(camera.describe(size))
        if camera.distortion() is not None:
            lines.append(f"note: {camera.intrinsics}'s lens distortion is not used: SMPL results are placed and "
                         "refined through the pinhole K (flowpose models a lens for joints: estimate, import joints3d)")
    fps = video_fps if job.fps is None else job.fps
    return lines + import_smpl_file(job.fmt, job.source, job.out, image_size=size, num_frames=count,
                                    fps=fps, K=K, person=job.person, overwrite=job.overwrite)


def _import_poses(job: ImportJob) -> list[str]:
    """3D poses: the output checked first, then the camera, then the file read and written."""
    if job.out.suffix.lower() not in (".npz", ".json"):
        raise InputError(f"--out {job.out}: expected a pose file ending in .npz or .json")
    inputs = [p for p in (job.source, job.video, job.keypoints) if p is not None]
    camera = job.camera if job.camera is not None else CameraOptions()
    if camera.intrinsics is not None:
        inputs.append(camera.intrinsics)
    check_output_file(job.out, overwrite=job.overwrite, is_ours=written_by_flowpose, inputs=inputs)
    if job.units not in UNITS:
        raise InputError(f"--units: unknown unit {job.units!r}; choose from {list(UNITS)}")
    try:
        axes_matrix(job.axes)
    except InputError as error:
        raise InputError(f"--axes: {error}") from None
    size, video_fps, turned, facts = None, None, [], None
    if job.video is not None:
        facts = _video_facts(job.video)
        size, video_fps, turned = facts.size, facts.fps, facts.lines
    if size is None and camera.intrinsics is None:
        raise InputError(
            "import needs the camera: pass --intrinsics FILE, or --video VIDEO (its size) with --focal-px or --fov"
        )
    lines = turned + ([camera.describe(size)] if size is not None else [])
    options = ImportOptions(K=camera.matrix(size if size is not None else (0, 0)),
                            fps=job.fps if job.fps is not None else (video_fps or DEFAULT_FPS),
                            skeleton=job.skeleton or "h36m17",
                            units=UNITS[job.units], keypoints=job.keypoints, axes=job.axes)
    poses = import_poses(job.fmt, job.source, options)
    if (lens := camera.distortion()) is not None:  # kept for refine, which models it (its 2D: recorded pixels)
        poses = replace(poses, dist=lens)
    check_observed(poses, str(job.source))
    if (order := joint_order_note(poses, str(job.source))) is not None:
        lines.append(f"warning: {order}")
    elif (up := y_up_note(poses, str(job.source))) is not None:
        lines.append(f"warning: {up} (read as {job.axes.upper()}; --axes names the file's axes, e.g. LUF: PyTorch3D's)")
    if facts is not None and poses.num_frames != facts.frames:  # refine would refuse them on this video
        lines.append(f"warning: {job.source}: {poses.num_frames} frames, but {job.video} has {facts.frames}; refine "
                     f"takes poses of every frame of the video, or of the frames --start/--frames name{facts.count_note}")
    save_poses(poses, job.out)
    return lines + [f"wrote {job.out}: {poses.num_frames} frames of {poses.skeleton}"]

