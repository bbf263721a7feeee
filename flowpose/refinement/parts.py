"""A long video refined in overlapping parts, one after another, and joined (``RefineConfig.part_frames``).

Nearly all of a refinement's memory grows with the video's length (:mod:`flowpose.refinement.memory`), so a video
too long for the machine is refined in parts of at most L = ``part_frames`` frames. The T frames are cut into
n = ceil(T / (L - O)) runs of nearly equal length (O = ``part_overlap``); part i refines its own run and the
frames within O/2 of each of its cuts, at most L frames. Across the O frames about a cut c, t in [c - ⌊O/2⌋,
c - ⌊O/2⌋ + O), the joints pass linearly from one part's to the next's,

    X_t = (1 - w_t) X_t^(i) + w_t X_t^(i+1),    w_t = (t - (c - ⌊O/2⌋) + 1/2) / O,

so no joint jumps where two parts meet. A part is not refined as if it were the whole video: what the whole video
would tell it comes in three ways. (1) The frames it shares with the previous part hold that part's refined joints
as observations of confidence 1, so the body carries its place and size across the cut (without them a part in
which the person is barely seen made its own body: a man hidden for most of a real part came out with thighs of
0.96 m). (2) A joint a part never observes starts where the whole video's refinement would start it (:func:`video_filled`),
not tied to its parent. (3) The pose stage's pixel terms are weighed for the person's size over the whole video
(:func:`~flowpose.refinement.loop.person_scale`), not the part's. Each part has its own crops, flow, flow noise and
swap repair; a fine-tuned network starts from the same weights in every part. What else a frame or a pair has (2D
keypoints, confidences, relabelled swaps, the flow) is from the part that owns it.

One body. L_bone holds each part's bone lengths constant about the part's own mean, and the parts' means differ
(by 4.5 mm on average on the real set, and the joined bones then vary over the video by 10 mm in std where the whole
video's vary by 0.7). So the joined joints are given one skeleton (:func:`one_body`): in every frame each bone takes
its median length over the video, along the direction the joining gave it, laid from the pelvis, which stays, out to
the limbs' ends,

    X'_root = X_root,    X'_j = X'_p(j) + median_t |X_t,j - X_t,p(j)| (X_j - X_p(j)) / |X_j - X_p(j)|.

Nothing is refitted after: the bones keep the directions the parts gave them, and the limbs' ends move by the sum of
their bones' changes (a few millimetres). On the real set (held out, 4 parts of 45 frames) MPJPE / PA-MPJPE fall from
116.5 / 76.1 mm joined as they were to 115.7 / 73.8 (whole: 114.1 / 72.8), most of it a man hidden through a part, and
the projections stay as far from the reference's; on long synthetic clips with true ground truth PA-MPJPE rises by 2%.
Two other layings were tried: with the least displacement of the joints (real set 116.5 / 75.6; on the synthetic clips
PA-MPJPE 1% under the joined), and along the rays of the joined joints' pixels (real set 121.0 / 77.7). Holding each
part's bones to the parts' before it, in the pose stage, cost 3.5% MPJPE (``benchmarks/RESULTS.md``, forty-ninth and
fiftieth sessions).

The memory is one part's refinement and, where the flow is kept (``keep_flow``; the CLI keeps it only to draw
``--viz``), the joined flow: one flow field's worth per pair of the whole video, the result's ``flow``. The history is
the whole video's: each cycle's pose figures (accel, bone std, and with ground truth MPJPE, PA-MPJPE, accel error,
swapped frames) are of the joined joints; the flow residual and the EPEs add their sums and counts over each part's own
pairs (the residual read at that part's joints, before joining); flow noise and the losses are the parts' means
weighted by their own frames; the seconds add up.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from torch import nn

from flowpose.config import RefineConfig
from flowpose.coverage import unseen_joints
from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.io.groundtruth import GroundTruth
from flowpose.io.video import VideoReader
from flowpose.pose import PoseSequence
from flowpose.refinement.evaluate import (
    FlowErrors,
    flow_residual_total,
    pose_metrics,
    pose_motion_stats,
    ratio,
)
from flowpose.refinement.loop import person_scale, run_refinement
from flowpose.refinement.objective import fill_missing_joints
from flowpose.refinement.result import CycleRecord, RefineResult


@dataclass(frozen=True)
class Part:
    """One part of a video: frames ``[start, stop)`` refined together, of which it owns ``[own_start, own_stop)``.

    Attributes:
        start, stop: the frames refined, video indices.
        own_start, own_stop: the frames whose 2D, confidences and swaps, and whose pairs' flow, are this part's.
    """

    start: int
    stop: int
    own_start: int
    own_stop: int


def plan_parts(num_frames: int, part_frames: int, overlap: int) -> list[Part]:
    """Cut T frames into parts of at most ``part_frames`` frames that share ``overlap`` frames about each cut
    (module docstring); one part, the whole video, where it is no longer than ``part_frames``.

    Raises:
        InputError: for ``part_frames`` under 3 x ``overlap`` or ``overlap`` under 2 (each part must own at least
            ``overlap`` frames, so the two overlaps of a part do not meet).

    Example:
        >>> [(p.start, p.stop) for p in plan_parts(250, 100, 20)]
        [(0, 72), (52, 135), (115, 198), (178, 250)]
    """
    if overlap < 2 or part_frames < 3 * overlap:
        raise InputError(f"parts need an overlap >= 2 frames and at least 3 x the overlap frames each, got parts of "
                         f"{part_frames} frames with an overlap of {overlap}")
    T = num_frames
    if T <= part_frames:
        return [Part(0, T, 0, T)]
    n = -(-T // (part_frames - overlap))
    cuts = [round(i * T / n) for i in range(n + 1)]
    half = overlap // 2
    return [
        Part(0 if i == 0 else cuts[i] - half, T if i == n - 1 else cuts[i + 1] - half + overlap, cuts[i], cuts[i + 1])
        for i in range(n)
    ]


def parts_note(num_frames: int, config: RefineConfig, first_frame: int = 0) -> str | None:
    """What a user is told of a refinement in parts: how many, and their frames (video indices from
    ``first_frame``); None for a video refined whole.

    Example:
        >>> parts_note(250, RefineConfig(part_frames=100, part_overlap=20))
        'refined in 4 parts of up to 100 frames, sharing 20 where they meet: frames 0-71, 52-134, 115-197, 178-249'
    """
    if config.part_frames is None or num_frames <= config.part_frames:
        return None
    parts = plan_parts(num_frames, config.part_frames, config.part_overlap)
    spans = [f"{first_frame + p.start}-{first_frame + p.stop - 1}" for p in parts]
    shown = ", ".join(spans if len(spans) <= 6 else spans[:3] + ["..."] + spans[-2:])
    return (f"refined in {len(parts)} parts of up to {config.part_frames} frames, sharing {config.part_overlap} where "
            f"they meet: frames {shown}")


def used_parts_note(num_frames: int, config: RefineConfig, part_frames: int | None, first_frame: int = 0) -> str | None:
    """:func:`parts_note` of the parts a refinement used, ``part_frames`` (what ``config.part_frames`` was, or what
    ``"auto"`` made of it), saying so where ``"auto"`` chose them."""
    note = parts_note(num_frames, replace(config, part_frames=part_frames), first_frame)
    if note is None or config.part_frames != "auto":
        return note
    return note + " (--part-frames auto: the longest parts the memory available holds)"


def part_weights(parts: Sequence[Part], overlap: int) -> list[np.ndarray]:
    """Each part's weight of its frames' joints in the joined video: (stop - start,) in [0, 1], 1 but across the
    overlaps about its cuts, where it ramps (module docstring); the weights of each frame add up to 1."""
    half = overlap // 2
    ramp = (np.arange(overlap) + 0.5) / overlap
    weights = []
    for i, part in enumerate(parts):
        w = np.ones(part.stop - part.start)
        if i > 0:  # the overlap about the cut at own_start: this part's share rises
            lo = part.own_start - half - part.start
            w[lo:lo + overlap] = ramp
        if i < len(parts) - 1:  # the overlap about the cut at own_stop: its share falls
            lo = part.own_stop - half - part.start
            w[lo:lo + overlap] = 1.0 - ramp
        weights.append(w)
    return weights


def join_joints(parts: Sequence[Part], joints: Sequence[np.ndarray], overlap: int) -> np.ndarray:
    """The parts' (stop - start, J, 3) joints joined into (T, J, 3), weighted by :func:`part_weights` (a joint one
    part lacks, NaN, is the other's; NaN where both lack it)."""
    T = parts[-1].stop
    total = np.zeros((T,) + joints[0].shape[1:])
    weight = np.zeros((T,) + joints[0].shape[1:-1] + (1,))
    for part, x, w in zip(parts, joints, part_weights(parts, overlap)):
        finite = np.isfinite(x).all(-1, keepdims=True)
        w = w.reshape((-1,) + (1,) * (x.ndim - 1)) * finite
        total[part.start:part.stop] += w * np.nan_to_num(x)
        weight[part.start:part.stop] += w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / weight, np.nan)


def one_body(joints: np.ndarray, parents: Sequence[int]) -> np.ndarray:
    """Joined joints given one skeleton: every bone its median length over the video, along its own direction in each
    frame, laid from the root (which stays where it is) outward (module docstring).

    Args:
        joints: (T, J, 3) metres, NaN where a joint is missing.
        parents: (J,) each joint's parent, -1 for the root; parents come before their children.

    Returns:
        (T, J, 3) float64 metres. Where a bone has no direction (a joint or its parent missing, or the two at one
        place) or no length (missing in every frame), the joint keeps its offset from its parent as joined.

    Raises:
        InputError: a joint's parent comes after it in ``parents``.
    """
    if any(p >= j for j, p in enumerate(parents)):
        raise InputError(f"one_body lays bones from the root out: each joint's parent must come before it, got parents "
                         f"{tuple(parents)}")
    X = np.asarray(joints, np.float64)
    Y = X.copy()
    for j, p in enumerate(parents):
        if p < 0:
            continue
        offset = X[:, j] - X[:, p]
        length = np.linalg.norm(offset, axis=-1, keepdims=True)
        if not np.isfinite(length).any():
            Y[:, j] = Y[:, p] + offset
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            laid = np.nanmedian(length) * offset / length
        Y[:, j] = Y[:, p] + np.where(np.isfinite(laid).all(-1, keepdims=True), laid, offset)
    return Y


def own_frames(parts: Sequence[Part], arrays: Sequence[np.ndarray]) -> np.ndarray:
    """The parts' per-frame arrays, (stop - start, ...), cut to the frames each owns and joined: (T, ...)."""
    return np.concatenate([a[p.own_start - p.start:p.own_stop - p.start] for p, a in zip(parts, arrays)])


def frames_of(frames: np.ndarray | VideoReader, start: int, stop: int) -> np.ndarray | VideoReader:
    """Frames ``[start, stop)`` of an array (a view) or a reader (decoded on demand)."""
    return frames.segment(start, stop) if isinstance(frames, VideoReader) else frames[start:stop]


class _PartFigures:
    """What the history of the joined video needs of each part's cycles (module docstring)."""

    def __init__(self, num_cycles: int, num_parts: int) -> None:
        self.joints: list[list[np.ndarray | None]] = [[None] * num_parts for _ in range(num_cycles)]
        self.totals: list[dict[str, list[float]]] = [{} for _ in range(num_cycles)]

    def observer(self, index: int, part: Part, gt: GroundTruth | None, initial: PoseSequence):
        """The ``observe`` of :func:`run_refinement` for part ``index`` (its ground truth ``gt``, or None); cycle 0
        is read at ``initial``, the part's initial poses as given (not held to the previous part's)."""
        a, b = part.own_start - part.start, part.own_stop - part.start
        pair_stop = min(b, part.stop - part.start - 1)  # the pairs starting at its own frames
        flow_errors = None if gt is None or pair_stop <= a else FlowErrors(gt.frames(a, pair_stop + 1), (a, pair_stop))

        def observe(cycle: int, poses: PoseSequence, flow: FlowField) -> None:
            poses = initial if cycle == 0 else poses
            self.joints[cycle][index] = np.array(poses.joints3d, np.float64)
            if pair_stop <= a:
                return
            totals = {"flow_residual": flow_residual_total(poses, flow, slice(a, pair_stop))}
            if flow_errors is not None:
                totals.update(flow_errors(flow))
            for name, (s, n) in totals.items():
                sums = self.totals[cycle].setdefault(name, [0.0, 0.0])
                sums[0] += s
                sums[1] += n

        return observe


def refine_in_parts(
    init: PoseSequence,
    frames: np.ndarray | VideoReader,
    models: Sequence[nn.Module],
    config: RefineConfig,
    *,
    gt: GroundTruth | None = None,
    device: str = "cpu",
    seed: int = 0,
    keep_flow_state: bool = False,
    keep_flow: bool = True,
    progress: bool = False,
) -> RefineResult:
    """:func:`~flowpose.refinement.loop.run_refinement` of a video in parts of at most ``config.part_frames``
    frames, each after the first held to the previous one's joints where they overlap (module docstring); the whole
    video at once where ``part_frames`` is None or not shorter than it.

    Args:
        init: the initial estimate (H36M-17 joints, camera frame), T frames, already validated against the video.
        frames: (T, H, W, 3) uint8 RGB frames or a reader of them.
        models: flow backends; fine-tuned in place, each part from the weights they have now.
        config: the refinement configuration.
        gt: ground truth of the T frames, or None.
        device: torch device.
        seed: seeds fine-tuning and optimisation (every part the same).
        keep_flow_state: return the last part's fine-tuned networks' state dicts.
        keep_flow: join the parts' flow into the whole video's (else the result's ``flow`` is None, and each part's
            flow is let go with the part).
        progress: show progress bars.

    Returns:
        The joined poses and flow (None unless ``keep_flow``) with the whole video's history; ``swapped`` joined from the frames each part
        owns.
    """
    T = init.num_frames
    if isinstance(config.part_frames, str):
        raise InputError(f"part_frames={config.part_frames!r} is made a number of frames by flowpose.refine, from the "
                         "memory available; refine_in_parts needs the number")
    if config.part_frames is None or T <= config.part_frames:
        result = run_refinement(init, frames, models, config, gt=gt, device=device, seed=seed,
                                keep_flow_state=keep_flow_state, progress=progress)
        return result if keep_flow else replace(result, flow=None)
    parts = plan_parts(T, config.part_frames, config.part_overlap)
    filled = video_filled(init)
    unseen = unseen_joints(init)
    scale = person_scale(init, tuple(np.asarray(frames[0]).shape[:2]), config)
    start_states = [copy.deepcopy(m.state_dict()) for m in models]
    figures = _PartFigures(config.cycles + 1, len(parts))
    results: list[RefineResult] = []
    joined: FlowField | None = None  # the whole video's flow, filled part by part
    for i, part in enumerate(parts):
        for model, state in zip(models, start_states):
            model.load_state_dict(state)
        part_gt = None if gt is None else gt.frames(part.start, part.stop)
        part_init = filled.slice(part.start, part.stop)
        if results:  # the frames it shares with the previous part: held to that part's refined joints
            previous = parts[i - 1]
            part_init = anchored(part_init, results[-1].poses.joints3d[part.start - previous.start:], unseen)
        result = run_refinement(
            part_init, frames_of(frames, part.start, part.stop), models, config, gt=part_gt,
            device=device, seed=seed, keep_flow_state=keep_flow_state and i == len(parts) - 1, progress=progress,
            observe=figures.observer(i, part, part_gt, init.slice(part.start, part.stop)), scale=scale,
        )
        if keep_flow:
            joined = _with_own_pairs(joined, result.flow, part, T)
        results.append(replace(result, flow=None))
        del result  # the part's flow goes before the next part makes its own
    poses = _joined_poses(init, parts, results, config.part_overlap)
    swapped = None
    if results[0].swapped is not None:
        swapped = own_frames(parts, [r.swapped for r in results])
    history = _joined_history(init, parts, results, figures, config, gt, swapped)
    return RefineResult(poses=poses, flow=joined, history=history, flow_state=results[-1].flow_state,
                        swapped=swapped, part_frames=config.part_frames)


def anchored(poses: PoseSequence, joints3d: np.ndarray, unseen: np.ndarray) -> PoseSequence:
    """A part's initial poses whose first frames are held to the previous part's refined joints.

    Args:
        poses: the part's initial poses, T frames.
        joints3d: (n, J, 3) metres, n <= T: the previous part's refined joints of the part's first n frames.
        unseen: (J,) bool, joints observed in no frame of the video (left as they are: tied to their placement).

    Returns:
        The poses with those joints as the first n frames' 3D, at confidence 1 (an observation's; their 2D there
        counts at 1 too).
    """
    n = len(joints3d)
    X = np.array(poses.joints3d)
    X[:n, ~unseen] = joints3d[:, ~unseen]
    conf = np.ones(X.shape[:2], np.float32) if poses.conf is None else np.array(poses.conf, np.float32)
    conf[:n, ~unseen] = 1.0
    return replace(poses, joints3d=X, conf=conf)


def video_filled(init: PoseSequence) -> PoseSequence:
    """The initial poses with each joint's missing 3D filled as the whole video's refinement fills it
    (:func:`~flowpose.refinement.objective.fill_missing_joints`: interpolated in time, held before and after), so a part
    in which a joint is never observed starts it where the whole video would, not tied to its parent as a joint of no
    frame is; joints of no frame of the video stay NaN (tied in every part). Where a joint has neither 3D nor 2D its
    confidence is 0 (as it was), so the filled 3D is a start, never a target; where it has 2D but no 3D the filled 3D
    is held at the joint's confidence (the whole video holds it at none: the one difference)."""
    X = np.asarray(init.joints3d)
    missing = ~np.isfinite(X).all(-1)
    if not missing.any():
        return init
    filled, _ = fill_missing_joints(X, init.skel.parents)
    filled = np.where(missing.all(0)[None, :, None], np.nan, filled).astype(X.dtype)
    conf = np.ones(missing.shape, np.float32) if init.conf is None else np.nan_to_num(init.conf, nan=0.0)
    has_2d = np.zeros_like(missing) if init.joints2d is None else np.isfinite(init.joints2d).all(-1)
    conf = np.where(missing & ~has_2d, 0.0, conf).astype(np.float32)
    return replace(init, joints3d=filled, conf=conf)


def _with_own_pairs(joined: FlowField | None, flow: FlowField, part: Part, num_frames: int) -> FlowField:
    """The whole video's flow (allocated at the first part) with the pairs ``part`` owns copied in from its ``flow``."""
    own_stop = min(part.own_stop, num_frames - 1)
    own = flow.pairs(part.own_start - part.start, own_stop - part.start)
    joined = _allocated(own, num_frames - 1) if joined is None else joined
    _write_pairs(joined, part.own_start, own)
    return joined


def _allocated(like: FlowField, num_pairs: int) -> FlowField:
    """An empty flow field of ``num_pairs`` pairs on ``like``'s grids (and backward flow where it has one)."""
    h, w = like.flow.shape[1:3]
    reverse = None if like.reverse is None else _allocated(like.reverse, num_pairs)
    return FlowField(np.zeros((num_pairs, h, w, 2), np.float32), np.zeros((num_pairs, h, w), np.float32),
                     np.zeros((num_pairs, 2), np.float32), np.ones(num_pairs, np.float32), like.image_size, reverse)


def _write_pairs(into: FlowField, start: int, pairs: FlowField) -> None:
    """Copy ``pairs`` into ``into``'s pairs from ``start`` on (grids checked: one video's parts share them)."""
    if pairs.flow.shape[1:3] != into.flow.shape[1:3]:
        raise InputError(f"a part's flow is on {pairs.flow.shape[1:3]} grids, the video's on {into.flow.shape[1:3]}: "
                         "the parts of a video share their grid size (FlowConfig.work_size)")
    stop = start + pairs.num_pairs
    into.flow[start:stop], into.confidence[start:stop] = pairs.flow, pairs.confidence
    into.origin[start:stop], into.scale[start:stop] = pairs.origin, pairs.scale
    if into.reverse is not None and pairs.reverse is not None:
        _write_pairs(into.reverse, start, pairs.reverse)


def _joined_poses(init: PoseSequence, parts: Sequence[Part], results: Sequence[RefineResult],
                  overlap: int) -> PoseSequence:
    joints3d = one_body(join_joints(parts, [r.poses.joints3d for r in results], overlap), init.skel.parents)
    joints2d = None if init.joints2d is None else own_frames(parts, [r.poses.joints2d for r in results])
    conf = None if init.conf is None else own_frames(parts, [r.poses.conf for r in results])
    return replace(init, joints3d=joints3d.astype(init.joints3d.dtype), joints2d=joints2d, conf=conf)


def _joined_history(
    init: PoseSequence,
    parts: Sequence[Part],
    results: Sequence[RefineResult],
    figures: _PartFigures,
    config: RefineConfig,
    gt: GroundTruth | None,
    swapped: np.ndarray | None,
) -> list[CycleRecord]:
    own = own_frame_counts(parts)
    history = []
    for k in range(config.cycles + 1):
        joints = join_joints(parts, figures.joints[k], config.part_overlap)
        joints = joints if k == 0 else one_body(joints, init.skel.parents)  # cycle 0: the estimate as given
        metrics = pose_motion_stats(joints, init.skeleton)
        metrics["flow_residual"] = ratio(tuple(figures.totals[k]["flow_residual"]))
        if gt is not None:
            metrics.update(pose_metrics(init.with_joints3d(joints.astype(init.joints3d.dtype)), gt))
            metrics.update({n: ratio(tuple(t)) for n, t in figures.totals[k].items() if n != "flow_residual"})
        records = [r.history[k] for r in results]
        if "flow_noise" in records[0].metrics:
            metrics["flow_noise"] = own_mean([r.metrics["flow_noise"] for r in records], own)
        if k == 0 and swapped is not None:
            metrics["swaps_repaired"] = float(swapped.sum())
        losses = {n: own_mean([r.losses.get(n, np.nan) for r in records], own) for n in records[0].losses}
        seconds = {n: float(sum(r.seconds.get(n, 0.0) for r in records)) for n in records[0].seconds}
        history.append(CycleRecord(k, losses=losses, seconds=seconds, metrics=metrics))
    return history


def own_frame_counts(parts: Sequence[Part]) -> np.ndarray:
    """(n,) float64: the frames each part owns."""
    return np.array([p.own_stop - p.own_start for p in parts], np.float64)


def own_mean(values: Sequence[float], own: np.ndarray) -> float:
    """The parts' figures' mean weighted by the frames each owns (``own``, :func:`own_frame_counts`), over those
    that have one (nan where none)."""
    v = np.asarray(values, np.float64)
    keep = np.isfinite(v)
    return float((v[keep] * own[keep]).sum() / own[keep].sum()) if keep.any() else float("nan")
