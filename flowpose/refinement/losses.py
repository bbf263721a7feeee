"""The terms of the pose stage (DESIGN.md, "The losses"), as pure, differentiable torch functions.

The pose stage minimises, over the 3D joints X (T, J, 3) of the whole video,

    L(X) = w_opt L_opt + w_rel L_3D,rel + w_abs L_3D,abs + w_2D L_2D + w_vel L_vel + w_acc L_acc + w_bone
    L_bone

Units. Every residual is measured in the unit its noise is naturally stated in: pixels for image terms (flow,
keypoints), millimetres for 3D positions and bone lengths, m/s and m/s^2 for velocities and accelerations (so
that the temporal terms describe the same physical motion at any frame rate). Each term is a *weighted mean*
over its elements, so its scale depends neither on T nor on the number of joints or bone points, and a robust
penalty rho behaves like r^2 / 2 for small residuals. A weight is therefore an inverse variance: w = 1 /
sigma^2
makes a residual of sigma cost 0.5 (see :class:`flowpose.refinement.optimize.PoseStageConfig`).

Missing data. Joints whose reference value (initial 3D, 2D keypoint) is NaN, or whose confidence is 0, get
zero
weight in the terms that compare with that reference; NaNs are replaced before any arithmetic, so no NaN
reaches
a value or a gradient.

Every term takes ``reduction``: ``"mean"`` gives the scalar, ``"frame"`` the per-frame (or per-frame-pair)
contributions, divided by the same global normaliser, so that they sum to the scalar.
"""

from __future__ import annotations

from typing import Literal, Protocol

import torch

from flowpose.camera import project
from flowpose.errors import InputError, ShapeError

Penalty = Literal["pseudo_huber", "huber", "geman_mcclure", "l2"]
"""Robust penalties rho(r) of a residual norm r (see :func:`robust_penalty`)."""

Reduction = Literal["mean", "frame"]
"""``"mean"``: a scalar; ``"frame"``: per-frame contributions that sum to that scalar."""

Root = int | tuple[int, int]
"""A root joint index, or a (left, right) hip pair whose midpoint is the root (skeletons without a pelvis)."""

MM_PER_M = 1000.0
LENGTH_EPS_M = 1e-6
"""Added in quadrature to bone lengths (m), so that a zero-length bone has a finite gradient."""


class FlowSampler(Protocol):
    """Anything that samples forward flow at points, e.g. :class:`flowpose.flow.field.FlowField`."""

    @property
    def num_pairs(self) -> int:
        """P, the number of frame pairs."""
        ...

    def sample(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(P, N, 2) full-frame px -> flow (P, N, 2) px and confidence (P, N) in [0, 1]."""
        ...


# ------------------------------------------------------------------------------------------------------------
# Building blocks


def robust_penalty(sq_norm: torch.Tensor, delta: float, kind: Penalty = "pseudo_huber") -> torch.Tensor:
    """Robust penalty rho of residual norms, given their squares; all kinds equal r^2 / 2 near r = 0.

    * ``pseudo_huber``: rho(r) = delta^2 (sqrt(1 + (r / delta)^2) - 1), the smooth Huber (a scaled
    Charbonnier):
      quadratic below delta, linear (slope delta) above; C-infinity, which suits L-BFGS.
    * ``huber``: 0.5 r^2 for r <= delta, delta (r - delta / 2) above; the seed's smooth-L1 is huber / delta.
    * ``geman_mcclure``: rho(r) = 0.5 r^2 delta^2 / (delta^2 + r^2), redescending: bounded by delta^2 / 2, so
    gross
      outliers stop pulling at all (but the problem is no longer convex).
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


def weighted_mean(values: torch.Tensor, weights: torch.Tensor, reduction: Reduction = "mean") -> torch.Tensor:
    """sum(w * v) / sum(w) over all elements, 0 when every weight is 0.

    Args:
        values: (F, M) per-element penalties, F frames (or frame pairs).
        weights: (F, M) non-negative weights (constants: no gradient is wanted through them).
        reduction: ``"mean"`` -> scalar; ``"frame"`` -> (F,) per-frame parts that sum to the scalar.

    Returns:
        () or (F,).
    """
    per_frame = (values * weights).sum(-1) / weights.sum().clamp_min(1e-12)
    if reduction == "frame":
        return per_frame
    if reduction == "mean":
        return per_frame.sum()
    raise InputError(f"unknown reduction {reduction!r}; choose from ['frame', 'mean']")


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


def _sanitise(reference: torch.Tensor, conf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero the weight of non-finite reference joints (T, J, D) and replace their values by 0."""
    finite = torch.isfinite(reference).all(-1)
    conf = torch.where(finite & torch.isfinite(conf), conf, torch.zeros_like(conf))
    return torch.nan_to_num(reference, nan=0.0, posinf=0.0, neginf=0.0), conf


def _check_joints(X: torch.Tensor, name: str = "X") -> None:
    if X.ndim != 3 or X.shape[-1] != 3:
        raise ShapeError(name, "(T, J, 3)", X.shape)


def _check_frames(t: torch.Tensor, shape: tuple[int, ...], name: str) -> None:
    if tuple(t.shape) != shape:
        raise ShapeError(name, str(shape), t.shape)


# ------------------------------------------------------------------------------------------------------------
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
    _check_joints(X)
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


# ------------------------------------------------------------------------------------------------------------
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
    always
    a constant weight: letting its gradient through would reward moving points off the grid or onto untrusted
    pixels. Whether the gradient flows through the *sampling location* p_t of F_t is ``through_location``:

    * False (default): F_t(sg[p_t]) is a target resampled at the current points, as in Lucas-Kanade-style
      tracking. The optimiser then only moves points so that their motion matches the flow found where they
      are; it cannot lower the loss by sliding points along the flow's spatial gradient. Human flow is
      piecewise
      smooth with sharp jumps at limb boundaries, and that gradient is dominated by those jumps and by flow
      texture (noise), which is what a through-location gradient would make the optimiser chase.
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
    _check_joints(X)
    points = bone_points(X, bones, samples)
    _check_frames(point_weights, tuple(points.shape[:2]), "point_weights")
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


# ------------------------------------------------------------------------------------------------------------
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
    joint and
    the root were observed. The root joint itself (zero offset by definition) gets weight 0.

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
    _check_joints(X)
    _check_frames(X_init, tuple(X.shape), "X_init")
    _check_frames(conf, tuple(X.shape[:2]), "conf")
    X0, c = _sanitise(X_init, conf)
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
    a
    weak weight lets the image terms place the root, and this term only removes the remaining gauge freedom.

    Args: as :func:`pose3d_rel_loss`.

    Returns:
        () or (T,) mm^2.
    """
    _check_joints(X)
    _check_frames(X_init, tuple(X.shape), "X_init")
    _check_frames(conf, tuple(X.shape[:2]), "conf")
    X0, c = _sanitise(X_init, conf)
    d = MM_PER_M * (root_of(X, root) - root_of(X0, root))
    return weighted_mean(
        robust_penalty((d * d).sum(-1), delta_mm, penalty), root_confidence(c, root), reduction
    )


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


# ------------------------------------------------------------------------------------------------------------
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
    _check_frames(x2d, tuple(points_px.shape), "x2d")
    _check_frames(conf, tuple(points_px.shape[:2]), "conf")
    x, c = _sanitise(x2d, conf)
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
    _check_joints(X)
    return keypoint_residual_loss(
        project(X, K), x2d, conf, delta_px=delta_px, penalty=penalty, reduction=reduction
    )


# ------------------------------------------------------------------------------------------------------------
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
    _check_joints(X)
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
    _check_joints(X)
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

    l_{t,b} = |X_{t,c} - X_{t,a}| (mm),  lbar_b = mean_t l_{t,b},  L_bone = mean_{t,b} (l_{t,b} - lbar_b)^2
    [mm^2]

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
    _check_joints(X)
    lengths = bone_lengths(X, bones)
    dev = lengths - lengths.mean(0, keepdim=True)
    return weighted_mean(dev * dev, torch.ones_like(dev), reduction)
