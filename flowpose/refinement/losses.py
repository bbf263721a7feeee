"""The shared pieces of the pose stage's terms (DESIGN.md, "The losses"): penalties, weighted means, roots.

The pose stage minimises L_pose over the 3D joints X (T, J, 3) of the whole video; the whole equation and the
code that assembles it are in :mod:`flowpose.refinement.objective`. Its image terms (L_opt, L_2D) are in
:mod:`flowpose.refinement.objective` itself and its body terms (L_3D, L_vel, L_acc, L_bone) in
:mod:`flowpose.refinement.body_losses`, all pure, differentiable torch functions built from the pieces here.

Units. Every residual is measured in the unit its noise is naturally stated in: pixels for image terms (flow,
keypoints), millimetres for 3D positions and bone lengths, m/s and m/s^2 for velocities and accelerations (so
that the temporal terms describe the same physical motion at any frame rate). Each term is a *weighted mean*
over its elements, so its scale depends neither on T nor on the number of joints or bone points, and a robust
penalty rho behaves like r^2 / 2 for small residuals. A weight is therefore an inverse variance: w = 1 /
sigma^2 makes a residual of sigma cost 0.5 (see :class:`flowpose.refinement.pose_config.PoseStageConfig`).

Missing data. Joints whose reference value (initial 3D, 2D keypoint) is NaN, or whose confidence is 0, get
zero weight in the terms that compare with that reference; NaNs are replaced before any arithmetic, so no NaN
reaches a value or a gradient (:func:`mask_missing`).
"""

from __future__ import annotations

from typing import Literal

import torch

from flowpose.errors import InputError, ShapeError

Penalty = Literal["pseudo_huber", "huber", "geman_mcclure", "l2"]
"""Robust penalties rho(r) of a residual norm r (see :func:`robust_penalty`)."""

Root = int | tuple[int, int]
"""A root joint index, or a (left, right) hip pair whose midpoint is the root (skeletons without a pelvis)."""

MM_PER_M = 1000.0
"""Millimetres per metre: 3D residuals are stated in mm."""


def robust_penalty(sq_norm: torch.Tensor, delta: float, kind: Penalty = "pseudo_huber") -> torch.Tensor:
    """Robust penalty rho of residual norms, given their squares; all kinds equal r^2 / 2 near r = 0.

    * ``pseudo_huber``: rho(r) = delta^2 (sqrt(1 + (r / delta)^2) - 1), the smooth Huber (a scaled
      Charbonnier): quadratic below delta, linear (slope delta) above; C-infinity, which suits L-BFGS.
    * ``huber``: 0.5 r^2 for r <= delta, delta (r - delta / 2) above; the seed's smooth-L1 is huber / delta.
    * ``geman_mcclure``: rho(r) = 0.5 r^2 delta^2 / (delta^2 + r^2), redescending: bounded by delta^2 / 2,
      so gross outliers stop pulling at all (but the problem is no longer convex).
    * ``l2``: 0.5 r^2.

    The penalty acts on the norm of a residual *vector* (isotropic in x/y/z), not per coordinate.

    Args:
        sq_norm: (...) squared residual norms r^2, in the residual's unit squared.
        delta: the transition scale, in the residual's unit; must be > 0 (unused by ``l2``).
        kind: one of :data:`Penalty`.

    Returns:
        (...) penalties in the residual's unit squared.

    Raises:
        InputError: for an unknown kind or a non-positive delta.

    Example:
        >>> robust_penalty(torch.tensor([0.0, 9.0]), 1.0, "huber")
        tensor([0.0000, 2.5000])
    """
    if kind == "l2":
        return 0.5 * sq_norm
    if not delta > 0:
        raise InputError(f"robust penalty delta must be > 0, got {delta}")
    d2 = delta * delta
    if kind == "pseudo_huber":
        return d2 * (torch.sqrt(1.0 + sq_norm / d2) - 1.0)
    if kind == "huber":
        # The linear branch takes the root of a clamped value: torch.where differentiates both branches, and
        # sqrt'(0) = inf would turn the masked-out branch into NaN gradients.
        linear = delta * (torch.sqrt(sq_norm.clamp_min(d2)) - 0.5 * delta)
        return torch.where(sq_norm <= d2, 0.5 * sq_norm, linear)
    if kind == "geman_mcclure":
        return 0.5 * sq_norm * d2 / (d2 + sq_norm)
    raise InputError(
        f"unknown robust penalty {kind!r}; choose from ['geman_mcclure', 'huber', 'l2', 'pseudo_huber']"
    )


def weighted_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """sum(w * v) / sum(w) over all elements, 0 when every weight is 0.

    Args:
        values: (F, M) per-element penalties, F frames (or frame pairs).
        weights: (F, M) non-negative weights (constants: no gradient is wanted through them).

    Returns:
        ().
    """
    return (values * weights).sum() / weights.sum().clamp_min(1e-12)


def robust_mean(residual: torch.Tensor, weights: torch.Tensor, delta: float, kind: Penalty) -> torch.Tensor:
    """sum w rho(|r|) / sum w: the weighted mean robust penalty of residual vectors, 0 when every weight is 0.

    Args:
        residual: (F, M, D) residual vectors r, in the term's unit.
        weights: (F, M) non-negative constant weights w.
        delta: the robust scale, in the term's unit (see :func:`robust_penalty`).
        kind: one of :data:`Penalty`.

    Returns:
        () in the term's unit squared.
    """
    return weighted_mean(robust_penalty((residual * residual).sum(-1), delta, kind), weights)


def lag_band(residual: torch.Tensor, flow: torch.Tensor, band: float) -> torch.Tensor:
    """A flow residual that lets the motion exceed a lagging flow by up to ``band`` of it, along the flow.

    With u = F / |F| and a = r . u, the component along the flow becomes min(a, 0) + max(a - band |F|, 0):
    moving 1 to 1 + band times as far as the flow says costs nothing, moving less or farther costs as before,
    and the component across the flow is kept. ``band = 0`` returns the residual unchanged.

    Args:
        residual: (F, M, 2) r = (p_{t+k} - p_t) - F, px.
        flow: (F, M, 2) the flow target F it was taken against, px.
        band: the lag allowed, a fraction of |F| (>= 0).

    Returns:
        (F, M, 2) px.
    """
    if band == 0:
        return residual
    norm = flow.norm(dim=-1, keepdim=True)
    u = flow / norm.clamp_min(1e-6)
    along = (residual * u).sum(-1, keepdim=True)
    kept = torch.clamp(along, max=0.0) + torch.clamp(along - band * norm, min=0.0)
    return residual + (kept - along) * u


def root_of(X: torch.Tensor, root: Root) -> torch.Tensor:
    """The root of each pose: a joint, or the midpoint of a (left, right) hip pair.

    Args:
        X: (T, J, D) joints.
        root: see :data:`Root`.

    Returns:
        (T, 1, D).
    """
    if isinstance(root, int):
        return X[:, root : root + 1]
    left, right = root
    return 0.5 * (X[:, left : left + 1] + X[:, right : right + 1])


def root_confidence(conf: torch.Tensor, root: Root) -> torch.Tensor:
    """(T, J) confidences -> (T, 1) confidence of the root (the lower hip's for a hip-midpoint root)."""
    if isinstance(root, int):
        return conf[:, root : root + 1]
    left, right = root
    return torch.minimum(conf[:, left : left + 1], conf[:, right : right + 1])


def mask_missing(reference: torch.Tensor, conf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero the weight of non-finite reference joints and replace their values by 0 (module docstring).

    Args:
        reference: (T, J, D) reference joints (initial 3D, 2D keypoints); NaN or inf where missing.
        conf: (T, J) confidences; NaN counts as 0.

    Returns:
        reference: (T, J, D) with every non-finite value replaced by 0.
        conf: (T, J), 0 wherever the reference joint or the confidence is not finite.
    """
    finite = torch.isfinite(reference).all(-1)
    conf = torch.where(finite & torch.isfinite(conf), conf, torch.zeros_like(conf))
    return torch.nan_to_num(reference, nan=0.0, posinf=0.0, neginf=0.0), conf


def check_joints(X: torch.Tensor, name: str = "X") -> None:
    """Raise ShapeError naming ``name`` unless X is (T, J, 3)."""
    if X.ndim != 3 or X.shape[-1] != 3:
        raise ShapeError(name, "(T, J, 3)", X.shape)


def check_shape(t: torch.Tensor, shape: tuple[int, ...], name: str) -> None:
    """Raise ShapeError naming ``name`` unless ``t`` has exactly ``shape``."""
    if tuple(t.shape) != shape:
        raise ShapeError(name, str(shape), t.shape)
