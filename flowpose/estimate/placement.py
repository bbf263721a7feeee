"""Placing a root-relative 3D pose in the camera frame: the root translation that makes it project onto its 2D
keypoints (a perspective PnP with known rotation), by linear least squares.

Derivation. A root-relative pose ``P_j`` (metres, axes aligned with the camera's: x right, y down, z forward)
sits in the camera frame at ``X_j = s P_j + t``, ``t = (t_x, t_y, t_z)``. With normalised image coordinates
``x_j = (u_j - c_x - k (v_j - c_y) / f_y) / f_x`` and ``y_j = (v_j - c_y) / f_y`` (``k`` the skew of K), the
pinhole model ``x_j = X_j,x / X_j,z`` multiplied out by the depth is linear in ``t``::

    t_x - x_j t_z = s (x_j P_j,z - P_j,x)
    t_y - y_j t_z = s (y_j P_j,z - P_j,y)                                                          (1)

Two equations per joint and three unknowns: two joints already fix ``t``. Stacking the visible joints, each
row weighted by the joint's confidence ``w_j``, gives ``A t = b`` solved in the least-squares sense (2).

(1) measures the error in the image plane scaled by the depth ``X_j,z`` (an algebraic error); dividing each
row by the current depth estimate and solving again turns it into the reprojection error in normalised
coordinates (iteratively reweighted least squares, 3). Two reweightings change the root by well under a
millimetre on a body ~3 m away; they matter for close-up, strongly foreshortened poses.

Scale. ``(s, t) -> (λ s, λ t)`` leaves every projection in (1) unchanged: from one view the size of a body and
its distance are the same unknown. Solving for ``s`` as well would leave (1) with a null space, so ``s`` is
given: 1 for estimators that output metric poses (MediaPipe's world landmarks, VideoPose3D), or the ratio of
the subject's known height to the pose's height.
"""

from __future__ import annotations

import warnings

import numpy as np

from flowpose.errors import InputError, ShapeError

MIN_DEPTH = 0.1
"""Roots placed closer than this to the camera (metres) are treated as failures (NaN)."""


def normalised_coords(keypoints: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Pixels to normalised image coordinates, ``[x, y, 1]^T = K^{-1} [u, v, 1]^T``.

    Args:
        keypoints: (T, J, 2) pixel coordinates.
        K: (3, 3) or (T, 3, 3) intrinsics.

    Returns:
        (T, J, 2) float64 normalised coordinates.
    """
    Kt = np.broadcast_to(np.asarray(K, np.float64), (keypoints.shape[0], 3, 3))
    fx, fy, cx, cy, skew = (
        Kt[:, None, 0, 0],
        Kt[:, None, 1, 1],
        Kt[:, None, 0, 2],
        Kt[:, None, 1, 2],
        Kt[:, None, 0, 1],
    )
    y = (keypoints[..., 1] - cy) / fy
    x = (keypoints[..., 0] - cx - skew * y) / fx
    return np.stack([x, y], axis=-1)


def place_root(
    joints_rel: np.ndarray,
    keypoints: np.ndarray,
    K: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    scale: float = 1.0,
    reweight_iters: int = 2,
) -> np.ndarray:
    """Per frame, the translation ``t`` that best projects ``scale * joints_rel + t`` onto ``keypoints``.

    Solves (1)-(3) of the module docstring frame by frame. Frames with fewer than two usable joints (finite 3D
    and 2D, weight > 0), or whose solution puts the root behind or within :data:`MIN_DEPTH` of the camera,
    get NaN (with one warning for the lot).

    Args:
        joints_rel: (T, J, 3) root-relative joints in metres, camera-aligned axes.
        keypoints: (T, J, 2) their 2D keypoints in pixels.
        K: (3, 3) or (T, 3, 3) intrinsics.
        weights: (T, J) confidences >= 0 (default ones); NaN joints get weight 0.
        scale: the known scale ``s`` of the pose (see the module docstring: it cannot be solved for).
        reweight_iters: reweighting passes by inverse depth (3); 0 keeps the algebraic solution (2).

    Returns:
        (T, 3) float64 translations in metres, NaN rows for frames that could not be placed.

    Raises:
        ShapeError: for inconsistent shapes.
        InputError: for a non-positive scale or negative weights.

    Example:
        >>> K = np.array([[500.0, 0, 50], [0, 500.0, 50], [0, 0, 1]])
        >>> rel = np.array([[[0.0, 0, 0], [0.5, 0, 0]]])
        >>> kp = np.array([[[50.0, 50], [150.0, 50]]])  # a 0.5 m offset seen as 100 px: depth 2.5 m
        >>> (place_root(rel, kp, K).round(6) + 0.0).tolist()
        [[0.0, 0.0, 2.5]]
    """
    rel = np.asarray(joints_rel, np.float64)
    if rel.ndim != 3 or rel.shape[-1] != 3:
        raise ShapeError("joints_rel", "(T, J, 3)", rel.shape)
    T, J, _ = rel.shape
    kp = np.asarray(keypoints, np.float64)
    if kp.shape != (T, J, 2):
        raise ShapeError("keypoints", f"({T}, {J}, 2)", kp.shape)
    K = np.asarray(K, np.float64)
    if K.shape not in ((3, 3), (T, 3, 3)):
        raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", K.shape)
    w = np.ones((T, J)) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (T, J):
        raise ShapeError("weights", f"({T}, {J})", w.shape)
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"scale must be a positive number, got {scale}")
    if (np.nan_to_num(w) < 0).any():
        raise InputError("weights must be >= 0")

    xy = normalised_coords(kp, K)
    usable = np.isfinite(rel).all(-1) & np.isfinite(xy).all(-1) & np.isfinite(w) & (w > 0)
    w = np.where(usable, w, 0.0)
    P = np.where(usable[..., None], rel, 0.0) * scale
    xy = np.where(usable[..., None], xy, 0.0)

    # (1): rows [1, 0, -x_j] t = x_j P_z - P_x and [0, 1, -y_j] t = y_j P_z - P_y, for every frame at once.
    A = np.zeros((T, J, 2, 3))
    A[..., 0, 0] = 1.0
    A[..., 1, 1] = 1.0
    A[..., :, 2] = -xy
    b = xy * P[..., 2:3] - P[..., :2]
    row_w = w.copy()
    t = np.full((T, 3), np.nan)
    solvable = usable.sum(-1) >= 2
    for _ in range(reweight_iters + 1):
        t = _weighted_lstsq(A, b, row_w, solvable)
        depth = P[..., 2] + t[:, None, 2]  # (3): divide each joint's rows by its current depth
        ok = np.isfinite(depth) & (depth > MIN_DEPTH)
        row_w = np.where(ok, w / np.where(ok, depth, 1.0), w)
    bad = solvable & ~(t[:, 2] > MIN_DEPTH)
    t[bad] = np.nan
    failed = int((~solvable).sum() + bad.sum())
    if failed:
        warnings.warn(
            f"place_root: {failed} of {T} frames could not be placed (too few joints or behind the "
            "camera); their joints are NaN",
            stacklevel=2,
        )
    return t


def _weighted_lstsq(A: np.ndarray, b: np.ndarray, w: np.ndarray, solvable: np.ndarray) -> np.ndarray:
    """Solve ``min_t sum_j w_j^2 |A_j t - b_j|^2`` per frame (2) via the 3x3 normal equations.

    Args:
        A: (T, J, 2, 3) rows; b: (T, J, 2) right-hand sides; w: (T, J) row weights; solvable: (T,) frames to
            solve (others get NaN).

    Returns:
        (T, 3) solutions.
    """
    Aw = A * w[..., None, None]
    bw = b * w[..., None]
    AtA = np.einsum("tjri,tjrk->tik", Aw, Aw)
    Atb = np.einsum("tjri,tjr->ti", Aw, bw)
    t = np.full(b.shape[:1] + (3,), np.nan)
    if solvable.any():
        # lstsq rather than solve: two joints on one ray make AtA singular; the minimum-norm answer is then
        # caught by the depth check.
        for i in np.flatnonzero(solvable):
            t[i] = np.linalg.lstsq(AtA[i], Atb[i], rcond=None)[0]
    return t
