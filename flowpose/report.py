"""The refinement report, ``report.png``: what each cycle did to every metric, and what refinement did to the
joints' trajectories.

Top rows: one panel per metric of the history (the order of ``flowpose refine``'s table), its value against
the cycle, cycle 0 being the initial estimate, as in the per-cycle figure of "Bootstrapping human optical flow
and pose" (BMVC 2022); the count of frames whose limbs swap repair relabelled is a second title line. Bottom
rows: camera-frame x, y, z of a wrist and an ankle over time, initial vs refined (vs ground truth when given).

Matplotlib is an optional extra (``pip install "flowpose[plot]"``); without it :func:`plot_report` warns and
writes nothing. Figures are drawn on an Agg canvas directly, never through ``pyplot``, so the caller's
matplotlib backend and global state are left alone.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np

from flowpose.io.atomic import atomic_path
from flowpose.pose import PoseSequence
from flowpose.refinement.result import RefineResult
from flowpose.refinement.table import COLUMNS
from flowpose.skeleton import get_skeleton

TRAJECTORY_JOINTS = ("l_wrist", "r_ankle")
"""Joints whose trajectories the report draws: fast, thin extremities, where refinement shows most."""

INSTALL_HINT = 'pip install "flowpose[plot]"'

_STYLE = {
    "initial": {"color": "#e67e00", "lw": 1.2, "alpha": 0.9},
    "refined": {"color": "#0a7bd6", "lw": 1.6},
    "ground truth": {"color": "black", "lw": 1.0, "ls": "--"},
}


def matplotlib_available() -> bool:
    """Whether matplotlib (the ``plot`` extra) can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


SWAP_COUNT = "swaps_repaired"
"""The metric that counts what swap repair did once, before the cycles: given in the title, not drawn per cycle."""


def _metric_panels(history: list) -> list[tuple[str, str]]:
    """(key, label) of every metric in the history drawn per cycle: the table's order first, then any others."""
    present = {k for r in history for k, v in r.metrics.items()
               if v is not None and math.isfinite(v) and k != SWAP_COUNT}
    known = [(k, label) for k, label, _ in COLUMNS if k in present]
    extra = sorted(present - {k for k, _ in known})
    return known + [(k, k) for k in extra]


def plot_report(
    result: RefineResult,
    path: str | os.PathLike[str],
    *,
    init: PoseSequence,
    gt: np.ndarray | None = None,
) -> bool:
    """Draw the per-cycle metrics and the before/after joint trajectories to a PNG, atomically.

    Args:
        result: the refinement result (its ``history`` and refined ``poses``).
        path: destination ``.png``.
        init: the initial poses (any skeleton with the limb joints; T frames).
        gt: (T, J, 3) ground-truth joints in metres, of the refined poses' skeleton, or None.

    Returns:
        True when the PNG was written, False when matplotlib is missing (a warning says so).

    Example:
        >>> plot_report(result, "report.png", init=poses)  # doctest: +SKIP
        True
    """
    if not matplotlib_available():
        warnings.warn(f"matplotlib is not installed: report.png skipped ({INSTALL_HINT})", stacklevel=2)
        return False
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metrics = _metric_panels(result.history)
    ncols = 4
    mrows = max(1, math.ceil(len(metrics) / ncols))
    trows = len(TRAJECTORY_JOINTS)
    width, height = 13.0, 2.4 * mrows + 2.3 * trows + 0.6
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    # Margins in inches, set here rather than by matplotlib's constrained layout, which measured every label of
    # every panel twice: half the report's time (benchmarks/RESULTS.md, fifty-ninth session).
    grid = fig.add_gridspec(mrows + trows, 1, height_ratios=[1.0] * mrows + [1.05] * trows,
                            left=0.6 / width, right=1 - 0.15 / width, top=1 - 1.0 / height, bottom=0.5 / height,
                            hspace=0.42)
    fig.suptitle(_title(result, init), fontsize=11)

    top = grid[:mrows, 0].subgridspec(mrows, ncols, wspace=0.22, hspace=0.42)
    cycles = [r.cycle for r in result.history]
    for i, (key, label) in enumerate(metrics):
        ax = fig.add_subplot(top[i // ncols, i % ncols])
        values = [r.metrics.get(key, math.nan) for r in result.history]
        values = [math.nan if v is None else v for v in values]
        ax.plot(cycles, values, "o-", color=_STYLE["refined"]["color"], ms=4)
        ax.set_title(label, fontsize=9)
        ax.set_xticks(cycles)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if i // ncols == mrows - 1 or i + ncols >= len(metrics):
            ax.set_xlabel("cycle", fontsize=8)
    if not metrics:
        fig.add_subplot(top[0, 0]).text(0.5, 0.5, "no metrics in the history", ha="center")

    curves = {"initial": init, "refined": result.poses}
    first = result.poses.first_frame or 0  # a segment's curves are drawn at the video's own times
    seconds = result.poses.times  # a variable frame rate: each frame at its own time
    if seconds is None:
        seconds = (first + np.arange(result.poses.num_frames)) / result.poses.fps
    for row, joint in enumerate(TRAJECTORY_JOINTS):
        sub = grid[mrows + row, 0].subgridspec(1, 3, wspace=0.16)
        for axis, name in enumerate("xyz"):
            ax = fig.add_subplot(sub[0, axis])
            for label, poses in curves.items():
                j = poses.skel.index(joint)
                ax.plot(
                    seconds,
                    poses.joints3d[:, j, axis],
                    label=label,
                    **_STYLE[label],
                )
            if gt is not None:
                j = get_skeleton(result.poses.skeleton).index(joint)
                ax.plot(seconds, gt[:, j, axis], label="ground truth", **_STYLE["ground truth"])
            ax.set_title(f"{joint.replace('_', ' ')}: {name} (m, camera frame)", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            if row == trows - 1:
                ax.set_xlabel("time (s)", fontsize=8)
            if row == 0 and axis == 0:
                ax.legend(fontsize=8, loc="best")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    return True


def _title(result: RefineResult, init: PoseSequence) -> str:
    first, last = result.history[0].metrics, result.history[-1].metrics
    parts = [f"{init.num_frames} frames, {len(result.history) - 1} cycles"]
    for key, label, fmt in COLUMNS:
        if all(m.get(key) is not None and math.isfinite(m[key]) for m in (first, last)):  # accel needs 3 frames
            parts.append(f"{label.split(' ')[0]} {fmt.format(first[key])} -> {fmt.format(last[key])}")
        if len(parts) == 4:
            break
    title = "flowpose refinement: " + ";  ".join(parts) + "  (every metric: lower is better)"
    swaps = first.get(SWAP_COUNT)
    if swaps is not None and math.isfinite(swaps):
        plural = "" if swaps == 1 else "s"
        title += f"\nleft/right swaps repaired before refinement: {swaps:.0f} limb-pair frame{plural}"
    return title
