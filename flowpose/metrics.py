"""Evaluation metrics for 3D pose (MPJPE, PA-MPJPE, acceleration, bone stability, PCK) and optical flow (EPE).

Poses come in metres and errors go out in millimetres; flows and keypoints are in pixels. NaN joints (missing
in the estimate or the ground truth) are left out of every mean; a mean over nothing is NaN.
"""

from __future__ import annotations

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.skeleton import get_skeleton

M_TO_MM = 1000.0


def _nanmean(values: np.ndarray) -> float:
    """Mean of the finite entries, NaN (without a warning) when there are none."""
    finite = np.isfinite(values)
    return float(values[finite].mean()) if finite.any() else float("nan")


def _check_pair(pred: np.ndarray, gt: np.ndarray, dims: str = "3") -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    if pred.ndim < 2 or pred.shape[-1] not in tuple(int(d) for d in dims.split("|")):
        raise ShapeError("pred", f"(..., J, {dims})", pred.shape)
    if gt.shape != pred.shape:
        raise ShapeError("gt", f"{pred.shape} like pred", gt.shape)
    return pred, gt


def _reduce(errors: np.ndarray, reduction: str) -> float | np.ndarray:
    if reduction == "mean":
        return _nanmean(errors)
    if reduction == "none":
        return errors
    raise InputError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def mpjpe(
    pred: np.ndarray, gt: np.ndarray, *, skeleton: str = "h36m17", reduction: str = "mean"
) -> float | np.ndarray:
    """Mean per-joint position error after root alignment (Human3.6M Protocol #1).

    Both poses are translated so that their roots (the pelvis, or the hip midpoint for skeletons without one,
    see :meth:`Skeleton.root_position`) coincide: ``e_tj = || (P_tj - P_t,root) - (G_tj - G_t,root) ||``.

    Args:
        pred: (T, J, 3) estimated joints in metres.
        gt: (T, J, 3) ground-truth joints in metres.
        skeleton: registry name of the joint layout, which fixes the root.
        reduction: ``"mean"`` for one number, ``"none"`` for per-joint errors.

    Returns:
        The mean error in mm over all finite entries, or the (T, J) errors in mm (NaN where either pose or
        either root is NaN).

    Raises:
        ShapeError: for mismatched shapes or a joint count that does not match ``skeleton``.
        InputError: for an unknown skeleton or reduction.

    Example:
        >>> gt = np.zeros((1, 17, 3)); pred = gt.copy(); pred[0, 5] = [0.003, 0.004, 0.0]
        >>> mpjpe(pred, gt) * 17
        5.0
    """
    pred, gt = _check_pair(pred, gt)
    skel = get_skeleton(skeleton)
    if pred.shape[-2] != skel.num_joints:
        raise ShapeError("pred", f"(T, {skel.num_joints}, 3) for skeleton {skeleton!r}", pred.shape)
    pred_rel = pred - skel.root_position(pred)
    gt_rel = gt - skel.root_position(gt)
    return _reduce(M_TO_MM * np.linalg.norm(pred_rel - gt_rel, axis=-1), reduction)


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Align each frame of ``pred`` to ``gt`` by the best similarity transform (Umeyama 1991).

    Minimises ``sum_j || s R p_j + t - g_j ||^2`` over rotations R (det +1, no reflection), scales s and
    translations t, using only joints finite in both poses. With centred joints P, G and
    ``P^T G = U S V^T``: ``R = V D U^T`` with ``D = diag(1, 1, sign det(V U^T))`` (Umeyama eq. 39),
    ``s = tr(S D) / ||P||^2`` (eq. 42), ``t = mean(g) - s R mean(p)`` (eq. 41).

    Args:
        pred: (T, J, 3) joints to align.
        gt: (T, J, 3) target joints.

    Returns:
        (T, J, 3) aligned ``pred``; NaN where a joint was NaN or a frame has no joint finite in both.
    """
    valid = np.isfinite(pred).all(-1) & np.isfinite(gt).all(-1)  # (T, J)
    w = valid[..., None].astype(np.float64)
    count = np.maximum(w.sum(-2, keepdims=True), 1.0)
    p, g = np.where(w > 0, pred, 0.0), np.where(w > 0, gt, 0.0)
    mu_p, mu_g = (p * w).sum(-2, keepdims=True) / count, (g * w).sum(-2, keepdims=True) / count
    P, G = (p - mu_p) * w, (g - mu_g) * w
    U, S, Vt = np.linalg.svd(np.swapaxes(P, -1, -2) @ G)
    V = np.swapaxes(Vt, -1, -2)
    d = np.sign(np.linalg.det(V @ np.swapaxes(U, -1, -2)))
    D = np.zeros(d.shape + (3,))
    D[..., :2], D[..., 2] = 1.0, np.where(d == 0, 1.0, d)
    R = V @ (D[..., :, None] * np.swapaxes(U, -1, -2))  # V D U^T
    var_p = (P**2).sum((-2, -1))
    s = np.where(var_p > 0, (S * D).sum(-1) / np.where(var_p > 0, var_p, 1.0), 0.0)
    aligned = s[..., None, None] * (pred - mu_p) @ np.swapaxes(R, -1, -2) + mu_g
    return np.where(valid[..., None], aligned, np.nan)


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray, *, reduction: str = "mean") -> float | np.ndarray:
    """MPJPE after per-frame Procrustes alignment (Human3.6M Protocol #2), see :func:`procrustes_align`.

    Args:
        pred: (T, J, 3) estimated joints in metres.
        gt: (T, J, 3) ground-truth joints in metres.
        reduction: ``"mean"`` or ``"none"``.

    Returns:
        Mean error in mm, or (T, J) errors in mm (NaN for joints left out).

    Raises:
        ShapeError: for shapes other than matching (T, J, 3).
        InputError: for an unknown reduction.

    Example:
        >>> gt = np.random.rand(2, 17, 3); c, s = np.cos(0.3), np.sin(0.3)
        >>> R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
        >>> round(pa_mpjpe(2.0 * gt @ R.T + 5.0, gt), 9)
        0.0
    """
    pred, gt = _check_pair(pred, gt)
    if pred.ndim != 3:
        raise ShapeError("pred", "(T, J, 3)", pred.shape)
    errors = M_TO_MM * np.linalg.norm(procrustes_align(pred, gt) - gt, axis=-1)
    return _reduce(errors, reduction)


def accel_error(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean acceleration error (Kanazawa et al. 2019, "Learning 3D Human Dynamics from Video").

    ``a_t = x_{t+1} - 2 x_t + x_{t-1}`` for t = 1..T-2; the error is ``mean_tj || a^pred_tj - a^gt_tj ||``.
    Joints are taken as given (not root-aligned), so root jitter counts; pass root-relative joints for the
    root-relative variant.

    Args:
        pred: (T, J, 3) estimated joints in metres.
        gt: (T, J, 3) ground-truth joints in metres.

    Returns:
        Error in mm per frame², NaN if T < 3.

    Raises:
        ShapeError: for shapes other than matching (T, J, 3).

    Example:
        >>> t = np.arange(5.0)[:, None, None]
        >>> pred = np.zeros((5, 1, 3)) + [0.001, 0, 0] * t**2  # x = t^2 mm
        >>> round(accel_error(pred, np.zeros((5, 1, 3))), 9)
        2.0
    """
    pred, gt = _check_pair(pred, gt)
    if pred.ndim != 3:
        raise ShapeError("pred", "(T, J, 3)", pred.shape)
    if pred.shape[0] < 3:
        return float("nan")
    return _nanmean(M_TO_MM * np.linalg.norm(_second_difference(pred) - _second_difference(gt), axis=-1))


def _second_difference(x: np.ndarray) -> np.ndarray:
    """(T, ...) -> (T-2, ...) ``x_{t+1} - 2 x_t + x_{t-1}``."""
    return x[2:] - 2.0 * x[1:-1] + x[:-2]


def bone_length_std(joints: np.ndarray, *, skeleton: str = "h36m17") -> float:
    """How much bone lengths change over a sequence: mean over bones of the std of the length over time.

    Args:
        joints: (T, J, 3) joints in metres.
        skeleton: registry name of the joint layout, which fixes the bones.

    Returns:
        Mean standard deviation in mm (population std over the frames where the bone is finite).

    Raises:
        ShapeError: for a shape other than (T, J, 3) with J of ``skeleton``.
        InputError: for an unknown skeleton.

    Example:
        >>> j = np.zeros((2, 17, 3)); j[1, 1] = [0.002, 0.0, 0.0]  # r_hip moves: bones 0-1 and 1-2 change
        >>> round(bone_length_std(j) * 16, 9)
        2.0
    """
    skel = get_skeleton(skeleton)
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (skel.num_joints, 3):
        raise ShapeError("joints", f"(T, {skel.num_joints}, 3) for skeleton {skeleton!r}", joints.shape)
    parents, children = np.array(skel.bones).T
    lengths = np.linalg.norm(joints[:, children] - joints[:, parents], axis=-1)  # (T, B)
    finite = np.isfinite(lengths)
    n = finite.sum(0)
    filled = np.where(finite, lengths, 0.0)
    mean = filled.sum(0) / np.maximum(n, 1)
    var = (np.where(finite, lengths - mean, 0.0) ** 2).sum(0) / np.maximum(n, 1)
    return _nanmean(np.where(n > 0, M_TO_MM * np.sqrt(var), np.nan))


def epe(pred_flow: np.ndarray, gt_flow: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Average endpoint error ``mean || F_pred - F_gt ||`` over the masked pixels.

    Args:
        pred_flow: (..., H, W, 2) estimated flow in pixels.
        gt_flow: (..., H, W, 2) ground-truth flow in pixels.
        mask: (..., H, W) bool, pixels to count (e.g. ``flow_valid``); None counts all.

    Returns:
        Mean EPE in pixels; NaN if no pixel is counted. Pixels with non-finite flow are left out.

    Raises:
        ShapeError: for mismatched shapes.

    Example:
        >>> epe(np.full((2, 2, 2), [3.0, 4.0]), np.zeros((2, 2, 2)))
        5.0
    """
    return _nanmean(epe_errors(pred_flow, gt_flow, mask))


def epe_errors(pred_flow: np.ndarray, gt_flow: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Each pixel's endpoint error ``|| F_pred - F_gt ||`` (px), NaN where it is not counted (:func:`epe`).

    Returns:
        (..., H, W) float64.
    """
    pred_flow, gt_flow = _check_pair(pred_flow, gt_flow, dims="2")
    d = pred_flow - gt_flow
    errors = np.hypot(d[..., 0], d[..., 1])
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != errors.shape:
            raise ShapeError("mask", f"{errors.shape}", mask.shape)
        errors = np.where(mask.astype(bool), errors, np.nan)
    return errors


def _bilinear(images: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Sample (N, H, W, C) images at (N, J, 2) pixel positions (x, y) inside the image -> (N, J, C)."""
    _, H, W, _ = images.shape
    x0 = np.clip(np.floor(xy[..., 0]), 0, max(W - 2, 0)).astype(int)
    y0 = np.clip(np.floor(xy[..., 1]), 0, max(H - 2, 0)).astype(int)
    x1, y1 = np.minimum(x0 + 1, W - 1), np.minimum(y0 + 1, H - 1)
    ax, ay = (xy[..., 0] - x0)[..., None], (xy[..., 1] - y0)[..., None]
    n = np.arange(images.shape[0])[:, None]
    top = (1 - ax) * images[n, y0, x0] + ax * images[n, y0, x1]
    bottom = (1 - ax) * images[n, y1, x0] + ax * images[n, y1, x1]
    return (1 - ay) * top + ay * bottom


def sparse_epe(flow: np.ndarray, joints2d: np.ndarray, *, valid: np.ndarray | None = None) -> float:
    """Endpoint error of a flow at the body joints (the sparse Human3.6M protocol of BMVC 2022).

    The flow is sampled bilinearly at each ground-truth joint ``x_t`` (pixel centres at integers) and compared
    with the joint's true motion: ``e_tj = || F_t(x_tj) - (x_{t+1,j} - x_tj) ||``. Joints whose position at t
    or t+1 lies outside the image (``[0, W-1] x [0, H-1]``), or is NaN, are left out: the flow cannot be read
    at the first, and a motion leaving the frame has no in-image correspondence.

    Args:
        flow: (T-1, H, W, 2) forward flow in pixels.
        joints2d: (T, J, 2) ground-truth pixel positions.
        valid: (T-1, J) bool, pairs to count (e.g. visible at both frames); None counts all.

    Returns:
        Mean EPE in pixels, NaN if no joint is counted.

    Raises:
        ShapeError: for inconsistent shapes.

    Example:
        >>> flow = np.zeros((1, 4, 4, 2)); flow[..., 0] = np.arange(4.0)  # u = x
        >>> sparse_epe(flow, np.array([[[1.5, 1.0]], [[3.0, 1.0]]]))  # F = 1.5, true motion 1.5
        0.0
    """
    return _nanmean(sparse_epe_errors(flow, joints2d, valid=valid))


def sparse_epe_errors(flow: np.ndarray, joints2d: np.ndarray, *, valid: np.ndarray | None = None) -> np.ndarray:
    """Each joint's endpoint error of :func:`sparse_epe` (px), NaN where it is not counted.

    Returns:
        (T-1, J) float64.
    """
    flow = np.asarray(flow, dtype=np.float64)
    joints2d = np.asarray(joints2d, dtype=np.float64)
    if flow.ndim != 4 or flow.shape[-1] != 2:
        raise ShapeError("flow", "(T-1, H, W, 2)", flow.shape)
    T1, H, W, _ = flow.shape
    if joints2d.ndim != 3 or joints2d.shape[0] != T1 + 1 or joints2d.shape[-1] != 2:
        raise ShapeError("joints2d", f"({T1 + 1}, J, 2)", joints2d.shape)
    inside = (
        np.isfinite(joints2d).all(-1)
        & (joints2d[..., 0] >= 0) & (joints2d[..., 0] <= W - 1)
        & (joints2d[..., 1] >= 0) & (joints2d[..., 1] <= H - 1)
    )  # (T, J)
    keep = inside[:-1] & inside[1:]
    if valid is not None:
        valid = np.asarray(valid)
        if valid.shape != keep.shape:
            raise ShapeError("valid", f"{keep.shape}", valid.shape)
        keep &= valid.astype(bool)
    start = np.where(keep[..., None], joints2d[:-1], 0.0)
    sampled = _bilinear(flow, start)
    errors = np.linalg.norm(sampled - (joints2d[1:] - joints2d[:-1]), axis=-1)
    return np.where(keep, errors, np.nan)


def pck(pred: np.ndarray, gt: np.ndarray, threshold: float) -> float:
    """Percentage of correct keypoints: the fraction of joints within ``threshold`` of the ground truth.

    Distances are taken as given (no alignment), in the inputs' unit; e.g. root-align metres and use 0.15 for
    3DPCK, or pixels for 2D.

    Args:
        pred: (..., J, 2) or (..., J, 3) estimated joints.
        gt: ground truth of the same shape.
        threshold: the largest distance counted as correct (inclusive), same unit as the joints.

    Returns:
        Fraction in [0, 1] over joints finite in both, NaN if there are none.

    Raises:
        ShapeError: for mismatched shapes.
        InputError: for a negative threshold.

    Example:
        >>> pck(np.array([[0.0, 0.0], [3.0, 4.0]]), np.zeros((2, 2)), threshold=4.0)
        0.5
    """
    pred, gt = _check_pair(pred, gt, dims="2|3")
    if not threshold >= 0:
        raise InputError(f"threshold must be a non-negative distance, got {threshold}")
    dist = np.linalg.norm(pred - gt, axis=-1)
    return _nanmean(np.where(np.isfinite(dist), (dist <= threshold).astype(np.float64), np.nan))


H36M17_LIMB_PAIRS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "legs": ((4, 5, 6), (1, 2, 3)),
    "arms": ((11, 12, 13), (14, 15, 16)),
}
"""Left and right limbs of H36M-17 (hip or shoulder, knee or elbow, ankle or wrist), for swap detection."""


def swapped_limbs(pred: np.ndarray, gt: np.ndarray, *, margin: float = 0.5) -> np.ndarray:
    """Which frames carry a left-right swap of the legs or the arms, judged against ground truth.

    A limb pair of frame t is swapped when exchanging its left and right joints brings the root-aligned
    prediction closer to the truth: the exchanged error is below ``margin`` times the given one (so limbs
    that overlap, where either labelling is as good, never count).

    Args:
        pred: (T, 17, 3) H36M-17 joints, metres (or (T, 17, 2) pixels).
        gt: the same shape.
        margin: fraction in (0, 1].

    Returns:
        (T, 2) bool: column 0 the legs, column 1 the arms.

    Example:
        >>> gt = np.random.default_rng(0).normal(size=(2, 17, 3))
        >>> pred = gt.copy(); pred[1, [4, 5, 6, 1, 2, 3]] = gt[1, [1, 2, 3, 4, 5, 6]]
        >>> swapped_limbs(pred, gt).tolist()
        [[False, False], [True, False]]
    """
    p = np.asarray(pred, np.float64)
    g = np.asarray(gt, np.float64)
    if p.shape != g.shape or p.ndim != 3 or p.shape[1] != 17:
        raise InputError(f"swapped_limbs needs (T, 17, D) pred and gt of one shape, got {p.shape} and {g.shape}")
    if p.shape[-1] == 3:
        p, g = p - p[:, :1], g - g[:, :1]
    out = np.zeros((p.shape[0], len(H36M17_LIMB_PAIRS)), bool)
    for c, (left, right) in enumerate(H36M17_LIMB_PAIRS.values()):
        idx = list(left) + list(right)
        given = np.linalg.norm(p[:, idx] - g[:, idx], axis=-1).mean(-1)
        exchanged = np.linalg.norm(p[:, list(right) + list(left)] - g[:, idx], axis=-1).mean(-1)
        out[:, c] = exchanged < margin * given
    return out
