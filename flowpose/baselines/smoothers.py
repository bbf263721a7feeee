"""Classical temporal smoothers of pose sequences: the baselines refinement has to beat.

Each smoother filters every joint coordinate as an independent 1D signal over time, vectorised over joints
and coordinates, and returns (T, J, D) float32.

Missing values (NaN) are handled the same way by all of them: each coordinate's gaps are first filled by
linear interpolation over time between its nearest finite neighbours, and held constant before its first and
after its last finite value (:func:`fill_gaps`); the output keeps those filled values, so a smoother also
fills gaps. A coordinate with no finite value at all stays NaN. The interpolation looks at the next observed
frame, so even the causal one-euro filter is not causal across a gap.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import savgol_filter

from flowpose.errors import InputError, ShapeError, unknown_name_error


def _check_joints(joints: np.ndarray) -> np.ndarray:
    x = np.asarray(joints, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] < 1:
        raise ShapeError("joints", "(T, J, D) with T >= 1", np.shape(joints))
    return x


def fill_gaps(joints: np.ndarray) -> np.ndarray:
    """Fill NaN entries by linear interpolation over time, per joint coordinate.

    Args:
        joints: (T, J, D) positions with NaN for missing values.

    Returns:
        (T, J, D) float64 copy: interior gaps linearly interpolated, leading and trailing gaps held at the
        nearest finite value; coordinates never observed stay NaN.

    Raises:
        ShapeError: if ``joints`` is not (T, J, D) with T >= 1.

    Example:
        >>> fill_gaps(np.array([np.nan, 1.0, np.nan, 3.0, np.nan])[:, None, None])[:, 0, 0].tolist()
        [1.0, 1.0, 2.0, 3.0, 3.0]
    """
    x = _check_joints(joints).copy()
    finite = np.isfinite(x)
    if finite.all():
        return x
    T = x.shape[0]
    series = x.reshape(T, -1)
    ok = finite.reshape(T, -1)
    t = np.arange(T, dtype=np.float64)
    # Only the (few) series with gaps need np.interp, which is 1D; the loop is over those series.
    for k in np.flatnonzero(~ok.all(0) & ok.any(0)):
        series[:, k] = np.interp(t, t[ok[:, k]], series[ok[:, k], k])
    return series.reshape(x.shape)


def savgol_smooth(joints: np.ndarray, *, window: int, order: int = 2) -> np.ndarray:
    """Savitzky-Golay smoothing: a least-squares polynomial of degree ``order`` fitted in a sliding window.

    Uses :func:`scipy.signal.savgol_filter` with ``mode="interp"``: the first and last ``window // 2`` frames
    take the value of the polynomial fitted to the first (last) whole window rather than a padded signal, so
    any polynomial of degree <= ``order`` passes through unchanged everywhere, ends included.

    The window is clipped to T and made odd (an even window is reduced by one), and the order is clipped to
    ``window - 1``; a window of 1 returns the (gap-filled) input.

    Args:
        joints: (T, J, D) positions (NaN gaps allowed, see the module docstring).
        window: window length in frames (>= 1).
        order: polynomial degree (>= 0).

    Returns:
        (T, J, D) float32 smoothed positions.

    Raises:
        ShapeError: if ``joints`` is not (T, J, D).
        InputError: for a window < 1 or a negative order.

    Example:
        >>> line = np.arange(9.0)[:, None, None] * [1.0, 2.0]
        >>> np.allclose(savgol_smooth(line, window=5, order=1), line)
        True
    """
    x = fill_gaps(joints)
    if int(window) != window or window < 1:
        raise InputError(f"savgol window must be a positive whole number of frames, got {window}")
    if int(order) != order or order < 0:
        raise InputError(f"savgol order must be a non-negative whole number, got {order}")
    T = x.shape[0]
    window = min(int(window), T)
    window -= 1 - window % 2  # odd: the filter is centred on the frame it estimates
    order = min(int(order), window - 1)
    if window == 1:
        return x.astype(np.float32)
    # Coordinates never observed stay NaN; the filter's end fits (least squares) would fail on them.
    out = x.reshape(T, -1).copy()
    seen = np.isfinite(out).all(0)
    out[:, seen] = savgol_filter(out[:, seen], window, order, axis=0, mode="interp")
    return out.reshape(x.shape).astype(np.float32)


def gaussian_smooth(joints: np.ndarray, *, sigma_frames: float) -> np.ndarray:
    """Gaussian smoothing over time with :func:`scipy.ndimage.gaussian_filter1d`.

    The kernel is truncated at 4 sigma; the signal is padded by repeating its end values (``mode="nearest"``),
    so a constant passes through unchanged, and a linear signal does so in the interior (at least 4 sigma
    from either end), bending towards the end values near them.

    Args:
        joints: (T, J, D) positions (NaN gaps allowed, see the module docstring).
        sigma_frames: standard deviation of the kernel in frames (>= 0; 0 returns the gap-filled input).

    Returns:
        (T, J, D) float32 smoothed positions.

    Raises:
        ShapeError: if ``joints`` is not (T, J, D).
        InputError: for a negative or non-finite sigma.

    Example:
        >>> np.allclose(gaussian_smooth(np.ones((5, 2, 3)), sigma_frames=2.0), 1.0)
        True
    """
    x = fill_gaps(joints)
    if not (np.isfinite(sigma_frames) and sigma_frames >= 0):
        raise InputError(f"gaussian sigma_frames must be a non-negative number, got {sigma_frames}")
    if sigma_frames == 0:
        return x.astype(np.float32)
    return gaussian_filter1d(x, float(sigma_frames), axis=0, mode="nearest", truncate=4.0).astype(np.float32)


def _smoothing_factor(cutoff_hz: np.ndarray | float, fps: float) -> np.ndarray | float:
    """The 1€ filter's ``alpha = 1 / (1 + tau / T_e)``, ``tau = 1 / (2 pi f_c)``, ``T_e = 1 / fps``."""
    tau = 1.0 / (2.0 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + tau * fps)


def one_euro_smooth(
    joints: np.ndarray, *, fps: float, min_cutoff: float, beta: float, d_cutoff: float = 1.0
) -> np.ndarray:
    """The 1€ filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass whose cutoff rises with speed.

    Per scalar signal x (each joint coordinate separately, as in the paper), with ``T_e = 1 / fps``, following
    the paper's pseudo-code (the derivative is taken against the previous *filtered* value)::

        x^_1 = x_1,  dx^_1 = 0
        dx_i = (x_i - x^_{i-1}) / T_e                               derivative of the signal
        dx^_i = a(d_cutoff) dx_i + (1 - a(d_cutoff)) dx^_{i-1}       its low-passed estimate
        f_c = min_cutoff + beta |dx^_i|                             adaptive cutoff
        x^_i = a(f_c) x_i + (1 - a(f_c)) x^_{i-1}                   exponential smoothing
        a(f) = 1 / (1 + tau / T_e),  tau = 1 / (2 pi f)             smoothing factor of cutoff f

    It is causal, as in the paper (no forward-backward pass), so it lags: at steady speed v and ``beta = 0``
    the output trails a ramp by ``v T_e (1 - a) / a``. The recursion runs over time in a Python loop (each
    step needs the previous output), vectorised over joints and coordinates.

    Args:
        joints: (T, J, D) positions (NaN gaps allowed, see the module docstring), in metres for the usual
            meaning of ``beta``.
        fps: sampling rate in frames per second.
        min_cutoff: cutoff at rest in Hz (> 0): lower removes more jitter, with more lag.
        beta: speed coefficient (>= 0) in Hz per (unit/s), i.e. per (m/s) for joints in metres: higher cuts
            lag during fast motion.
        d_cutoff: cutoff of the derivative's low-pass in Hz (> 0); the paper's 1 Hz by default.

    Returns:
        (T, J, D) float32 filtered positions.

    Raises:
        ShapeError: if ``joints`` is not (T, J, D).
        InputError: for a non-positive fps, min_cutoff or d_cutoff, or a negative beta.

    Example:
        >>> out = one_euro_smooth(np.ones((4, 1, 1)), fps=30.0, min_cutoff=1.0, beta=0.0)
        >>> out[:, 0, 0].tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    x = fill_gaps(joints)
    for name, value in (("fps", fps), ("min_cutoff", min_cutoff), ("d_cutoff", d_cutoff)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"one_euro {name} must be a positive number, got {value}")
    if not (np.isfinite(beta) and beta >= 0):
        raise InputError(f"one_euro beta must be a non-negative number, got {beta}")
    out = np.empty_like(x)
    out[0] = x[0]
    dx_hat = np.zeros_like(x[0])
    a_d = _smoothing_factor(d_cutoff, fps)
    for i in range(1, x.shape[0]):
        dx = (x[i] - out[i - 1]) * fps
        dx_hat = a_d * dx + (1.0 - a_d) * dx_hat
        a = _smoothing_factor(min_cutoff + beta * np.abs(dx_hat), fps)
        out[i] = a * x[i] + (1.0 - a) * out[i - 1]
    return out.astype(np.float32)


SMOOTHERS: dict[str, Callable[..., np.ndarray]] = {
    "savgol": savgol_smooth,
    "gaussian": gaussian_smooth,
    "one_euro": one_euro_smooth,
}
"""Smoother functions by name; each takes ``joints`` then keyword-only parameters (``fps`` where it needs the
frame rate)."""


def smoother_parameters(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tunable parameters of a registered smoother (every keyword-only one except ``fps``).

    Args:
        name: a key of :data:`SMOOTHERS`.

    Returns:
        (required names, optional names).

    Raises:
        InputError: for an unknown smoother.
    """
    if name not in SMOOTHERS:
        raise unknown_name_error("smoother", name, list(SMOOTHERS))
    params = [
        p for p in inspect.signature(SMOOTHERS[name]).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "fps"
    ]
    required = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
    optional = tuple(p.name for p in params if p.default is not inspect.Parameter.empty)
    return required, optional


@dataclass(frozen=True)
class SmootherSpec:
    """A smoother with its parameters, e.g. ``SmootherSpec("savgol", (("order", 2), ("window", 15)))``.

    Attributes:
        name: a key of :data:`SMOOTHERS`.
        params: (key, value) pairs of its keyword parameters, sorted by key on construction; ``fps`` is not
            one of them (it comes with the clip, see :meth:`apply`).
    """

    name: str
    params: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        required, optional = smoother_parameters(self.name)
        params = tuple(sorted((str(k), v) for k, v in self.params))
        keys = [k for k, _ in params]
        unknown = sorted(set(keys) - set(required) - set(optional))
        if unknown or len(set(keys)) != len(keys):
            raise InputError(
                f"smoother {self.name!r}: unknown or repeated parameters {unknown or keys}; "
                f"it takes {list(required + optional)}"
            )
        missing = sorted(set(required) - set(keys))
        if missing:
            raise InputError(
                f"smoother {self.name!r}: missing parameters {missing}; it needs {list(required)}"
            )
        object.__setattr__(self, "params", params)

    @classmethod
    def from_dict(cls, name: str, params: Mapping[str, float]) -> "SmootherSpec":
        """Build a spec from a mapping of parameters.

        Example:
            >>> SmootherSpec.from_dict("gaussian", {"sigma_frames": 2.0})
            SmootherSpec(name='gaussian', params=(('sigma_frames', 2.0),))
        """
        return cls(name, tuple(params.items()))

    def as_dict(self) -> dict[str, float]:
        """The parameters as a dict."""
        return dict(self.params)

    def apply(self, joints: np.ndarray, fps: float) -> np.ndarray:
        """Smooth one clip.

        Args:
            joints: (T, J, D) positions.
            fps: the clip's frame rate (used only by smoothers that take ``fps``).

        Returns:
            (T, J, D) float32 smoothed positions.

        Raises:
            ShapeError: for a wrongly shaped ``joints``.
            InputError: for a bad parameter value.
        """
        fn = SMOOTHERS[self.name]
        args = self.as_dict()
        if "fps" in inspect.signature(fn).parameters:
            args["fps"] = fps
        return fn(joints, **args)

    def __str__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v:g}' for k, v in self.params)})"
