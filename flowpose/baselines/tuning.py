"""Grid search of a smoother's parameters on tuning clips with ground truth.

A fair baseline is tuned on clips other than the ones it is evaluated on: tune on clip A with
:func:`tune_smoother`, then apply ``result.best`` to clip B.
"""

from __future__ import annotations

import itertools
from typing import Callable, Mapping, NamedTuple, Sequence

import numpy as np

from flowpose.baselines.smoothers import SMOOTHERS, SmootherSpec
from flowpose.errors import InputError, ShapeError, unknown_name_error
from flowpose.metrics import accel_error, mpjpe, pa_mpjpe


def _grid(axes: Mapping[str, Sequence[float]]) -> tuple[dict[str, float], ...]:
    """Cartesian product of parameter axes, the last axis varying fastest."""
    keys = list(axes)
    return tuple(dict(zip(keys, values)) for values in itertools.product(*(axes[k] for k in keys)))


DEFAULT_GRIDS: dict[str, tuple[dict[str, float], ...]] = {
    "savgol": _grid({"window": range(5, 62, 2), "order": (1, 2, 3)}),
    "gaussian": _grid({"sigma_frames": tuple(float(s) for s in np.round(np.geomspace(0.5, 10.0, 14), 3))}),
    "one_euro": _grid({
        "min_cutoff": tuple(float(f) for f in np.round(np.geomspace(0.05, 5.0, 11), 4)),
        # Joints are in metres and move at ~1 m/s, so beta = 1 raises the cutoff by only ~1 Hz: the grid goes
        # on to 10 so that fast motion can open the filter well beyond min_cutoff.
        "beta": (0.0, 0.1, 0.3, 1.0, 3.0, 10.0),
    }),
}
"""Default search grids: Savitzky-Golay windows 5..61 (odd) x orders 1..3; Gaussian sigma 0.5..10 frames
(log-spaced); one-euro min_cutoff 0.05..5 Hz (log-spaced) x beta 0..10 per (m/s)."""

METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mpjpe": lambda pred, gt: float(mpjpe(pred, gt)),
    "pa_mpjpe": lambda pred, gt: float(pa_mpjpe(pred, gt)),
    "accel": accel_error,
}
"""Scores to minimise, in mm (``accel``: mm per frame squared); see :mod:`flowpose.metrics`."""


class TuningRow(NamedTuple):
    """One grid point: the smoother tried and its score (mean over the tuning clips; NaN if undefined)."""

    spec: SmootherSpec
    score: float


class TuningResult(NamedTuple):
    """What :func:`tune_smoother` found; unpacks as ``best, table``."""

    best: SmootherSpec
    """The grid point with the lowest score (the first one on ties)."""
    table: tuple[TuningRow, ...]
    """Every grid point in grid order with its score."""


def _check_pairs(
    pairs: Sequence[tuple[np.ndarray, np.ndarray, float]],
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    if len(pairs) == 0:
        raise InputError("tune_smoother needs at least one (estimate, ground truth, fps) clip, got none")
    checked = []
    for k, pair in enumerate(pairs):
        if len(pair) != 3:
            raise InputError(f"tuning clip {k}: expected (estimate, ground truth, fps), got {len(pair)}")
        est, gt, fps = np.asarray(pair[0], np.float64), np.asarray(pair[1], np.float64), float(pair[2])
        if est.ndim != 3 or est.shape[-1] != 3:
            raise ShapeError(f"tuning clip {k} estimate", "(T, J, 3)", est.shape)
        if gt.shape != est.shape:
            raise ShapeError(f"tuning clip {k} ground truth", f"{est.shape} like its estimate", gt.shape)
        if not (np.isfinite(fps) and fps > 0):
            raise InputError(f"tuning clip {k}: fps must be a positive number, got {fps}")
        checked.append((est, gt, fps))
    return checked


def tune_smoother(
    name: str,
    pairs: Sequence[tuple[np.ndarray, np.ndarray, float]],
    grid: Sequence[Mapping[str, float]] | None = None,
    metric: str = "mpjpe",
) -> TuningResult:
    """Pick a smoother's parameters by grid search, minimising the mean error over tuning clips.

    The score of a grid point is the mean over clips of ``metric(smoothed estimate, ground truth)``; clips on
    which the metric is undefined (NaN, e.g. ``accel`` with T < 3) are left out of that mean.

    Args:
        name: a key of :data:`~flowpose.baselines.smoothers.SMOOTHERS`.
        pairs: tuning clips as (estimate (T, 17, 3) metres, ground truth (T, 17, 3) metres, fps); H36M-17
            joints for ``mpjpe`` (root-aligned at the pelvis).
        grid: parameter dicts to try; None uses :data:`DEFAULT_GRIDS` ``[name]``.
        metric: a key of :data:`METRICS` (``"mpjpe"``, ``"pa_mpjpe"`` or ``"accel"``).

    Returns:
        A :class:`TuningResult` ``(best, table)``.

    Raises:
        InputError: for an unknown smoother or metric, an empty grid or list of clips, a bad parameter, or a
            grid on which every score is undefined.
        ShapeError: for wrongly shaped clips.

    Example:
        >>> best, table = tune_smoother("gaussian", [(noisy, gt, 30.0)])  # doctest: +SKIP
        >>> smoothed_b = best.apply(noisy_b, 30.0)  # doctest: +SKIP
    """
    if name not in SMOOTHERS:
        raise unknown_name_error("smoother", name, list(SMOOTHERS))
    if metric not in METRICS:
        raise unknown_name_error("tuning metric", metric, list(METRICS))
    clips = _check_pairs(pairs)
    grid = DEFAULT_GRIDS[name] if grid is None else grid
    specs = [SmootherSpec.from_dict(name, params) for params in grid]
    if not specs:
        raise InputError(f"tune_smoother: the grid for {name!r} is empty")
    score_fn = METRICS[metric]
    rows = []
    for spec in specs:
        scores = np.array([score_fn(spec.apply(est, fps), gt) for est, gt, fps in clips])
        finite = scores[np.isfinite(scores)]
        rows.append(TuningRow(spec, float(finite.mean()) if finite.size else float("nan")))
    scored = [row for row in rows if np.isfinite(row.score)]
    if not scored:
        raise InputError(f"tune_smoother: {metric} is undefined on every tuning clip (too few frames?)")
    best = min(scored, key=lambda row: row.score)  # min keeps the first of equal scores
    return TuningResult(best.spec, tuple(rows))
