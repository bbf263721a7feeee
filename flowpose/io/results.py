"""Writing a refinement's outputs as one unit: a folder that appears whole or not at all."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from flowpose.errors import InputError
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


def default_out_dir(video: str | os.PathLike[str]) -> Path:
    """The default output folder of a video: ``<stem>.flowpose`` beside it (a frame folder keeps its full
    name).

    Example:
        >>> default_out_dir("clips/walk.mp4").as_posix()
        'clips/walk.flowpose'
    """
    v = Path(video)
    return v.with_name((v.name if v.is_dir() else v.stem) + OUT_SUFFIX)


def check_out_dir(out_dir: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Check that an output folder may be written: absent, or an existing folder with ``overwrite``.

    Run it before a long computation, so that a refused folder costs nothing; :func:`write_outputs` checks
    again.

    Raises:
        InputError: for an existing folder without ``overwrite``, or an existing file.
    """
    out = Path(out_dir)
    if out.exists() and (not overwrite or not out.is_dir()):
        what = "a file" if not out.is_dir() else "an existing folder"
        raise InputError(f"{out}: output is {what}; choose another --out or pass --overwrite")
    return out


def write_outputs(
    result: RefineResult,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    extras: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``refined.npz``, ``refined.json`` and ``history.json`` (and what ``extras`` adds) to a folder.

    Everything is written into a temporary sibling folder, which is renamed onto ``out_dir`` only when all of
    it succeeded; an existing ``out_dir`` is replaced only with ``overwrite`` (and only after success).

    Args:
        result: the refinement result.
        out_dir: destination folder.
        overwrite: replace an existing folder.
        extras: called with the temporary folder to add files (report, overlay video).

    Returns:
        The output folder.

    Raises:
        InputError: when ``out_dir`` exists (and ``overwrite`` is off) or is a file.
    """
    out = check_out_dir(out_dir, overwrite=overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    # mkdtemp makes the folder private (0700); give the output the permissions of any folder the user makes.
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        save_poses(result.poses, tmp / "refined.npz")
        save_poses(result.poses, tmp / "refined.json")
        (tmp / "history.json").write_text(json.dumps(history_json(result), indent=1))
        if extras is not None:
            extras(tmp)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


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
        overwrite: replace an existing folder.
        progress: show a progress bar while the overlay is written.

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

    return write_outputs(result, out_dir, overwrite=overwrite, extras=extras), names
