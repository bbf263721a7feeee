"""Ultralytics YOLO pose results as ``predict(..., save_txt=True)`` or ``track(..., save_txt=True)`` writes them.

The ``labels`` folder of a run holds one ``.txt`` file per frame in which somebody was found (none for a frame with
nobody), one line per person, every coordinate a fraction of the image's width or height:

    class x_centre y_centre width height  x_1 y_1 [v_1] ... x_K y_K [v_K]  [confidence] [track_id]

K = 17 (COCO's keypoints: every Ultralytics human pose model, YOLOv8 to YOLO26); ``v`` is the keypoint's score where
the model predicts one (COCO-trained models do); ``confidence`` is written with ``save_conf=True``, ``track_id``
by ``track``. A video's files are named ``{video stem}_{n}.txt``, n the frame counted from 1 as Ultralytics reads
them (``vid_stride=1``, the default: with a stride n counts the frames read, not the video's); a folder of images
gives ``{image stem}.txt``. So the frames are placed by the video the labels are of: its stem, or its images'
stems, and its frame count, size (H, W) px.

A keypoint of score 0, or at (0, 0) (how Ultralytics writes one the model did not place), is missing: NaN, score 0;
a keypoint without a score counts 1. A single trailing value after the keypoints is the track id where every line's
is a whole number of 1 or more (a confidence never is, but 1.0 exactly), else the confidence.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowpose.errors import InputError
from flowpose.people.detections import Detection
from flowpose.skeleton import get_skeleton

BOX_VALUES = 5
"""The values before the keypoints: the class and the box's centre, width and height."""


@dataclass(frozen=True)
class LabelledVideo:
    """What YOLO's labels need of the video they are of.

    Attributes:
        stem: the video file's name without its suffix (its labels are ``{stem}_{n}.txt``).
        size: (H, W) px of its frames.
        num_frames: T, its frames.
        frame_stems: for a folder of images, their names without suffix in frame order (labels ``{stem}.txt``);
            None for a video file.
    """

    stem: str
    size: tuple[int, int]
    num_frames: int
    frame_stems: tuple[str, ...] | None = None


def labels_folder(path: str | os.PathLike[str]) -> Path:
    """The folder of label files: ``path``, or its ``labels`` folder where ``path`` is a run's folder (``runs/pose/
    predict``) holding no ``.txt`` itself.

    Raises:
        InputError: for a missing path or a file.
    """
    root = Path(path)
    if not root.is_dir():
        what = "a file, not a folder" if root.exists() else "no such folder"
        raise InputError(f"{root}: {what} (expected the labels folder of an Ultralytics run with save_txt=True)")
    if not any(root.glob("*.txt")) and (root / "labels").is_dir():
        return root / "labels"
    return root


def _frame_index(stem: str, video_stem: str, positions: dict[str, int] | None, num_frames: int) -> int | None:
    """The frame a label file's ``stem`` names (``positions``: an image folder's stems -> frames), None where it is
    not of this video, -1 where it names a frame after the last."""
    if positions is not None:
        return positions.get(stem)
    match = re.fullmatch(re.escape(video_stem) + r"_(\d+)", stem)
    if match is None:
        return None
    n = int(match[1])
    return n - 1 if 1 <= n <= num_frames else -1


def _parse_line(values: list[float], J: int, where: str) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """One line's (J, 2) normalised keypoints, (J,) scores (1 where the line has none) and trailing values."""
    rest = len(values) - BOX_VALUES
    for per_joint in (3, 2):
        extra = rest - per_joint * J
        if 0 <= extra <= 2:
            a = np.asarray(values[BOX_VALUES:BOX_VALUES + per_joint * J], np.float64).reshape(J, per_joint)
            score = a[:, 2] if per_joint == 3 else np.ones(J)
            return a[:, :2], score, values[len(values) - extra:]
    raise InputError(f"{where}: {len(values)} values; expected a YOLO pose line: the class, the box (4), {J} keypoints "
                     f"as x y score (or x y), then optionally the confidence and the track id: {BOX_VALUES + 2 * J} to "
                     f"{BOX_VALUES + 3 * J + 2} values")


def read_yolo_labels(
    folder: str | os.PathLike[str], video: LabelledVideo, skeleton: str | None = None
) -> tuple[list[list[Detection]], str]:
    """Read a video's YOLO pose labels (module docstring).

    Args:
        folder: the ``labels`` folder (or the run's folder holding it: :func:`labels_folder`).
        video: the video they are of.
        skeleton: the keypoints' layout; None: ``coco17``.

    Returns:
        T per-frame lists of detections (px keypoints, scores; the track id as ``source_id``) and the layout.

    Raises:
        InputError: naming the folder or the file and line, for no labels of this video, a frame beyond its T, or a
            line that is not a pose line.
    """
    root = labels_folder(folder)
    layout = skeleton or "coco17"
    J = get_skeleton(layout).num_joints
    H, W = video.size
    num_frames = video.num_frames
    files = sorted(root.glob("*.txt"))
    positions = None if video.frame_stems is None else {s: t for t, s in enumerate(video.frame_stems)}
    placed = [(f, _frame_index(f.stem, video.stem, positions, num_frames)) for f in files]
    if any(t == -1 for _, t in placed):
        late = next(f for f, t in placed if t == -1)
        raise InputError(f"{late}: names a frame beyond the video's {num_frames} (frames count from 1)")
    ours = [(f, t) for f, t in placed if t is not None]
    if not ours:
        expected = "the names of its images" if video.frame_stems is not None else f"{video.stem}_N.txt"
        seen = ", ".join(f.name for f in files[:3]) if files else "none"
        raise InputError(f"{root}: no labels of this video (expected {expected}; .txt files here: {seen})")
    lines: list[tuple[int, np.ndarray, np.ndarray, list[float]]] = []
    for f, t in ours:
        for k, text in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not text.strip():
                continue
            try:
                values = [float(v) for v in text.split()]
            except ValueError:
                raise InputError(f"{f}:{k}: expected numbers, got {text.strip()[:60]!r}") from None
            xy, score, extra = _parse_line(values, J, f"{f}:{k}")
            lines.append((t, xy, score, extra))
    ids = _track_ids([e for *_, e in lines])
    frames: list[list[Detection]] = [[] for _ in range(num_frames)]
    for (t, xy, score, _), source_id in zip(lines, ids):
        px = (xy * (W, H)).astype(np.float32)
        conf = np.clip(score, 0.0, 1.0).astype(np.float32)
        missing = (conf <= 0) | (xy == 0).all(-1) | ~np.isfinite(px).all(-1)
        px[missing], conf[missing] = np.nan, 0.0
        frames[t].append(Detection(px, conf, source_id=source_id))
    return frames, layout


def _track_ids(extras: list[list[float]]) -> list[int | None]:
    """Each line's track id from its trailing values (module docstring): the second of two, or the one where every
    line's single value is a whole number of 1 or more; None where there is none."""
    if extras and all(len(e) == 2 for e in extras):
        return [int(e[1]) for e in extras]
    if extras and all(len(e) == 1 and e[0] >= 1 and float(e[0]).is_integer() for e in extras):
        return [int(e[0]) for e in extras]
    return [None] * len(extras)
