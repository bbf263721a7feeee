"""The image terms of the pose stage: L_opt (optical-flow consistency) and L_2D (2D keypoints), DESIGN.md.

Both compare projections pi(X) of the 3D joints with image evidence, in pixels; L_opt also follows points
sampled along the bones (:func:`bone_points`), since the flow constrains the whole limb, not only its ends.
Units, weights, missing data and reductions are shared with every term (see
:mod:`flowpose.refinement.losses`).
"""

from __future__ import annotations

from typing import Protocol

import torch

from flowpose.camera import project
from flowpose.errors import InputError, ShapeError
from flowpose.refinement.losses import (
    Penalty,
    Reduction,
    check_joints,
    check_shape,
    mask_missing,
    robust_penalty,
    weighted_mean,
)


class FlowSampler(Protocol):
    """Anything that samples forward flow at points, e.g. :class:`flowpose.flow.field.FlowField`."""

    @property
    def num_pairs(self) -> int:
        """P, the number of frame pairs."""
        ...

    def sample(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(P, N, 2) full-frame px -> flow (P, N, 2) px and confidence (P, N) in [0, 1]."""
        ...


# ----------------------------------------------------------------------------------------------------------
# Bone points


def bone_point_matrix(num_joints: int, bones: torch.Tensor, samples: int, dtype: torch.dtype) -> torch.Tensor:
    """The linear map of :func:`bone_points`: P_t = A X_t.

    Args:
        num_joints: J.
        bones: (B, 2) long (parent, child).
        samples: S interior points per bone.
        dtype: of the matrix.

    Returns:
        (J + B * S, J): the identity on top, then per bone rows with 1 - s/(S+1) at the parent, s/(S+1) at the
        child.
    """
    B = bones.shape[0]
    s = torch.arange(1, samples + 1, dtype=dtype, device=bones.device) / (samples + 1)  # (S,)
    inner = torch.zeros(B, samples, num_joints, dtype=dtype, device=bones.device)
    rows = torch.arange(B, device=bones.device)[:, None].expand(B, samples)
    cols = torch.arange(samples, device=bones.device)[None].expand(B, samples)
    inner[rows, cols, bones[:, 0:1].expand(B, samples)] += 1.0 - s
    inner[rows, cols, bones[:, 1:2].expand(B, samples)] += s
    eye = torch.eye(num_joints, dtype=dtype, device=bones.device)
    return torch.cat([eye, inner.reshape(B * samples, num_joints)], dim=0)


def bone_points(X: torch.Tensor, bones: torch.Tensor, samples: int) -> torch.Tensor:
    """The joints followed by ``samples`` interior points on each bone.

    P_{t,b,s} = X_{t,a} + s / (S + 1) (X_{t,c} - X_{t,a}),  s = 1..S, for bone b = (a, c) (parent, child).

    Args:
        X: (T, J, 3) joints (any unit).
        bones: (B, 2) long (parent, child) joint indices.
        samples: S >= 0 interior points per bone, evenly spaced, ends excluded (the ends are joints already).

    Returns:
        (T, J + B * S, 3): the J joints, then bone 0's S points (parent to child), bone 1's, ...

    Raises:
        ShapeError: for a wrong X or bones shape.
        InputError: for a negative sample count.
    """
    check_joints(X)
    if bones.ndim != 2 or bones.shape[-1] != 2:
        raise ShapeError("bones", "(B, 2)", bones.shape)
    if samples < 0:
        raise InputError(f"bone samples must be >= 0, got {samples}")
    if samples == 0 or bones.shape[0] == 0:
        return X
    # One matrix product (forward and backward) instead of gathers and a concatenation: several times faster.
    return torch.einsum("nj,tjc->tnc", bone_point_matrix(X.shape[1], bones, samples, X.dtype), X)


def bone_point_weights(conf: torch.Tensor, bones: torch.Tensor, samples: int) -> torch.Tensor:
    """Weights of :func:`bone_points`: joints keep theirs, a bone point gets the lower of its two end joints'.

    Args:
        conf: (T, J) joint weights.
        bones: (B, 2) long.
        samples: S.

    Returns:
        (T, J + B * S).
    """
    if samples == 0 or bones.shape[0] == 0:
        return conf
    inner = torch.minimum(conf[:, bones[:, 0]], conf[:, bones[:, 1]])  # (T, B)
    return torch.cat([conf, inner.repeat_interleave(samples, dim=1)], dim=1)


# ----------------------------------------------------------------------------------------------------------
# L_opt: optical-flow consistency


def flow_residual_loss(
    points_px: torch.Tensor,
    flow_px: torch.Tensor,
    weights: torch.Tensor,
    *,
    delta_px: float,
    penalty: Penalty = "pseudo_huber",
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """L_opt from projected points and the flow already sampled at them (the optimiser's inner form).

    r_t = (p_{t+1} - p_t) - F_t(p_t),   L_opt = sum_{t,n} w_{t,n} rho(|r_{t,n}|) / sum_{t,n} w_{t,n}   [px^2]

    Args:
        points_px: (T, N, 2) projected points p_t, pixels.
        flow_px: (T-1, N, 2) forward flow F_t(p_t), pixels.
        weights: (T-1, N) non-negative pair weights (flow confidence x detection confidence).
        delta_px: robust scale, pixels.
        penalty: see :func:`robust_penalty`.
        reduction: see :data:`Reduction`; ``"frame"`` gives (T-1,).

    Returns:
        () or (T-1,) px^2.
    """
    r = points_px[1:] - points_px[:-1] - flow_px
    return weighted_mean(robust_penalty((r * r).sum(-1), delta_px, penalty), weights, reduction)


def optical_flow_loss(
    X: torch.Tensor,
    K: torch.Tensor,
    flow: FlowSampler,
    *,
    bones: torch.Tensor,
    samples: int,
    point_weights: torch.Tensor,
    delta_px: float,
    through_location: bool = False,
    penalty: Penalty = "pseudo_huber",
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """L_opt: the image motion of joints and bone points must follow the optical flow.

    With P_t = bone_points(X_t) and p_t = pi(P_t):

        r_t = (p_{t+1} - p_t) - F_t(p_t)                                  (flow consistency)
        w_{t,n} = c^F_t(p_{t,n}) * min(c_{t,n}, c_{t+1,n})                (flow conf. x detection conf.)
        L_opt = sum w rho_delta(|r|) / sum w                              [px^2]

    F_t and c^F_t are bilinear samples of the FlowField (c^F = 0 outside its grid). The confidence c^F is
    always a constant weight: letting its gradient through would reward moving points off the grid or onto
    untrusted pixels. Whether the gradient flows through the *sampling location* p_t of F_t is
    ``through_location``:

    * False (default): F_t(sg[p_t]) is a target resampled at the current points, as in Lucas-Kanade-style
      tracking. The optimiser then only moves points so that their motion matches the flow found where they
      are; it cannot lower the loss by sliding points along the flow's spatial gradient. Human flow is
      piecewise smooth with sharp jumps at limb boundaries, and that gradient is dominated by those jumps and
      by flow texture (noise), which is what a through-location gradient would make the optimiser chase.
    * True: the full derivative, including dF/dp through the bilinear weights (piecewise linear in p).

    Args:
        X: (T, J, 3) joints, metres, camera frame.
        K: (3, 3) or (T, 3, 3) intrinsics.
        flow: a :class:`FlowSampler` with T - 1 pairs, e.g. a :class:`flowpose.flow.field.FlowField`.
        bones: (B, 2) long (parent, child).
        samples: interior points per bone (see :func:`bone_points`).
        point_weights: (T, J + B * samples) detection confidence of each point (see
            :func:`bone_point_weights`).
        delta_px: robust scale, pixels.
        through_location: see above.
        penalty: see :func:`robust_penalty`.
        reduction: see :data:`Reduction`; ``"frame"`` gives (T-1,).

    Returns:
        () or (T-1,) px^2; 0 when T < 2.

    Raises:
        ShapeError: for inconsistent shapes.
    """
    check_joints(X)
    points = bone_points(X, bones, samples)
    check_shape(point_weights, tuple(points.shape[:2]), "point_weights")
    T = X.shape[0]
    if T < 2:
        return X.sum() * 0.0 if reduction == "mean" else X.new_zeros(0)
    if flow.num_pairs != T - 1:
        raise ShapeError("flow", f"{T - 1} frame pairs for {T} frames", (flow.num_pairs,))
    p = project(points, K)
    location = p[:-1] if through_location else p[:-1].detach()
    flow_px, flow_conf = flow.sample(location)
    w = flow_conf.detach() * torch.minimum(point_weights[:-1], point_weights[1:])
    return flow_residual_loss(p, flow_px, w, delta_px=delta_px, penalty=penalty, reduction=reduction)


# ----------------------------------------------------------------------------------------------------------
# L_2D: consistency with 2D keypoints


def keypoint_residual_loss(
    points_px: torch.Tensor,
    x2d: torch.Tensor,
    conf: torch.Tensor,
    *,
    delta_px: float,
    penalty: Penalty = "pseudo_huber",
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """L_2D from already projected joints (the optimiser's inner form, sharing the projection with L_opt).

    Args:
        points_px: (T, J, 2) projected joints pi(X), pixels.
        x2d: (T, J, 2) keypoints, pixels; NaN where missing.
        conf: (T, J) confidence in [0, 1].
        delta_px: robust scale, pixels.
        penalty: see :func:`robust_penalty`.
        reduction: see :data:`Reduction`.

    Returns:
        () or (T,) px^2.
    """
    check_shape(x2d, tuple(points_px.shape), "x2d")
    check_shape(conf, tuple(points_px.shape[:2]), "conf")
    x, c = mask_missing(x2d, conf)
    r = points_px - x
    return weighted_mean(robust_penalty((r * r).sum(-1), delta_px, penalty), c, reduction)


def keypoint2d_loss(
    X: torch.Tensor,
    K: torch.Tensor,
    x2d: torch.Tensor,
    conf: torch.Tensor,
    *,
    delta_px: float,
    penalty: Penalty = "pseudo_huber",
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """L_2D: projected joints near the 2D keypoints, confidence-weighted.

    L_2D = sum_{t,j} c_{t,j} rho(|pi(X_{t,j}) - x_{t,j}|) / sum c   [px^2]

    Args:
        X: (T, J, 3) joints, metres.
        K: (3, 3) or (T, 3, 3) intrinsics.
        x2d: (T, J, 2) keypoints, pixels; NaN where missing.
        conf: (T, J) confidence in [0, 1].
        delta_px: robust scale, pixels.
        penalty: see :func:`robust_penalty`.
        reduction: see :data:`Reduction`.

    Returns:
        () or (T,) px^2.

    Raises:
        ShapeError: for inconsistent shapes.
    """
    check_joints(X)
    return keypoint_residual_loss(
        project(X, K), x2d, conf, delta_px=delta_px, penalty=penalty, reduction=reduction
    )
