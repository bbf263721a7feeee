"""Writing a refinement's outputs as one unit: a folder that appears whole or not at all."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from flowpose.app.inputs import named, people_folder_path, pose_label, video_stem
from flowpose.io.outdir import write_output_folder
from flowpose.io.poses import save_poses
from flowpose.pose import PoseSequence
from flowpose.refinement.result import RefineResult


def _jsonable(value: float) -> float | None:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def history_json(result: RefineResult) -> list[dict]:
    """The history as JSON-ready dicts (NaN becomes null)."""
    return [
        {
            k: ({n: _jsonable(v) for n, v in d.items()} if isinstance(d, dict) else d)
            for k, d in asdict(r).items()
        }
        for r in result.history
    ]


OUT_SUFFIX = ".flowpose"
"""``flowpose refine x/video.mp4`` writes to ``x/video.flowpose/`` unless ``--out`` says otherwise."""


def default_out_dir(video: str | os.PathLike[str], poses: str | os.PathLike[str] | None = None) -> Path:
    """The default output folder of a video: ``<stem>.flowpose`` beside it (a frame folder keeps its full
    name); for poses of one person of the video's ``<stem>.people/`` folder (``flowpose estimate --all-people``),
    ``<stem>.<person>.flowpose``, so that each person's results have their own.

    Example:
        >>> default_out_dir("clips/walk.mp4").as_posix()
        'clips/walk.flowpose'
        >>> default_out_dir("clips/walk.mp4", "clips/walk.people/person1.poses.npz").as_posix()
        'clips/walk.person1.flowpose'
    """
    v = named(video)
    stem = video_stem(v)
    if poses is not None and os.path.abspath(Path(poses).parent) == os.path.abspath(people_folder_path(v)):
        return v.with_name(f"{stem}.{pose_label(Path(poses))}{OUT_SUFFIX}")
    return v.with_name(stem + OUT_SUFFIX)


def write_outputs(
    result: RefineResult,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    extras: Callable[[Path], None] | None = None,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Write ``refined.npz``, ``refined.json`` and ``history.json`` (and what ``extras`` adds) to a folder.

    The folder follows :mod:`flowpose.io.outdir`: built beside ``out_dir`` and renamed into place whole,
    marked with a manifest, and an existing folder is replaced only with ``overwrite`` and only when flowpose
    wrote it.

    Args:
        result: the refinement result.
        out_dir: destination folder.
        overwrite: replace an existing folder that flowpose wrote.
        extras: called with the temporary folder to add files (report, overlay video).
        inputs: the files the run read; the output may not replace any of them.

    Returns:
        The output folder.

    Raises:
        InputError: for a refused destination (see :func:`flowpose.io.outdir.check_output_folder`).
    """

    def fill(tmp: Path) -> None:
        save_poses(result.poses, tmp / "refined.npz")
        save_poses(result.poses, tmp / "refined.json")
        (tmp / "history.json").write_text(json.dumps(history_json(result), indent=1))
        if extras is not None:
            extras(tmp)

    return write_output_folder(out_dir, fill, overwrite=overwrite, inputs=inputs)


def write_refine_folder(
    result: RefineResult,
    out_dir: str | os.PathLike[str],
    *,
    init: PoseSequence,
    frames: Sequence[np.ndarray],
    gt_joints3d: np.ndarray | None = None,
    overlay: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> tuple[Path, list[str]]:
    """Everything ``flowpose refine`` writes, as one atomic folder: :func:`write_outputs` plus ``report.png``
    (when matplotlib is installed) and, with ``overlay``, ``overlay.mp4``.

    Args:
        result: the refinement result.
        out_dir: destination folder.
        init: the initial poses (for the report's and the overlay's "before").
        frames: the T frames refined (for the overlay).
        gt_joints3d: (T, 17, 3) ground-truth joints for the report, or None.
        overlay: also write the overlay video.
        overwrite: replace an existing folder that flowpose wrote.
        progress: show a progress bar while the overlay is written.
        inputs: the files the run read; the output may not replace any of them.

    Returns:
        The folder, and the names of the files in it (in writing order); a report skipped for lack of
        matplotlib is missing from the list.
    """
    # Imported here: plotting and drawing are not needed to write poses.
    from flowpose.report import plot_report
    from flowpose.viz import write_overlay

    names = ["refined.npz", "refined.json", "history.json"]

    def extras(tmp: Path) -> None:
        if plot_report(result, tmp / "report.png", init=init, gt=gt_joints3d):
            names.append("report.png")
        if overlay:
            write_overlay(
                tmp / "overlay.mp4",
                frames,
                init,
                result.poses,
                result.flow,
                fps=result.poses.fps,
                progress=progress,
            )
            names.append("overlay.mp4")

    return write_outputs(result, out_dir, overwrite=overwrite, extras=extras, inputs=inputs), names
