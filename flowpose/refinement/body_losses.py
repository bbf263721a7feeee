"""The body terms of the pose stage: L_3D (the initial 3D estimate), L_temp (smoothness), L_bone, DESIGN.md.

All act on the 3D joints X (T, J, 3) in metres and measure residuals in physical units: millimetres for
positions and bone lengths, m/s and m/s^2 for velocities and accelerations. Units, weights, missing data and
reductions are shared with every term (see :mod:`flowpose.refinement.losses`).
"""

from __future__ import annotations

import torch

from flowpose.refinement.losses import (
    MM_PER_M,
    Penalty,
    Reduction,
    Root,
    check_joints,
    check_shape,
    mask_missing,
    robust_penalty,
    root_confidence,
    root_of,
    weighted_mean,
)

LENGTH_EPS_M = 1e-6
"""Added in quadrature to bone lengths (m), so that a zero-length bone has a finite gradient."""


# ----------------------------------------------------------------------------------------------------------
# L_3D: consistency with the initial 3D estimate


def pose3d_rel_loss(
    X: torch.Tensor,
    X_init: torch.Tensor,
    conf: torch.Tensor,
    *,
    root: Root,
    delta_mm: float,
    penalty: Penalty = "pseudo_huber",
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """L_3D,rel: the root-relative pose stays near the initial estimate's.

    d_{t,j} = 1000 [(X_{t,j} - R(X_t)) - (X0_{t,j} - R(X0_t))]   (mm),   L = sum w rho(|d|) / sum w   [mm^2]

    with R the root and w_{t,j} = min(c_{t,j}, c_{t,root}): a relative offset is only known when both the
    joint and the root were observed. The root joint itself (zero offset by definition) gets weight 0.

    Args:
        X: (T, J, 3) joints, metres.
        X_init: (T, J, 3) initial estimate X0, metres; NaN where missing.
        conf: (T, J) confidence in [0, 1].
        root: see :data:`Root`.
        delta_mm: robust scale, mm.
        penalty: see :func:`robust_penalty`.
        reduction: see :data:`Reduction`.

    Returns:
        () or (T,) mm^2.
    """
    X0, c = _checked_initial(X, X_init, conf)
    d = MM_PER_M * ((X - root_of(X, root)) - (X0 - root_of(X0, root)))
    w = torch.minimum(c, root_confidence(c, root))
    if isinstance(root, int):
        w = w.index_fill(1, torch.tensor([root], device=w.device), 0.0)
    return weighted_mean(robust_penalty((d * d).sum(-1), delta_mm, penalty), w, reduction)


def root_position_loss(
    X: torch.Tensor,
    X_init: torch.Tensor,
    conf: torch.Tensor,
    *,
    root: Root,
    delta_mm: float,
    penalty: Penalty = "pseudo_huber",
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """L_3D,abs: the absolute root position stays near the initial estimate's (meant to be weighted weakly).

    d_t = 1000 (R(X_t) - R(X0_t))   (mm),   L = sum_t c_{t,root} rho(|d_t|) / sum_t c_{t,root}   [mm^2]

    Monocular depth is the least reliable part of an initial estimate, while x/y follow from the 2D evidence;
    a weak weight lets the image terms place the root, and this term only removes the remaining gauge freedom.

    Args:
        X: (T, J, 3) joints, metres.
        X_init: (T, J, 3) initial estimate X0, metres; NaN where missing.
        conf: (T, J) confidence in [0, 1].
        root: see :data:`Root`.
        delta_mm: robust scale, mm.
        penalty: see :func:`robust_penalty`.
        reduction: see :data:`Reduction`.

    Returns:
        () or (T,) mm^2.
    """
    d, _, c = _root_offset_mm(X, X_init, conf, root)
    return weighted_mean(robust_penalty((d * d).sum(-1), delta_mm, penalty), c, reduction)


def _checked_initial(
    X: torch.Tensor, X_init: torch.Tensor, conf: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Shape-checked (X, X_init, conf) -> (X0 (T, J, 3) m with missing joints zeroed, conf (T, J) zeroed there)."""
    check_joints(X)
    check_shape(X_init, tuple(X.shape), "X_init")
    check_shape(conf, tuple(X.shape[:2]), "conf")
    return mask_missing(X_init, conf)


def _root_offset_mm(
    X: torch.Tensor, X_init: torch.Tensor, conf: torch.Tensor, root: Root
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Checked inputs -> (root offset (T, 3) mm, initial root (T, 3) m with missing zeroed, root confidence (T,))."""
    X0, c = _checked_initial(X, X_init, conf)
    r0 = root_of(X0, root)
    return MM_PER_M * (root_of(X, root) - r0), r0, root_confidence(c, root)


def root_lateral_loss(
    X: torch.Tensor,
    X_init: torch.Tensor,
    conf: torch.Tensor,
    *,
    root: Root,
    delta_mm: float,
    penalty: Penalty = "pseudo_huber",
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """L_3D,lat: the root's offset from the initial estimate's, perpendicular to that root's viewing ray.

    With r0_t = R(X0_t) and its ray u_t = r0_t / |r0_t| (camera at the origin),

        d_t = 1000 (R(X_t) - r0_t),   d_perp = d_t - (d_t . u_t) u_t   (mm),
        L = sum_t c_{t,root} rho(|d_perp|) / sum_t c_{t,root}   [mm^2]

    A single-image estimator's depth is unreliable (that is :func:`root_position_loss`, weighted weakly), but the
    image-plane position of its root is fitted to the image by its camera and is as good as a 2D detection of
    the pelvis; without this term the root follows the 2D keypoints of every joint, whose errors include the
    root-relative pose's, and jitters (on the held-out tuning clip it lowered MPJPE by 3% and acceleration
    error by 3%; ``benchmarks/tune_pose_stage.py``). Deviation from the seed, which had no absolute term.

    Args:
        X: (T, J, 3) joints, metres.
        X_init: (T, J, 3) initial estimate X0, metres; NaN where missing.
        conf: (T, J) confidence in [0, 1].
        root: see :data:`Root`.
        delta_mm: robust scale, mm.
        penalty: see :func:`robust_penalty`.
        reduction: see :data:`Reduction`.

    Returns:
        () or (T,) mm^2.
    """
    d, r0, c = _root_offset_mm(X, X_init, conf, root)
    ray = r0 / r0.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    d_perp = d - (d * ray).sum(-1, keepdim=True) * ray
    return weighted_mean(robust_penalty((d_perp * d_perp).sum(-1), delta_mm, penalty), c, reduction)


def pose3d_loss(
    X: torch.Tensor,
    X_init: torch.Tensor,
    conf: torch.Tensor,
    *,
    root: Root,
    w_rel: float,
    w_abs: float,
    delta_mm: float,
    penalty: Penalty = "pseudo_huber",
) -> torch.Tensor:
    """L_3D = w_rel L_3D,rel + w_abs L_3D,abs (see :func:`pose3d_rel_loss`, :func:`root_position_loss`).

    Args:
        X: (T, J, 3) joints, metres.
        X_init: (T, J, 3) initial estimate, metres; NaN where missing.
        conf: (T, J) confidence.
        root: see :data:`Root`.
        w_rel: weight of the root-relative term, mm^-2.
        w_abs: weight of the root-position term, mm^-2.
        delta_mm: robust scale, mm.
        penalty: see :func:`robust_penalty`.

    Returns:
        () dimensionless.
    """
    rel = pose3d_rel_loss(X, X_init, conf, root=root, delta_mm=delta_mm, penalty=penalty)
    absolute = root_position_loss(X, X_init, conf, root=root, delta_mm=delta_mm, penalty=penalty)
    return w_rel * rel + w_abs * absolute


# ----------------------------------------------------------------------------------------------------------
# L_temp: smoothness and bone-length consistency


def velocity_loss(X: torch.Tensor, *, fps: float, reduction: Reduction = "mean") -> torch.Tensor:
    """L_vel = mean_{t,j} |v_{t,j}|^2,  v_t = (X_{t+1} - X_t) fps   [(m/s)^2]; 0 when T < 2.

    Measured per second, not per frame, so one weight describes the same physical motion at any frame rate.

    Args:
        X: (T, J, 3) joints, metres.
        fps: frames per second.
        reduction: see :data:`Reduction`; ``"frame"`` gives (T-1,).

    Returns:
        () or (T-1,).
    """
    check_joints(X)
    v = (X[1:] - X[:-1]) * fps
    return _mean_sq(v, reduction)


def acceleration_loss(X: torch.Tensor, *, fps: float, reduction: Reduction = "mean") -> torch.Tensor:
    """L_acc = mean_{t,j} |a_{t,j}|^2,  a_t = (X_{t+1} - 2 X_t + X_{t-1}) fps^2   [(m/s^2)^2]; 0 when T < 3.

    Args:
        X: (T, J, 3) joints, metres.
        fps: frames per second.
        reduction: see :data:`Reduction`; ``"frame"`` gives (T-2,), frame t+1 at index t.

    Returns:
        () or (T-2,).
    """
    check_joints(X)
    a = (X[2:] - 2.0 * X[1:-1] + X[:-2]) * (fps * fps)
    return _mean_sq(a, reduction)


def _mean_sq(d: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    if d.shape[0] == 0:
        return d.sum() * 0.0 if reduction == "mean" else d.new_zeros(0)
    return weighted_mean((d * d).sum(-1), torch.ones_like(d[..., 0]), reduction)


def temporal_loss(X: torch.Tensor, *, fps: float, w_vel: float, w_acc: float) -> torch.Tensor:
    """L_temp = w_vel L_vel + w_acc L_acc (see :func:`velocity_loss`, :func:`acceleration_loss`).

    Args:
        X: (T, J, 3) joints, metres.
        fps: frames per second.
        w_vel: weight, (m/s)^-2.
        w_acc: weight, (m/s^2)^-2.

    Returns:
        () dimensionless.
    """
    return w_vel * velocity_loss(X, fps=fps) + w_acc * acceleration_loss(X, fps=fps)


def bone_lengths(X: torch.Tensor, bones: torch.Tensor) -> torch.Tensor:
    """(T, J, 3) metres and (B, 2) long -> (T, B) bone lengths in mm (smoothed at 0 by LENGTH_EPS_M)."""
    # A (B, J) difference matrix: a matrix product is cheaper than two gathers and their scatter-add
    # gradients.
    diff = torch.zeros(bones.shape[0], X.shape[1], dtype=X.dtype, device=X.device)
    rows = torch.arange(bones.shape[0], device=X.device)
    diff[rows, bones[:, 1]] += 1.0
    diff[rows, bones[:, 0]] -= 1.0
    d = torch.einsum("bj,tjc->tbc", diff, X)
    return MM_PER_M * torch.sqrt((d * d).sum(-1) + LENGTH_EPS_M**2)


def bone_length_loss(X: torch.Tensor, bones: torch.Tensor, *, reduction: Reduction = "mean") -> torch.Tensor:
    """L_bone: the variance of each bone's length over the video, averaged over bones.

    l_{t,b} = |X_{t,c} - X_{t,a}| (mm),  lbar_b = mean_t l_{t,b},
    L_bone = mean_{t,b} (l_{t,b} - lbar_b)^2   [mm^2]

    Deviations are absolute (mm), not relative to the length, so a 1 cm wobble costs the same on any bone. The
    mean, not the median, is the reference: it keeps the term smooth, and it is the variance's own minimiser.
    A body has one set of bone lengths, so every frame counts here, observed or not.

    Args:
        X: (T, J, 3) joints, metres.
        bones: (B, 2) long (parent, child).
        reduction: see :data:`Reduction`; ``"frame"`` gives (T,).

    Returns:
        () or (T,) mm^2; 0 for T = 1.
    """
    check_joints(X)
    lengths = bone_lengths(X, bones)
    dev = lengths - lengths.mean(0, keepdim=True)
    return weighted_mean(dev * dev, torch.ones_like(dev), reduction)
