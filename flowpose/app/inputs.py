"""The inputs of a video's refinement: its pose file by name, the segment of frames used, sanity checks."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import replace
from pathlib import Path

import numpy as np

from flowpose.camera_checks import frames_off_image
from flowpose.errors import InputError
from flowpose.io.groundtruth import GroundTruth
from flowpose.pose import PoseSequence

POSES_SIDECAR_SUFFIX = ".poses.npz"
"""``x/video.mp4`` has its poses in ``x/video.poses.npz`` (and a frame folder ``x/frames`` in
``x/frames.poses.npz``), as ``flowpose synth`` writes them."""


def named(video: str | os.PathLike[str]) -> Path:
    """The video's path as given, or, for a frame folder given as ``.``, ``..`` or ``frames/..``, which name no
    folder, its absolute path: the files beside it are named after the folder (``flowpose refine .`` in
    ``clips/frames`` reads ``clips/frames.poses.npz``).

    Raises:
        InputError: for a path that names no folder even so (``/``).

    Example:
        >>> named("clips/walk.mp4").as_posix()
        'clips/walk.mp4'
    """
    v = Path(video)
    if v.name and v.name != "..":
        return v
    absolute = Path(os.path.abspath(v))
    if not absolute.name:
        raise InputError(f"{video}: a frame folder needs a name of its own, after which its pose file and results "
                         "are named; move the frames into a folder")
    return absolute


def video_stem(video: str | os.PathLike[str]) -> str:
    """What a video's files beside it are named after: a video file's name less its suffix, a frame folder's whole
    name (``frames.v1`` keeps its ``.v1``)."""
    v = named(video)
    return v.name if v.is_dir() else v.stem


def sidecar_poses_path(video: str | os.PathLike[str]) -> Path:
    """The pose file that belongs to a video by name: the video's path with its suffix replaced by
    ``.poses.npz`` (a folder's name gets ``.poses.npz`` appended). Whether it exists is the caller's
    concern."""
    return named(video).with_name(video_stem(video) + POSES_SIDECAR_SUFFIX)


PEOPLE_FOLDER_SUFFIX = ".people"
"""``flowpose estimate x/video.mp4 --all-people`` writes one pose file per person to ``x/video.people/``."""


def people_folder_path(video: str | os.PathLike[str]) -> Path:
    """The folder of every person's pose file that belongs to a video by name: ``<video stem>.people`` beside it
    (a frame folder keeps its full name). Whether it exists is the caller's concern."""
    return named(video).with_name(video_stem(video) + PEOPLE_FOLDER_SUFFIX)


POSE_FILE_SUFFIXES = (".poses.npz", ".poses.json")
"""The pose files a folder of pose files holds (``flowpose estimate --all-people`` writes ``person<id>.poses.npz``)."""


def pose_files_in(folder: Path) -> list[Path]:
    """The pose files of a folder (``*.poses.npz``, ``*.poses.json``), in natural order (``person2`` before
    ``person10``).

    Raises:
        InputError: when it holds none.
    """
    found = [p for p in folder.iterdir() if p.is_file() and p.name.endswith(POSE_FILE_SUFFIXES)]
    if not found:
        raise InputError(f"{folder}: no pose files in it (expected {' or '.join('*' + s for s in POSE_FILE_SUFFIXES)}, "
                         "as flowpose estimate --all-people writes them)")
    return sorted(found, key=lambda p: [int(w) if w.isdigit() else w for w in re.split(r"(\d+)", p.name)])


def pose_label(poses: Path | None) -> str:
    """What tells a pose file apart in its results folder's name: its name less ``.poses.npz`` (or ``.npz``,
    ``.json``); ``poses`` for a video's sidecar.

    Example:
        >>> pose_label(Path("clip.people/person3.poses.npz"))
        'person3'
    """
    if poses is None:
        return "poses"
    for suffix in (*POSE_FILE_SUFFIXES, ".npz", ".json"):
        if poses.name.endswith(suffix) and len(poses.name) > len(suffix):
            return poses.name[: -len(suffix)]
    return poses.name


def each_person_hint(video: Path, people: Path) -> str:
    """How to refine one person of a folder of pose files, or each of them, for a message; empty when the folder
    holds no pose file.

    Example:
        >>> each_person_hint(Path("clip.mp4"), Path("nothing-here"))
        ''
    """
    try:
        first = pose_files_in(people)[0]
    except (InputError, OSError):
        return ""
    line = shlex.join([str(video), str(people)])  # as the manifest reads it back, quoted where it must be
    return (f"one person: --poses {first}; each of them: flowpose batch LIST --out DIR, LIST a text file of the "
            f"line: {line}")


def check_observed(poses: PoseSequence, source: str) -> None:
    """Refuse poses with no usable joint at all (every joint NaN or of confidence 0).

    Raises:
        InputError: naming ``source``.
    """
    if not (poses.confidence() > 0).any():
        raise InputError(
            f"{source}: no observed joint in any of its {poses.num_frames} frames "
            "(every joint is NaN or has confidence 0)"
        )


def keypoints_problem(joints2d: np.ndarray, image_size: tuple[int, int]) -> str | None:
    """Why another detector's 2D keypoints cannot be pixels of this video's frames; None when they may be.

    They cannot when, in most frames with a keypoint, none lies inside the image (pixels of another image size,
    or of another video), or when each frame's keypoints span under :data:`MIN_SPAN_PX` (coordinates normalised
    to [0, 1], as some detectors write them). Either way they would replace the poses' own 2D in L_2D and pull the
    refinement onto nonsense.

    Args:
        joints2d: (T, J, 2) px, NaN where missing or unsure.
        image_size: (H, W) of the video, px.
    """
    H, W = image_size
    observed = np.isfinite(joints2d).all(-1)
    seen, missed = frames_off_image(joints2d, observed, image_size)
    if missed * 2 > seen:
        x, y = np.median(joints2d[observed], axis=0)
        return (f"in {missed} of its {seen} frames no keypoint lies inside the {W}x{H} frames (median x {x:.0f}, "
                f"y {y:.0f} px): pixels of another image size, or of another video?")
    return span_problem(joints2d, image_size)


def span_problem(joints2d: np.ndarray, image_size: tuple[int, int], what: str = "keypoints") -> str | None:
    """Why 2D points cannot be a person's pixels: each frame's span under :data:`MIN_SPAN_PX` (coordinates
    normalised to [0, 1]); None otherwise, or with no frame of two points to judge.

    Args:
        joints2d: (T, J, 2) px, NaN where missing or unsure.
        image_size: (H, W) of the video, px.
        what: the points' name in the message (``"keypoints"``, ``"joints2d"``).
    """
    H, W = image_size
    several = np.isfinite(joints2d).all(-1).sum(1) >= 2
    if not several.any():
        return None
    with np.errstate(invalid="ignore"):
        spans = np.nanmax(np.nanmax(joints2d[several], axis=1) - np.nanmin(joints2d[several], axis=1), axis=-1)
    span = float(np.median(spans))
    if span < MIN_SPAN_PX:
        return (f"each frame's {what} span {span:.2g} px (median) of the {W}x{H} frames: coordinates normalised "
                "to [0, 1]? flowpose reads pixels")
    return None


MIN_SPAN_PX = 2.0
"""A person's keypoints span at least this many pixels in a frame; fewer: the coordinates are not pixels."""


def select_frames(
    poses: PoseSequence, video_frames: int, start: int, stop: int, *, poses_source: str, video_source: str,
    count_note: str = "",
) -> PoseSequence:
    """The poses of frames ``[start, stop)`` of a video of ``video_frames`` frames, with ``first_frame = start``.

    Poses may cover the whole video (they are cut to the segment) or exactly the segment already (as
    ``flowpose estimate --start/--frames`` writes them); any other length is refused. Poses that record their
    ``first_frame`` (flowpose writes it) must begin where the segment does. ``count_note`` ends a refusal (a cut
    video's: :func:`flowpose.io.video_notes.listed_note`).

    Raises:
        InputError: for a frame count matching neither, or poses of other frames, naming both files.
    """
    n = stop - start
    first = poses.first_frame
    if poses.num_frames == video_frames and first in (None, 0):
        return replace(poses if (start, stop) == (0, video_frames) else poses.slice(start, stop), first_frame=start)
    if poses.num_frames == n and first in (None, start):
        return replace(poses, first_frame=start)
    if first is None:
        segment = "" if n == video_frames else f" (or the {n} frames of the selected segment)"
        raise InputError(
            f"{poses_source}: has {poses.num_frames} frames but {video_source} has {video_frames}"
            f"{segment}; poses and video must match frame for frame{count_note}"
        )
    last = first + poses.num_frames - 1
    fits = last < video_frames
    raise InputError(
        f"{poses_source}: holds frames {first} to {last} of its video (its first_frame), not frames {start} to "
        f"{stop - 1} of {video_source}"
        + (f"; pass --start {first} --frames {poses.num_frames}" if fits else f", which has {video_frames}")
        + count_note
    )


def select_gt_frames(
    gt: GroundTruth, video_frames: int, start: int, stop: int, *, source: str, image_size: tuple[int, int] | None = None
) -> GroundTruth:
    """Ground truth of frames ``[start, stop)``; it must cover the whole video (``video_frames`` frames), and its
    dense flow (where given) the video's ``image_size`` (H, W).

    Raises:
        InputError: for ground truth of another length or image size, naming ``source``.
    """
    problem = gt.video_problem(video_frames, image_size)
    if problem is not None:
        raise InputError(f"{source}: {problem}")
    return gt if (start, stop) == (0, video_frames) else gt.frames(start, stop)


def segment(
    total: int, start: int, num_frames: int | None, video: str | os.PathLike[str], count_note: str = ""
) -> tuple[int, int]:
    """[start, stop) of the frames used (``--start``, ``--frames``), checked against the video's ``total``
    (``count_note`` ends a refusal: :func:`flowpose.io.video_notes.listed_note`).

    Raises:
        InputError: for a start outside the video or a frame count below 1.
    """
    if not 0 <= start < total:
        raise InputError(f"--start {start}: {video} has {total} frames (0 to {total - 1}){count_note}")
    if num_frames is not None and num_frames < 1:
        raise InputError(f"--frames must be >= 1, got {num_frames}")
    return start, total if num_frames is None else min(total, start + num_frames)


def check_refinable(total: int, start: int, stop: int, video: str | os.PathLike[str], count_note: str = "") -> None:
    """Refuse frames ``[start, stop)`` of a video of ``total`` frames that are fewer than a refinement needs (2),
    naming the video and, for a segment, which frames (``count_note`` ends the refusal, as for :func:`segment`).

    Raises:
        InputError: for fewer than 2 frames.
    """
    if stop - start >= 2:
        return
    which = (f"it has {total}" if (start, stop) == (0, total) else
             f"frames {start} to {stop - 1} of its {total} are {stop - start} (--start, --frames)")
    raise InputError(f"{video}: refinement needs at least 2 frames, and {which}{count_note}")


def segment_note(total: int, start: int, stop: int, num_frames: int | None) -> str:
    """The line that says which frames of the video a run used, and if the video ended before ``--frames``.

    Example:
        >>> segment_note(60, 50, 60, 30)
        "frames 50 to 59 of the video's 60 (10: it ends before the 30 asked for by --frames)"
    """
    short = num_frames is not None and start + num_frames > total
    count = f"{stop - start}: it ends before the {num_frames} asked for by --frames" if short else f"{stop - start}"
    return f"frames {start} to {stop - 1} of the video's {total} ({count})"


def assumed_rate_note(video: str | os.PathLike[str], fps: float) -> str:
    """The line that says a video without a frame rate of its own (an image folder) is taken at ``fps``.

    Example:
        >>> assumed_rate_note("frames", 30.0)
        "frames: no frame rate of its own (an image folder): 30 fps assumed (--fps gives the frames')"
    """
    return f"{video}: no frame rate of its own (an image folder): {fps:g} fps assumed (--fps gives the frames')"
