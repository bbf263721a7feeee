"""Figures recorded in the refinement history: with ground truth (MPJPE, EPE, ...) and without it (the
smoothness and flow consistency of the poses themselves, which is all a real video offers)."""

from __future__ import annotations

import numpy as np

from flowpose import metrics
from flowpose.flow.field import FlowField
from flowpose.io.groundtruth import GroundTruth
from flowpose.pose import PoseSequence
from flowpose.refinement.reliability import joint_flow_residuals


def pose_motion_stats(joints3d: np.ndarray, skeleton: str) -> dict[str, float]:
    """Ground-truth-free figures of a pose sequence.

    Args:
        joints3d: (T, J, 3) metres.
        skeleton: skeleton name.

    Returns:
        ``accel``: mean joint acceleration magnitude (mm/frame^2; nan for T < 3); ``bone_std``: mean over bones
        of the std of bone length over time (mm).
    """
    accel = float("nan")
    if joints3d.shape[0] >= 3:
        acc = np.linalg.norm(joints3d[2:] - 2 * joints3d[1:-1] + joints3d[:-2], axis=-1)
        if np.isfinite(acc).any():  # nothing observed: nan, without numpy's empty-slice warning
            accel = float(np.nanmean(acc) * 1000.0)
    return {"accel": accel, "bone_std": metrics.bone_length_std(joints3d, skeleton=skeleton)}


def flow_residual(poses: PoseSequence, flow: FlowField) -> float:
    """How well the joints' projected motion follows the flow: the quantity L_opt penalises, in pixels.

    Returns:
        The weighted mean over pairs and joints of |(π(X_{t+1}) − π(X_t)) − F_t(π(X_t))| (px), weights being
        flow confidence times detection confidence; nan when nothing is weighted.
    """
    return ratio(flow_residual_total(poses, flow))


def flow_residual_total(poses: PoseSequence, flow: FlowField, pairs: slice = slice(None)) -> tuple[float, float]:
    """The weighted sum of :func:`flow_residual`'s residuals (px) over ``pairs`` and the sum of their weights: a
    video refined in parts adds them over each part's own pairs (:mod:`flowpose.refinement.parts`)."""
    residuals, weights = joint_flow_residuals(poses, flow)
    return float((weights[pairs] * residuals[pairs]).sum()), float(weights[pairs].sum())


def ratio(total: tuple[float, float]) -> float:
    """A mean from its (sum, count): nan where nothing is counted."""
    return total[0] / total[1] if total[1] > 0 else float("nan")


def pose_metrics(poses: PoseSequence, gt: GroundTruth) -> dict[str, float]:
    """MPJPE, PA-MPJPE (mm), acceleration error (mm/frame^2) and swapped limb-pair frames
    (:func:`flowpose.metrics.swapped_limbs`, H36M-17 only) against ground truth."""
    out = {
        "mpjpe": float(metrics.mpjpe(poses.joints3d, gt.joints3d, skeleton=poses.skeleton)),
        "pa_mpjpe": float(metrics.pa_mpjpe(poses.joints3d, gt.joints3d)),
        "accel_error": float(metrics.accel_error(poses.joints3d, gt.joints3d)),
    }
    if poses.skeleton == "h36m17":
        out["swapped"] = float(metrics.swapped_limbs(poses.joints3d, gt.joints3d).sum())
    return out


def flow_metrics(flow: FlowField, gt: GroundTruth, flow_errors: FlowErrors | None = None) -> dict[str, float]:
    """EPE (px) of a flow field against ground truth, measured by ``flow_errors`` where given (which keeps them
    while the flow is the same field), else afresh.

    Dense EPE is measured where the flow's grid covers the frame (the person-centred crop when flow runs on
    crops; the whole frame otherwise): ``epe_all`` over every covered pixel, ``epe_valid`` over covered pixels
    with valid ground truth (not occluded, staying in the image), ``epe_human`` over covered human pixels of
    frame t. ``epe_sparse`` is the BMVC 2022 Human3.6M protocol: flow at the ground-truth 2D joints against
    their true displacement. Empty without dense flow ground truth; no ``epe_sparse`` without its 2D joints.
    """
    totals = flow_error_totals(flow, gt) if flow_errors is None else flow_errors(flow)
    return {name: ratio(total) for name, total in totals.items()}


def flow_error_totals(flow: FlowField, gt: GroundTruth) -> dict[str, tuple[float, float]]:
    """Each of :func:`flow_metrics`'s EPEs as the sum of its errors (px) and their count: a video refined in parts
    adds them over its parts. The endpoint errors are measured once, over the covered pixels, and summed under
    each EPE's own mask."""
    if not gt.has_flow:
        return {}
    full, covered = flow.to_full_frame()
    errors = metrics.epe_errors(full, gt.flow, covered)  # NaN where the grid does not cover the pixel
    counted = np.isfinite(errors)
    masks = {"epe_all": counted, "epe_valid": counted & gt.flow_valid, "epe_human": counted & gt.human_mask[:-1]}
    totals = {name: (float(errors[m].sum()), float(m.sum())) for name, m in masks.items()}
    if gt.joints2d is not None:
        sparse = metrics.sparse_epe_errors(full, gt.joints2d)
        finite = np.isfinite(sparse)
        totals["epe_sparse"] = (float(sparse[finite].sum()), float(finite.sum()))
    return totals


class FlowErrors:
    """:func:`flow_error_totals` of a video's flow, measured again only when the flow is another field.

    With nothing to train (DIS, the default on a CPU), the flow stage returns its first field every cycle, and
    the pose stage alone changes: its EPEs would be the same figures measured again (three of the four measurements
    of a 3-cycle run, and most of the history's time on a clip with dense ground truth: ``benchmarks/RESULTS.md``,
    fifty-ninth session). The field last measured is held, so that ``is`` cannot mistake a new field for it.

    Args:
        gt: the video's (or a part's) ground truth.
        pairs: ``(start, stop)``: measure the pairs ``[start, stop)`` of each field given (a part's own); None:
            all of them.
    """

    def __init__(self, gt: GroundTruth, pairs: tuple[int, int] | None = None) -> None:
        self.gt = gt
        self.pairs = pairs
        self._flow: FlowField | None = None
        self._totals: dict[str, tuple[float, float]] = {}

    def __call__(self, flow: FlowField) -> dict[str, tuple[float, float]]:
        """The totals of ``flow`` (measured, or kept from the last call when it is the same field)."""
        if flow is not self._flow:
            own = flow if self.pairs is None else flow.pairs(*self.pairs)
            self._totals = flow_error_totals(own, self.gt)
            self._flow = flow
        return dict(self._totals)


def evaluate(
    poses: PoseSequence, flow: FlowField, gt: GroundTruth | None, flow_errors: FlowErrors | None = None
) -> dict[str, float]:
    """Every history figure: ground-truth-free ones always, ground-truth ones when ``gt`` is given (the flow's
    EPEs by ``flow_errors``, which keeps them while the flow is the same field; None: measured afresh)."""
    out = pose_motion_stats(poses.joints3d, poses.skeleton)
    out["flow_residual"] = flow_residual(poses, flow)
    if gt is not None:
        out.update(pose_metrics(poses, gt))
        out.update(flow_metrics(flow, gt, flow_errors))
    return out
