"""Tests for flowpose.baselines.smoothers: exactness on simple signals, noise reduction, gaps, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.baselines.smoothers import (
    SMOOTHERS,
    SmootherSpec,
    fill_gaps,
    gaussian_smooth,
    one_euro_smooth,
    savgol_smooth,
)
from flowpose.errors import InputError, ShapeError

FPS = 30.0
SPECS = {
    "savgol": SmootherSpec.from_dict("savgol", {"window": 9, "order": 2}),
    "gaussian": SmootherSpec.from_dict("gaussian", {"sigma_frames": 2.0}),
    "one_euro": SmootherSpec.from_dict("one_euro", {"min_cutoff": 1.0, "beta": 0.1}),
}


def _ramp(T: int = 40, J: int = 3, D: int = 3) -> np.ndarray:
    """Each coordinate a different straight line over time."""
    t = np.arange(T, dtype=np.float64)[:, None, None]
    rng = np.random.default_rng(1)
    return rng.normal(size=(1, J, D)) + 0.01 * rng.normal(size=(1, J, D)) * t


@pytest.mark.parametrize("name", list(SMOOTHERS))
def test_constant_passes_unchanged(name: str) -> None:
    x = np.broadcast_to(np.random.default_rng(0).normal(size=(1, 4, 3)), (30, 4, 3))
    np.testing.assert_allclose(SPECS[name].apply(x, FPS), x, atol=1e-6)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_savgol_keeps_lines_everywhere(order: int) -> None:
    x = _ramp()
    np.testing.assert_allclose(savgol_smooth(x, window=11, order=order), x, atol=1e-5)


def test_savgol_keeps_polynomial_of_its_order() -> None:
    t = np.linspace(-1, 1, 25)[:, None, None]
    x = t**3 - 0.5 * t**2 + np.zeros((1, 2, 3))
    np.testing.assert_allclose(savgol_smooth(x, window=9, order=3), x, atol=1e-5)
    assert np.abs(savgol_smooth(x, window=9, order=1) - x).max() > 1e-3  # a lower order does bend it


def test_gaussian_keeps_lines_in_the_interior() -> None:
    x, sigma = _ramp(60), 2.0
    out = gaussian_smooth(x, sigma_frames=sigma)
    edge = int(4 * sigma)  # the kernel's truncation radius
    np.testing.assert_allclose(out[edge:-edge], x[edge:-edge], atol=1e-5)
    assert np.abs(out[0] - x[0]).max() > 1e-4  # "nearest" padding bends the ends


def test_one_euro_steady_state_ramp_lag() -> None:
    # With beta = 0 the filter is an exponential smoother; on a ramp of slope v per frame its output settles
    # at a lag of v (1 - a) / a behind the input.
    fps, fc, v = 30.0, 2.0, 0.01
    x = v * np.arange(300.0)[:, None, None]
    out = one_euro_smooth(x, fps=fps, min_cutoff=fc, beta=0.0)
    a = 1.0 / (1.0 + fps / (2 * np.pi * fc))
    np.testing.assert_allclose(x[-1] - out[-1], v * (1 - a) / a, rtol=1e-4)


def test_one_euro_first_steps_by_hand() -> None:
    fps, fc, dc, beta = 10.0, 1.0, 1.0, 0.5
    x = np.array([0.0, 1.0, 1.0])[:, None, None]
    out = one_euro_smooth(x, fps=fps, min_cutoff=fc, beta=beta, d_cutoff=dc)[:, 0, 0]

    def alpha(f: float) -> float:
        return 1.0 / (1.0 + 1.0 / (2 * np.pi * f / fps))

    x1 = 0.0
    dx2 = (1.0 - x1) * fps
    edx2 = alpha(dc) * dx2
    x2 = alpha(fc + beta * abs(edx2)) * 1.0
    dx3 = (1.0 - x2) * fps
    edx3 = alpha(dc) * dx3 + (1 - alpha(dc)) * edx2
    a3 = alpha(fc + beta * abs(edx3))
    x3 = a3 * 1.0 + (1 - a3) * x2
    np.testing.assert_allclose(out, [x1, x2, x3], rtol=1e-6)
    assert 0.0 < x2 < x3 < 1.0


def test_one_euro_beta_cuts_lag_on_fast_motion() -> None:
    x = 0.05 * np.arange(60.0)[:, None, None]  # 1.5 m/s at 30 fps
    slow = one_euro_smooth(x, fps=FPS, min_cutoff=0.5, beta=0.0)
    fast = one_euro_smooth(x, fps=FPS, min_cutoff=0.5, beta=5.0)
    assert abs(x[-1] - fast[-1]).item() < 0.2 * abs(x[-1] - slow[-1]).item()


@pytest.mark.parametrize("name", list(SMOOTHERS))
def test_noise_variance_drops(name: str) -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, (200, 17, 3))
    out = SPECS[name].apply(noise, FPS)
    assert out.var() < 0.5 * noise.var()


@pytest.mark.parametrize("name", list(SMOOTHERS))
def test_shape_dtype_and_no_input_change(name: str) -> None:
    x = np.random.default_rng(0).normal(size=(20, 5, 2)).astype(np.float64)
    before = x.copy()
    out = SPECS[name].apply(x, FPS)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("name", list(SMOOTHERS))
@pytest.mark.parametrize("T", [1, 2, 3])
def test_short_sequences(name: str, T: int) -> None:
    x = np.random.default_rng(T).normal(size=(T, 17, 3))
    out = SPECS[name].apply(x, FPS)
    assert out.shape == (T, 17, 3) and np.isfinite(out).all()
    if T == 1:
        np.testing.assert_allclose(out, x, atol=1e-6)


def test_savgol_window_clipped_and_made_odd() -> None:
    x = np.random.default_rng(0).normal(size=(6, 2, 3))
    # T = 6: a window of 61 becomes 5, and order 3 < 5 stays: same as asking for window 5 directly.
    np.testing.assert_allclose(savgol_smooth(x, window=61, order=3), savgol_smooth(x, window=5, order=3))
    np.testing.assert_allclose(savgol_smooth(x, window=6, order=1), savgol_smooth(x, window=5, order=1))
    # Window 3 with order 5: the order is clipped to 2, which fits 3 points exactly -> identity.
    np.testing.assert_allclose(savgol_smooth(x, window=3, order=5), x, atol=1e-6)


def test_fill_gaps_interpolates_and_holds_ends() -> None:
    x = np.zeros((6, 2, 1))
    x[:, 0, 0] = [np.nan, 1.0, np.nan, np.nan, 4.0, np.nan]
    x[:, 1, 0] = np.nan  # never observed
    out = fill_gaps(x)
    np.testing.assert_allclose(out[:, 0, 0], [1, 1, 2, 3, 4, 4])
    assert np.isnan(out[:, 1, 0]).all()


@pytest.mark.parametrize("name", list(SMOOTHERS))
def test_nan_gaps_are_filled_before_smoothing(name: str) -> None:
    x = _ramp(40)
    holey = x.copy()
    holey[10:14, 1] = np.nan
    holey[0, 2, 0] = np.nan
    out = SPECS[name].apply(holey, FPS)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, SPECS[name].apply(fill_gaps(holey), FPS))
    if name == "savgol":  # lines are kept, so an interior gap in a line comes back exactly
        np.testing.assert_allclose(out[:, :2], x[:, :2], atol=1e-5)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ShapeError, match=r"joints must have shape \(T, J, D\)"):
        savgol_smooth(np.zeros((5, 3)), window=3)
    with pytest.raises(InputError, match="window must be a positive"):
        savgol_smooth(np.zeros((5, 1, 3)), window=0)
    with pytest.raises(InputError, match="sigma_frames must be a non-negative"):
        gaussian_smooth(np.zeros((5, 1, 3)), sigma_frames=-1.0)
    with pytest.raises(InputError, match="min_cutoff must be a positive"):
        one_euro_smooth(np.zeros((5, 1, 3)), fps=30.0, min_cutoff=0.0, beta=0.0)
    with pytest.raises(InputError, match="beta must be a non-negative"):
        one_euro_smooth(np.zeros((5, 1, 3)), fps=30.0, min_cutoff=1.0, beta=-1.0)


def test_spec_validates_and_normalises() -> None:
    spec = SmootherSpec("savgol", (("window", 7), ("order", 1)))
    assert spec.params == (("order", 1), ("window", 7))  # sorted: equal specs compare equal
    assert spec == SmootherSpec.from_dict("savgol", {"order": 1, "window": 7})
    assert str(spec) == "savgol(order=1, window=7)"
    assert SmootherSpec("savgol", (("window", 5),)).as_dict() == {"window": 5}  # order has a default
    with pytest.raises(InputError, match="unknown smoother 'median'"):
        SmootherSpec("median", ())
    with pytest.raises(InputError, match=r"unknown or repeated parameters \['sigma'\]"):
        SmootherSpec("gaussian", (("sigma", 1.0),))
    with pytest.raises(InputError, match=r"missing parameters \['beta'\]"):
        SmootherSpec("one_euro", (("min_cutoff", 1.0),))
    with pytest.raises(InputError, match="fps"):  # fps comes with the clip, not the spec
        SmootherSpec("one_euro", (("min_cutoff", 1.0), ("beta", 0.0), ("fps", 30.0)))


def test_spec_apply_equals_function() -> None:
    x = np.random.default_rng(0).normal(size=(25, 4, 3))
    np.testing.assert_array_equal(
        SPECS["one_euro"].apply(x, 25.0), one_euro_smooth(x, fps=25.0, min_cutoff=1.0, beta=0.1)
    )
    np.testing.assert_array_equal(SPECS["savgol"].apply(x, 25.0), savgol_smooth(x, window=9, order=2))


@pytest.mark.parametrize("name", list(SMOOTHERS))
def test_a_joint_never_observed_stays_nan_and_the_rest_is_smoothed(name: str) -> None:
    """MediaPipe's H36M-17 head is NaN in every frame: the other joints must still be smoothed."""
    x = _ramp(40)
    holey = x.copy()
    holey[:, 1] = np.nan
    out = SPECS[name].apply(holey, FPS)
    assert np.isnan(out[:, 1]).all()
    keep = [j for j in range(x.shape[1]) if j != 1]
    np.testing.assert_allclose(out[:, keep], SPECS[name].apply(x[:, keep], FPS), atol=1e-5)
