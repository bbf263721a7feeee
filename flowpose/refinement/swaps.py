"""Left-right limb swaps, found by following the limbs' pixels with the optical flow, and repaired.

Single-image estimators label a limb left or right from one frame's appearance, and on hard views they swap
whole limbs for runs of frames (MediaPipe: 27 of 100 frames on one real view, ../shared/DATA.md). A swap
moves both the 2D keypoints and the 3D joints, so no prior on the pose can see it: the swapped body is a
plausible body. What the labels cannot fake is motion: the pixels of the left leg at frame t, carried by the
flow F_t, land on the left leg at frame t+1.

For one limb pair (legs, or arms) let s_t = 1 when frame t's labels are exchanged against the truth. Points
q_t along the left and right limbs (joints and bone midpoints, from the 2D keypoints) are carried by the
flow, q_t + F_t(q_t), and compared with frame t+1's points under the same correspondence (s_t = s_{t+1}) or
the exchanged one (s_t != s_{t+1}):

    c_t(same)  = sum_i w_i rho(|q_{t+1,i} - q_t,i - F_t(q_t,i)|)
    c_t(cross) = sum_i w_i rho(|q_{t+1,sigma(i)} - q_t,i - F_t(q_t,i)|)         sigma: left <-> right

    s* = argmin_s  sum_t c_t(s_t = s_{t+1} ? same : cross) + lambda sum_t s_t            (Viterbi, 2 states)

with w_i the flow's confidence times the keypoints' confidences, rho(e) = min(e, tau) / tau robust (a flow
outlier costs at most 1), and lambda the prior that a frame's labels are right. Frames with s*_t = 1 are
relabelled, in 3D and 2D. With ``motion="none"`` the flow is replaced by zero motion (plain continuity): the
baseline that flow must beat, and which fails on fast limbs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import torch

from flowpose.camera import project_np
from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.frame_runs import runs_text
from flowpose.metrics import H36M17_LIMB_PAIRS
from flowpose.pose import PoseSequence


@dataclass(frozen=True)
class SwapConfig:
    """Swap detection settings (module docstring)."""

    enabled: bool = True
    """Detect and repair swaps before the pose stage."""
    motion: Literal["flow", "dis", "none"] = "dis"
    """What carries the limbs' points from frame to frame: the refinement's flow F_0, OpenCV DIS on the same
    crops, or nothing (continuity). DIS by default: on fast limbs it carried the points better than the
    embedded RAFT-small at 128 px (benchmarks/RESULTS.md, "Swaps")."""
    tau_frac: float = 0.1
    """rho's saturation tau as a fraction of the person's median 2D height."""
    prior: float = 0.1
    """lambda: cost of declaring one frame's labels swapped, in units of one saturated point (rho = 1)."""

    def __post_init__(self) -> None:
        if self.motion not in ("flow", "dis", "none"):
            raise InputError(f"SwapConfig.motion must be 'flow', 'dis' or 'none', got {self.motion!r}")
        if not self.tau_frac > 0 or not self.prior >= 0:
            raise InputError(f"SwapConfig.tau_frac must be > 0 and prior >= 0, got {self.tau_frac}, {self.prior}")


@dataclass(frozen=True)
class SwapRepair:
    """What :func:`repair_swaps` did.

    Attributes:
        poses: the poses with swapped frames relabelled.
        swapped: (T, 2) bool, frames relabelled, column 0 the legs and 1 the arms.
    """

    poses: PoseSequence
    swapped: np.ndarray

    @property
    def count(self) -> int:
        """Limb-pair frames relabelled."""
        return int(self.swapped.sum())


def _limb_points(x2d: np.ndarray, limb: tuple[int, ...]) -> np.ndarray:
    """(T, 5, 2): root, root-middle midpoint, middle, middle-end midpoint, end of one limb."""
    a, b, c = (x2d[:, j] for j in limb)
    return np.stack([a, (a + b) / 2, b, (b + c) / 2, c], axis=1)


def _limb_weights(conf: np.ndarray, limb: tuple[int, ...]) -> np.ndarray:
    """(T, 5) confidences of the points of :func:`_limb_points` (a midpoint: the lesser of its joints')."""
    a, b, c = (conf[:, j] for j in limb)
    return np.stack([a, np.minimum(a, b), b, np.minimum(b, c), c], axis=1)


def _viterbi(same: np.ndarray, cross: np.ndarray, prior: float) -> np.ndarray:
    """Most likely s (T,) in {0, 1} given pair costs (T-1,) and a per-frame cost ``prior`` for s_t = 1."""
    T = len(same) + 1
    cost = np.array([0.0, prior])
    back = np.zeros((T, 2), int)
    for t in range(T - 1):
        stay, switch = cost + same[t], cost[::-1] + cross[t]
        back[t + 1] = np.where(stay <= switch, [0, 1], [1, 0])
        cost = np.minimum(stay, switch) + np.array([0.0, prior])
    s = np.zeros(T, int)
    s[-1] = int(np.argmin(cost))
    for t in range(T - 1, 0, -1):
        s[t - 1] = back[t, s[t]]
    return s


def detect_swaps(poses: PoseSequence, flow: FlowField | None, config: SwapConfig = SwapConfig()) -> np.ndarray:
    """Frames whose legs or arms are labelled left for right (module docstring).

    Args:
        poses: H36M-17 poses (2D keypoints, or the projection of the 3D joints) with confidences.
        flow: forward flow of the T - 1 pairs, or None (then ``motion`` must be ``"none"``).
        config: the settings.

    Returns:
        (T, 2) bool: column 0 the legs, column 1 the arms.

    Raises:
        InputError: for another skeleton than H36M-17, or ``motion="flow"`` without a flow.
    """
    if poses.skeleton != "h36m17":
        raise InputError(f"swap detection needs H36M-17 poses, got {poses.skeleton!r}")
    if config.motion != "none" and flow is None:
        raise InputError(f"swap detection with motion={config.motion!r} needs the flow")
    T = poses.num_frames
    out = np.zeros((T, 2), bool)
    if T < 2:
        return out
    x2d = poses.joints2d if poses.joints2d is not None else project_np(poses.joints3d, poses.K_per_frame())
    x2d = np.nan_to_num(np.asarray(x2d, np.float64))
    conf = poses.confidence()
    extent = np.nanmax(x2d[..., 1], 1) - np.nanmin(x2d[..., 1], 1)
    tau = config.tau_frac * max(float(np.median(extent)), 1.0)
    for c, (left, right) in enumerate(H36M17_LIMB_PAIRS.values()):
        q = np.concatenate([_limb_points(x2d, left), _limb_points(x2d, right)], axis=1)  # (T, 10, 2)
        w = np.concatenate([_limb_weights(conf, left), _limb_weights(conf, right)], axis=1)  # (T, 10)
        if flow is not None and config.motion != "none":
            moved, flow_conf = flow.sample(torch.as_tensor(q[:-1], dtype=torch.float32))
            carried = q[:-1] + moved.numpy().astype(np.float64)
            weight = flow_conf.numpy() * w[:-1] * w[1:]
        else:
            carried, weight = q[:-1], w[:-1] * w[1:]
        exchanged = np.concatenate([q[1:, 5:], q[1:, :5]], axis=1)
        rho = lambda e: np.minimum(np.linalg.norm(e, axis=-1), tau) / tau  # noqa: E731
        same = (weight * rho(q[1:] - carried)).sum(1)
        cross = (weight * rho(exchanged - carried)).sum(1)
        out[:, c] = _viterbi(same, cross, config.prior).astype(bool)
    return out


def relabel(poses: PoseSequence, swapped: np.ndarray) -> PoseSequence:
    """Exchange the left and right limbs of the flagged frames, in 3D, 2D and confidences.

    Args:
        poses: H36M-17 poses.
        swapped: (T, 2) bool from :func:`detect_swaps`.
    """
    j3 = poses.joints3d.copy()
    j2 = None if poses.joints2d is None else poses.joints2d.copy()
    cf = None if poses.conf is None else poses.conf.copy()
    for c, (left, right) in enumerate(H36M17_LIMB_PAIRS.values()):
        t = np.flatnonzero(swapped[:, c])
        if not t.size:
            continue
        src, dst = list(right) + list(left), list(left) + list(right)
        for arr in (a for a in (j3, j2, cf) if a is not None):
            arr[np.ix_(t, dst)] = arr[np.ix_(t, src)]
    return replace(poses, joints3d=j3, joints2d=j2, conf=cf)


def describe_swaps(swapped: np.ndarray, first_frame: int = 0, max_runs: int = 6) -> str | None:
    """One line for the user saying which frames were relabelled, or None when none were.

    Args:
        swapped: (T, 2) bool from :func:`detect_swaps`, column 0 the legs and 1 the arms.
        first_frame: the video's frame number of row 0 (``flowpose refine --start``).
        max_runs: runs of frames listed per limb pair before the rest are counted.

    Returns:
        e.g. ``"left/right swaps repaired before refinement: legs in 8 frames (20-27); arms in 4 frames (3-5, 40)"``.
    """
    parts = []
    for c, name in enumerate(H36M17_LIMB_PAIRS):
        count = int(swapped[:, c].sum())
        if count:
            shown = runs_text(swapped[:, c], first_frame, max_runs)
            parts.append(f"{name} in {count} frame{'s' if count != 1 else ''} ({shown})")
    return "left/right swaps repaired before refinement: " + "; ".join(parts) if parts else None


def repair_swaps(poses: PoseSequence, flow: FlowField | None, config: SwapConfig = SwapConfig()) -> SwapRepair:
    """Detect swapped limbs (:func:`detect_swaps`) and relabel them (:func:`relabel`)."""
    swapped = detect_swaps(poses, flow, config)
    return SwapRepair(relabel(poses, swapped) if swapped.any() else poses, swapped)
