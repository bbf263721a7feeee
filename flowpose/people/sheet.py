"""``people.png``: a contact sheet of a few frames with every track's box and id, to choose ``--person``."""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

from flowpose.io.atomic import atomic_path
from flowpose.people.track import Track

PALETTE = ((230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240))
"""RGB colours of tracks 0, 1, 2, ... (repeating)."""


def contact_sheet(
    frames: Sequence[np.ndarray],
    tracks: Sequence[Track],
    *,
    panels: int = 4,
    panel_height: int = 360,
    first_frame: int = 0,
) -> np.ndarray:
    """Frames evenly spread over the video, side by side, each track's box drawn with its id.

    Args:
        frames: the T frames (H, W, 3) uint8 RGB.
        tracks: from :func:`flowpose.people.track.track_people` (their :meth:`~Track.boxes` are drawn).
        panels: how many frames to show.
        panel_height: each panel's height, px.
        first_frame: the video's number of ``frames[0]`` (a segment's start), for the panels' labels.

    Returns:
        (panel_height, total width, 3) uint8 RGB.
    """
    T = len(frames)
    chosen = np.unique(np.linspace(0, T - 1, min(panels, T)).round().astype(int))
    where = {(int(t), tr.id): box for tr in tracks for t, box in zip(tr.frames, tr.boxes())}
    out = []
    for t in chosen:
        image = np.ascontiguousarray(frames[t]).copy()
        k = panel_height / image.shape[0]
        thick = max(2, round(3 / k))
        for tr in tracks:
            if (int(t), tr.id) not in where:
                continue
            box = where[int(t), tr.id]
            if box is None:
                continue
            colour = PALETTE[tr.id % len(PALETTE)]
            x0, y0, x1, y1 = (int(round(v)) for v in box)
            cv2.rectangle(image, (x0, y0), (x1, y1), colour, thick)
            cv2.putText(image, str(tr.id), (x0, max(y0 - 8, 30)), cv2.FONT_HERSHEY_SIMPLEX, 1.2 / k * 0.6,
                        colour, thick, cv2.LINE_AA)
        cv2.putText(image, f"frame {first_frame + t}", (10, image.shape[0] - 20), cv2.FONT_HERSHEY_SIMPLEX,
                    0.8 / k * 0.6, (255, 255, 255), thick, cv2.LINE_AA)
        out.append(cv2.resize(image, (round(image.shape[1] * k), panel_height), interpolation=cv2.INTER_AREA))
    return np.concatenate(out, axis=1)


def write_contact_sheet(path: str | os.PathLike[str], sheet: np.ndarray) -> None:
    """Write an RGB sheet as PNG, atomically."""
    with atomic_path(path) as tmp:
        ok = cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"could not write {path}")
