"""Tests for flowpose.baselines.tuning: the grid search picks a smoother that helps, from its grid."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.baselines.smoothers import SmootherSpec
from flowpose.baselines.tuning import DEFAULT_GRIDS, tune_smoother
from flowpose.errors import InputError, ShapeError
from flowpose.metrics import mpjpe

FPS = 30.0


def _clip(seed: int, T: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """A smooth synthetic motion (sums of slow sines per joint) and a white-noise-corrupted estimate."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None] / FPS
    freq, phase = rng.uniform(0.2, 1.0, (1, 17, 3)), rng.uniform(0, 2 * np.pi, (1, 17, 3))
    gt = rng.normal(0, 0.3, (1, 17, 3)) + 0.1 * np.sin(2 * np.pi * freq * t + phase) + [0, 0, 4]
    noisy = gt + rng.normal(0, 0.02, gt.shape)
    noisy[:, 0] = gt[:, 0]  # noise-free root: MPJPE then measures the smoothing, not root alignment
    return noisy, gt


@pytest.mark.parametrize("name", list(DEFAULT_GRIDS))
def test_tuned_smoother_beats_no_smoothing_on_another_clip(name: str) -> None:
    noisy_a, gt_a = _clip(0)
    noisy_b, gt_b = _clip(1)
    best, table = tune_smoother(name, [(noisy_a, gt_a, FPS)])
    assert best.name == name
    assert best.as_dict() in [dict(p) for p in DEFAULT_GRIDS[name]]
    assert len(table) == len(DEFAULT_GRIDS[name])
    # The causal one-euro filter lags, so it gains less than the centred smoothers.
    gain = 0.9 if name == "one_euro" else 0.7
    assert mpjpe(best.apply(noisy_b, FPS), gt_b) < gain * mpjpe(noisy_b, gt_b)
    # The winner's score is the table's minimum and equals its MPJPE on the tuning clip.
    scores = [row.score for row in table]
    assert min(scores) == pytest.approx(mpjpe(best.apply(noisy_a, FPS), gt_a))


def test_custom_grid_and_mean_over_clips() -> None:
    clips = [(*_clip(s, T=40), FPS) for s in (2, 3)]
    grid = [{"sigma_frames": 0.0}, {"sigma_frames": 1.5}, {"sigma_frames": 30.0}]
    best, table = tune_smoother("gaussian", clips, grid=grid)
    assert best == SmootherSpec.from_dict("gaussian", {"sigma_frames": 1.5})
    assert [row.spec.as_dict() for row in table] == grid
    expected = np.mean([mpjpe(row_est, gt) for row_est, gt, _ in clips])  # sigma 0 = the raw estimate
    assert table[0].score == pytest.approx(expected)


def test_accel_metric_prefers_more_smoothing() -> None:
    noisy, gt = _clip(4)
    grid = [{"sigma_frames": s} for s in (0.5, 2.0, 4.0)]
    by_mpjpe = tune_smoother("gaussian", [(noisy, gt, FPS)], grid=grid).best
    by_accel = tune_smoother("gaussian", [(noisy, gt, FPS)], grid=grid, metric="accel").best
    assert by_accel.as_dict()["sigma_frames"] >= by_mpjpe.as_dict()["sigma_frames"]


def test_bad_inputs() -> None:
    noisy, gt = _clip(0, T=10)
    with pytest.raises(InputError, match="unknown smoother 'kalman'"):
        tune_smoother("kalman", [(noisy, gt, FPS)])
    with pytest.raises(InputError, match="unknown tuning metric 'pck'"):
        tune_smoother("savgol", [(noisy, gt, FPS)], metric="pck")
    with pytest.raises(InputError, match="at least one"):
        tune_smoother("savgol", [])
    with pytest.raises(ShapeError, match="tuning clip 0 ground truth"):
        tune_smoother("savgol", [(noisy, gt[:5], FPS)])
    with pytest.raises(InputError, match="fps must be a positive"):
        tune_smoother("savgol", [(noisy, gt, 0.0)])
    with pytest.raises(InputError, match="grid for 'savgol' is empty"):
        tune_smoother("savgol", [(noisy, gt, FPS)], grid=[])
    with pytest.raises(InputError, match="undefined on every tuning clip"):
        tune_smoother("savgol", [(noisy[:2], gt[:2], FPS)], grid=[{"window": 3}], metric="accel")
