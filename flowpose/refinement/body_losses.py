"""The body terms of L_pose (:mod:`flowpose.refinement.objective`): L_3D, L_contact, L_vel, L_acc and L_bone.

All act on the 3D joints X (T, J, 3) in metres and measure residuals in physical units: millimetres for
positions and bone lengths, m/s and m/s^2 for velocities and accelerations. Units, weights and missing data
follow :mod:`flowpose.refinement.losses`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from flowpose.refinement.losses import (
    MM_PER_M,
    Penalty,
    Root,
    check_joints,
    check_shape,
    mask_missing,
    robust_mean,
    robust_penalty,
    root_confidence,
    root_of,
    weighted_mean,
)

LENGTH_EPS_M = 1e-6
"""Added in quadrature to bone lengths (m), so that a zero-length bone has a finite gradient."""


# ----------------------------------------------------------------------------------------------------------
# L_3D: consistency with the initial 3D estimate


@dataclass(frozen=True)
class Pose3DLosses:
    """The three parts of L_3D (:func:`pose3d_losses`), each () in mm^2."""

    rel: torch.Tensor
    """L_3D,rel: the pose relative to its centre stays near the initial estimate's."""
    position: torch.Tensor
    """L_3D,abs: the root stays near the initial estimate's root (meant to be weighted weakly)."""
    lateral: torch.Tensor
    """L_3D,lat: the root's offset across the initial root's viewing ray (depth along the ray is free)."""


def pose3d_losses(
    X: torch.Tensor,
    X_init: torch.Tensor,
    conf: torch.Tensor,
    *,
    root: Root | None,
    delta_mm: float,
    penalty: Penalty,
    position_delta_mm: float | None = None,
    sparse_share: float = 0.0,
) -> Pose3DLosses:
    """L_3D: the pose stays near the initial estimate X0, in three parts weighted separately.

    With R the centre, r0_t = R(X0_t) and its viewing ray u_t = r0_t / |r0_t| (camera at the origin):

        rel:      d_{t,j} = 1000 [(X_{t,j} - R(X_t)) - (X0_{t,j} - r0_t)],  weights c_{t,j} (a root joint's:
                  min(c_{t,j}, c_{t,root}), the root itself, at zero offset by definition, weight 0)
        position: d_t = 1000 (R(X_t) - r0_t),                               weights c_{t,R}
        lateral:  d_t - (d_t . u_t) u_t,                                     weights c_{t,R}
        each      L = sum w rho(|d|) / sum w   [mm^2]

    The centre R is, with ``root=None``, the centroid of the joints observed in X0 at each frame (the same joints
    in X), with c_{t,R} their mean confidence; or a root joint (or hip midpoint), with c_{t,R} its confidence. The
    centroid is the default (``PoseStageConfig.pose3d_centre``): rel then compares the two poses up to a
    translation, every joint alike. Against one root joint, rel's offsets of every other joint all depend on the
    root, and together they move it where the mean of the others' displacements is; with ``lateral`` holding it
    across the ray as well, the root came apart from the joints around it on real video (the pelvis 16-53 mm off
    the hip midpoint, where the estimate had it on it; benchmarks/RESULTS.md, thirty-fifth session).

    A relative offset is known only where both the joint and the centre were observed. Monocular depth is the
    least reliable part of an initial estimate, so ``position`` is meant to be weighted weakly: the image terms
    place the body, and it only removes the remaining gauge freedom. Where a frame sees few joints
    (``sparse_share``) the image terms no longer fix its depth, and ``position`` takes its own, larger robust scale
    there (``position_delta_mm``): beyond ``delta_mm`` its pull would stay constant, and the body could run along
    the ray toward the camera (real video, benchmarks/RESULTS.md, sixty-second session). But the image-plane
    position of the estimate, fitted to the image by its camera, is as good as a 2D detection: without ``lateral`` the body
    follows the 2D keypoints of every joint, whose errors include the root-relative pose's, and jitters (on the
    held-out tuning clip it lowered MPJPE by 3% and acceleration error by 3%;
    ``benchmarks/experiments/tune_pose_stage.py``). ``lateral`` is a deviation from the seed, which had no
    absolute term.

    Args:
        X: (T, J, 3) joints, metres.
        X_init: (T, J, 3) initial estimate X0, metres; NaN where missing.
        conf: (T, J) confidence in [0, 1].
        root: None for the centroid, else see :data:`Root`.
        delta_mm: robust scale, mm.
        penalty: see :func:`robust_penalty`.
        position_delta_mm: robust scale of ``position`` in the sparse frames, mm; None: ``delta_mm``
            (:attr:`~flowpose.refinement.pose_config.PoseStageConfig.position_delta_mm`).
        sparse_share: a frame whose confidences sum to less than this share of the J joints is sparse (0: none).

    Returns:
        The three parts.

    Raises:
        ShapeError: for inconsistent shapes.
    """
    check_joints(X)
    check_shape(X_init, tuple(X.shape), "X_init")
    check_shape(conf, tuple(X.shape[:2]), "conf")
    X0, c = mask_missing(X_init, conf)
    if root is None:
        seen = (c > 0).to(X.dtype)
        count = seen.sum(1, keepdim=True).clamp_min(1.0)
        r, r0 = ((P * seen[..., None]).sum(1, keepdim=True) / count[..., None] for P in (X, X0))
        c_root = c.sum(1, keepdim=True) / count
        w_rel = c
    else:
        r, r0 = root_of(X, root), root_of(X0, root)
        c_root = root_confidence(c, root)
        w_rel = torch.minimum(c, c_root)
        if isinstance(root, int):
            w_rel = w_rel.index_fill(1, torch.tensor([root], device=w_rel.device), 0.0)
    d_rel = MM_PER_M * ((X - r) - (X0 - r0))
    d_root = MM_PER_M * (r - r0)
    ray = r0 / r0.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    d_perp = d_root - (d_root * ray).sum(-1, keepdim=True) * ray
    return Pose3DLosses(
        rel=robust_mean(d_rel, w_rel, delta_mm, penalty),
        position=_position(d_root, c_root, c.sum(1) < sparse_share * c.shape[1], delta_mm, position_delta_mm, penalty),
        lateral=robust_mean(d_perp, c_root, delta_mm, penalty),
    )


def _position(d_root: torch.Tensor, c_root: torch.Tensor, sparse: torch.Tensor, delta_mm: float,
              sparse_delta_mm: float | None, penalty: Penalty) -> torch.Tensor:
    """L_3D's position part: (T, 1, 3) residuals, mm, (T, 1) weights; the (T,) ``sparse`` frames at their own
    robust scale (``sparse_delta_mm``; None: ``delta_mm``)."""
    sq = (d_root * d_root).sum(-1)
    rho = robust_penalty(sq, delta_mm, penalty)
    if sparse_delta_mm is not None and bool(sparse.any()):
        rho = torch.where(sparse[:, None], robust_penalty(sq, sparse_delta_mm, penalty), rho)
    return weighted_mean(rho, c_root)


def contact_loss(
    X: torch.Tensor, world: torch.Tensor, ankles: tuple[int, int], height_m: float, weights: torch.Tensor, *,
    delta_mm: float, penalty: Penalty,
) -> torch.Tensor:
    """L_contact: in every frame the lower ankle stands ``height_m`` above the floor of a known world, the body moved
    there whole.

    With the camera's place W = [R | t] (a camera-frame point X is at R^T (X - t) in the world, Z up), each joint's
    height z_{t,j} = (R^T (X_{t,j} - t))_z, the centroid's zbar_t = mean_j z_{t,j} and the lower ankle's
    z_t = min_a z_{t,a},

        d_t = 1000 (zbar_t + sg(z_t - zbar_t) - height_m),    L_contact = sum_t w_t rho(|d_t|) / sum_t w_t   [mm^2]

    with w_t the weight of frame t (the lower of its ankles' confidences: a hidden foot is not held; 0 where the estimate
    stands in the air, :attr:`~flowpose.refinement.pose_config.PoseStageConfig.contact_flight_m`) and sg a stop of
    the gradient: d_t is the lower ankle's height above where it should be, and its gradient moves every joint alike.
    The floor says where the body is, not how its legs bend: on the real set the residual on the ankle itself
    (``z_t - height_m``, its gradient on the lower ankle alone) placed the body a little nearer (MPJPE without root
    alignment −17% against −12% to −14%) but bent the legs (PA-MPJPE +0.7%), where this form gains PA-MPJPE (−1.3% to
    −1.9%; ``benchmarks/experiments/foot_contact.py --form ankle``, ``benchmarks/RESULTS.md``, fifty-fifth session).

    Args:
        X: (T, J, 3) joints, metres, camera frame.
        world: (3, 4) [R | t], the camera's place over the floor (:attr:`flowpose.pose.PoseSequence.world`).
        ankles: the two ankle joints' indices.
        height_m: the lower ankle's height, world z, metres (the floor's plus the ankle's above the sole).
        weights: (T,) non-negative per-frame weights (constants).
        delta_mm: the robust scale, mm.
        penalty: the robust penalty.

    Returns:
        () mm^2; 0 where every weight is 0.
    """
    check_joints(X)
    R, t = world[:, :3].to(X.dtype), world[:, 3].to(X.dtype)
    z = ((X - t) @ R)[..., 2]  # row vectors: (X - t) R = (R^T (X - t))^T; (T, J) heights
    centre = z.mean(1)
    d = MM_PER_M * (centre + (z[:, list(ankles)].min(dim=1).values - centre).detach() - height_m)
    return robust_mean(d[:, None, None], weights[:, None].to(X.dtype), delta_mm, penalty)


# ----------------------------------------------------------------------------------------------------------
# L_temp: smoothness and bone-length consistency


def velocity_loss(X: torch.Tensor, *, dt: torch.Tensor) -> torch.Tensor:
    """L_vel = mean_{t,j} |v_{t,j}|^2,  v_t = (X_{t+1} - X_t) / dt_t   [(m/s)^2]; 0 when T < 2.

    Measured per second, not per frame, so one weight describes the same physical motion at any frame rate; the
    interval dt_t between frames t and t+1 is 1/fps for evenly spaced frames, its own length for a variable rate.

    Args:
        X: (T, J, 3) joints, metres.
        dt: (T - 1,) seconds between consecutive frames.

    Returns:
        ().
    """
    check_joints(X)
    check_shape(dt, (max(X.shape[0] - 1, 0),), "dt")
    v = (X[1:] - X[:-1]) / _per_frame(dt, X)
    return _mean_sq(v)


def stillness_loss(X: torch.Tensor, *, dt: torch.Tensor, still: torch.Tensor) -> torch.Tensor:
    """L_still = mean_{t,j} s_{t,j} |v_{t,j}|^2   [(m/s)^2]: the 3D velocity of joints the flow shows standing still,
    s the stillness of joint j between frames t and t+1 (:func:`flowpose.refinement.objective.flow_target`), so that
    a video with no still joint pays nothing; 0 when T < 2.

    Args:
        X: (T, J, 3) joints, metres.
        dt: (T - 1,) seconds between consecutive frames.
        still: (T - 1, J) weights in [0, 1] (constants).

    Returns:
        ().
    """
    check_joints(X)
    check_shape(dt, (max(X.shape[0] - 1, 0),), "dt")
    check_shape(still, (max(X.shape[0] - 1, 0), X.shape[1]), "still")
    v = (X[1:] - X[:-1]) / _per_frame(dt, X)
    return ((v * v).sum(-1) * still).mean() if v.shape[0] > 0 else v.sum() * 0.0


def acceleration_loss(X: torch.Tensor, *, dt: torch.Tensor, centre: torch.Tensor | None = None) -> torch.Tensor:
    """L_acc = mean_{t,j} |a_{t,j} - a^obs_{t,j}|^2   [(m/s^2)^2]; 0 when T < 3, with the second difference over
    unequal intervals

        a_t = 2 (v_t - v_{t-1}) / (dt_{t-1} + dt_t),   v_t = (X_{t+1} - X_t) / dt_t,

    which is (X_{t+1} - 2 X_t + X_{t-1}) fps^2 when every dt is 1/fps.

    Args:
        X: (T, J, 3) joints, metres.
        dt: (T - 1,) seconds between consecutive frames.
        centre: (T - 2, J, 3) a^obs, the acceleration the prior is centred on, m/s^2 (a constant: the motion
            the flow observed, :func:`flowpose.refinement.objective.flow_target`), or None for 0 (plain
            smoothness).

    Returns:
        ().
    """
    check_joints(X)
    check_shape(dt, (max(X.shape[0] - 1, 0),), "dt")
    a = second_difference(X, dt)
    if centre is not None:
        check_shape(centre, tuple(a.shape), "centre")
        a = a - centre
    return _mean_sq(a)


def second_difference(Y: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """(T, ...) values at frames with (T - 1,) intervals dt (s) -> (T - 2, ...) their second derivative per
    second^2 (:func:`acceleration_loss`'s a_t)."""
    return rate_change((Y[1:] - Y[:-1]) / _per_frame(dt, Y), dt)


def rate_change(v: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """(T - 1, ...) rates over (T - 1,) intervals dt (s) -> (T - 2, ...) their change per second at the frames
    between, 2 (v_t - v_{t-1}) / (dt_{t-1} + dt_t): the second difference over unequal intervals."""
    return 2.0 * (v[1:] - v[:-1]) / _per_frame(dt[:-1] + dt[1:], v)


def _per_frame(d: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(N,) -> (N, 1, ..., 1), broadcasting over ``like``'s trailing dimensions."""
    return d.reshape((-1,) + (1,) * (like.dim() - 1))


def _mean_sq(d: torch.Tensor) -> torch.Tensor:
    """(F, J, 3) -> () mean squared norm, 0 for F = 0."""
    return (d * d).sum(-1).mean() if d.shape[0] > 0 else d.sum() * 0.0


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


def bone_length_loss(X: torch.Tensor, bones: torch.Tensor) -> torch.Tensor:
    """L_bone: the variance of each bone's length over the video, averaged over bones.

    l_{t,b} = |X_{t,c} - X_{t,a}| (mm),  lbar_b = mean_t l_{t,b},
    L_bone = mean_{t,b} (l_{t,b} - lbar_b)^2   [mm^2]

    Deviations are absolute (mm), not relative to the length, so a 1 cm wobble costs the same on any bone. The
    mean, not the median, is the reference: it keeps the term smooth, and it is the variance's own minimiser.
    A body has one set of bone lengths, so every frame counts here, observed or not.

    Args:
        X: (T, J, 3) joints, metres.
        bones: (B, 2) long (parent, child).

    Returns:
        () mm^2; 0 for T = 1.
    """
    check_joints(X)
    lengths = bone_lengths(X, bones)
    dev = lengths - lengths.mean(0, keepdim=True)
    return (dev * dev).mean()
