"""Baselines for the refinement benchmarks: classical temporal smoothers and their tuning."""

from flowpose.baselines.smoothers import (
    SMOOTHERS,
    SmootherSpec,
    fill_gaps,
    gaussian_smooth,
    one_euro_smooth,
    savgol_smooth,
)
from flowpose.baselines.tuning import DEFAULT_GRIDS, METRICS, TuningResult, TuningRow, tune_smoother

__all__ = [
    "DEFAULT_GRIDS", "METRICS", "SMOOTHERS", "SmootherSpec", "TuningResult", "TuningRow", "fill_gaps",
    "gaussian_smooth", "one_euro_smooth", "savgol_smooth", "tune_smoother",
]
