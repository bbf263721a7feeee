"""A TRC marker file (Pose2Sim's triangulation of every view, OpenSim's input) as the ground truth of one view.

Pose2Sim triangulates each person from all the views of a calibrated capture and writes their markers as a TRC
file in the capture's world, its Z up turned Y up (:data:`flowpose.io.world_frame.Z_UP_TO_Y_UP`), in metres
(``Units`` ``m``; ``mm`` is read too); ``flowpose export trc --extrinsics`` writes the same. A single view's
refinement is scored against it once the markers are in that view's camera frame, ``x_cam = R x_world + t``
(:class:`~flowpose.io.world_frame.WorldFrame`). The markers named as Human3.6M-17's joints
(:data:`flowpose.io.trc_export.TRC_MARKERS`: ``Hip``, ``RHip``, ..., ``Neck``, ``Nose``, ``Head``; Pose2Sim's
HALPE_26 and Body_25 sets name them so) give those joints; a joint without its marker (Human3.6M's spine, in
Pose2Sim's sets) and a blank cell are not known (NaN), and other markers (toes, heels) are not read. Rows are the
video's frames in the file's order, as a ground-truth ``.npz``'s are (``Frame#`` is not read: Pose2Sim counts a
frame range from 1).

The layout (tab-separated): ``PathFileType`` line; the header's names (``DataRate``, ..., ``Units``, ...) and their
values; ``Frame#``, ``Time`` and the marker names, each over three columns; ``X1 Y1 Z1 ...``; then (after a blank
line in OpenSim's files, none in Pose2Sim's) a row a frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from flowpose.errors import InputError
from flowpose.io.groundtruth import GroundTruth
from flowpose.io.poses import check_readable
from flowpose.io.trc_export import TRC_MARKERS
from flowpose.io.world_frame import Z_UP_TO_Y_UP, WorldFrame
from flowpose.skeleton import H36M17

UNITS = {"m": 1.0, "mm": 0.001, "cm": 0.01}
"""TRC ``Units`` read, in metres."""


@dataclass(frozen=True)
class TrcMarkers:
    """What a TRC file holds.

    Attributes:
        names: the markers' names, in the file's order.
        values: (T, M, 3) float64 metres, as written (Y up); NaN where a cell is blank.
        fps: ``DataRate``, frames per second, or None where it cannot be read.
    """

    names: list[str]
    values: np.ndarray
    fps: float | None


def read_trc(path: str | os.PathLike[str]) -> TrcMarkers:
    """Read a TRC marker file (module docstring).

    Raises:
        InputError: naming the file, for a missing or unreadable one, a header not a TRC's, unknown units, or a row
            of other than 2 + 3 x (markers) cells.
    """
    p = check_readable(path, (".trc",), "TRC marker file")
    try:
        lines = p.read_text(encoding="utf-8", errors="strict").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a TRC marker file (not text)") from None
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise InputError(f"{p}: not a TRC marker file (expected a first line 'PathFileType ...', got "
                         f"{lines[0][:40] if lines else 'an empty file'!r})")
    header = dict(zip(lines[1].split("\t"), lines[2].split("\t")))
    units = header.get("Units", "m").strip()
    if units not in UNITS:
        raise InputError(f"{p}: Units {units!r}; expected one of {sorted(UNITS)}")
    names = [n.strip() for n in lines[3].split("\t")[2:] if n.strip()]
    if not names:
        raise InputError(f"{p}: no marker names on its fourth line (expected 'Frame#, Time, NAME, , , NAME, ...')")
    rows = []
    for n, line in enumerate(lines[5:], 6):
        if not line.strip():
            continue
        cells = line.split("\t")[2:]
        cells += [""] * (3 * len(names) - len(cells))  # trailing blanks cut
        if len(cells) != 3 * len(names):
            raise InputError(f"{p}:{n}: {len(cells)} values for {len(names)} markers (expected {3 * len(names)})")
        try:
            rows.append([float(c) if c.strip() else np.nan for c in cells])
        except ValueError as e:
            raise InputError(f"{p}:{n}: {e}") from None
    if not rows:
        raise InputError(f"{p}: no frames in it")
    try:
        fps = float(header.get("DataRate", ""))
    except ValueError:
        fps = None
    fps = fps if fps is not None and np.isfinite(fps) and fps > 0 else None
    values = np.array(rows, np.float64).reshape(len(rows), len(names), 3) * UNITS[units]
    return TrcMarkers(names=names, values=values, fps=fps)


def trc_ground_truth(path: str | os.PathLike[str], frame: WorldFrame) -> GroundTruth:
    """A TRC file of a calibrated capture's world as the Human3.6M-17 ground truth of one of its cameras' views
    (module docstring): (T, 17, 3) metres in ``frame``'s camera frame, NaN where not known.

    Raises:
        InputError: for an unreadable file (:func:`read_trc`) or one with none of the markers.
    """
    markers = read_trc(path)
    index = {name: k for k, name in enumerate(markers.names)}
    found = [index.get(TRC_MARKERS[name]) for name in H36M17.joint_names]
    if all(k is None for k in found):
        raise InputError(f"{path}: none of its markers is named as a joint ({', '.join(TRC_MARKERS.values())}); got "
                         f"{', '.join(markers.names[:8])}{' ...' if len(markers.names) > 8 else ''}")
    world = np.full((len(markers.values), H36M17.num_joints, 3), np.nan)
    for j, k in enumerate(found):
        if k is not None:
            world[:, j] = markers.values[:, k] @ Z_UP_TO_Y_UP  # Y up back to Z up (the turn's inverse: its transpose)
    camera = world @ frame.R.T + frame.t
    return GroundTruth(joints3d=camera.astype(np.float32), fps=markers.fps)
