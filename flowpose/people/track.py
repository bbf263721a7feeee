"""Follow every person through a video: per-frame detections linked into tracks that never swap people.

Frame by frame, each live track predicts where its keypoints are now (carried along the optical flow when a
``motion`` function is given, else at constant velocity), and tracks and detections are matched by the
Hungarian method on

    cost = w_iou (1 - IoU(predicted box, detection box)) + w_pose d,
    d = median_j |predicted_j - detected_j| / s    (joints seen in both; s = sqrt(area of the track's box))

A pair with d above ``max_pose_dist`` is never matched, whatever the boxes say: two people who cross have
overlapping boxes but different keypoints, and a person who is missed for a few frames is better left
unmatched (the track waits ``max_gap`` frames) than given to someone else. An unmatched detection starts a new
track.

Within a matched detection, each joint is judged on its own against a tighter gate (``agree_dist`` body sizes
from the prediction, never under ``noise_gate`` times the track's usual residual). A detector that fits one
body across two people (a "chimera": one person's head and shoulders, the other's hips and legs) is matched
by the joints it shares with the track, and its other joints are refused: they neither move the track nor
reach its output. A refused joint is carried at the body's velocity (along the flow where the detection saw
it), is left out of the matching cost once it has been refused ``STALE_FRAMES`` frames running, and comes back
within the wider ``reacquire_dist``. A joint that lies nearer another live track's prediction of the same joint
than its own track's can be refused too (``rivals``, off by default): where two people stand closer than the
gate, each image point then belongs to the person expected there. When every detection carries an identity
from its source (OpenPose ``person_id``, COCO ``track_id``), those identities are used as they are.

A detector may exchange a person's left and right from one frame to the next (MediaPipe does when it takes a
body that faces the camera for one that faces away). Given the layout's left-right permutation (``flip``), each
detection is also compared with its sides exchanged, and matched that way when it lies nearer the track and as
near as the agreement gate (``turn_dist``): the person does not become a new track when the detector turns them
round. The track holds its keypoints in its own labelling, the one most of its frames give; in the other frames
(``Track.turned``) the detector's labels contradict the frames around them, and :meth:`Track.trusted` relabels
those detections (or, without ``flip``, leaves them out). MediaPipe's 3D of such a frame is a body turned round,
wrong even relabelled, which :meth:`flowpose.estimate.people.PeopleInVideo.poses` replaces (real clip, the man in
two views: 26 and 28 such frames, root-relative error median 367 and 286 mm, 239 and 251 relabelled, against 85
and 146 mm in his other frames). A track born on a body fitted across two people can take that body's labels for
the person's, and call frames turned that the detector labelled right (the woman in one real view, undistorted: 21
frames called turned, 18 of the 19 scored right as labelled). Both: benchmarks/RESULTS.md, sixtieth session.

Tracks are numbered by prominence, 0 the most prominent: the sum over their frames of box area times mean
keypoint confidence (big, sure and long-lived).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from flowpose.errors import InputError, check_fields
from flowpose.people.detections import Box, Detection, box_area, box_iou, keypoint_box
from flowpose.reprs import short_repr

Motion = Callable[[int, np.ndarray], np.ndarray]
"""``motion(t, points)``: (N, 2) pixels in frame t -> where the optical flow carries them in frame t + 1."""

_FORBIDDEN = 1e6
STALE_FRAMES = 3
"""A joint the detections have put elsewhere this many frames running no longer counts in the matching cost:
where the track holds it is stale, and would break the track apart."""
RESIDUAL_MEMORY = 0.8
"""Weight of the past in a track's running residual (an exponential mean over about five frames)."""


@dataclass(frozen=True)
class TrackConfig:
    """How detections are linked."""

    min_conf: float = 0.3
    """Keypoints below this confidence are ignored for boxes and distances."""
    w_iou: float = 1.0
    """Weight of the box-overlap cost."""
    w_pose: float = 2.0
    """Weight of the keypoint-distance cost (distances in body sizes)."""
    max_pose_dist: float = 0.3
    """Largest median keypoint distance, in body sizes (sqrt of box area), at which a match is allowed."""
    turn_dist: float = 0.08
    """Largest median keypoint distance, in body sizes, at which a detection is matched with its left and right
    exchanged (``track_people``'s ``flip``): as close as ``agree_dist``, so that at least half its joints agree. A
    detector that turns a person round gives the same points under the other labels (real clip: 0.006-0.046 body
    sizes where its own labels lay 0.22 or more away); the looser ``max_pose_dist`` let a body's upper half pass for
    the person turned with not one joint agreeing, and that frame then went unsearched (benchmarks/RESULTS.md,
    sixtieth session)."""
    agree_dist: float = 0.08
    """A matched detection's joints farther than this from the prediction, in body sizes, or than
    ``noise_gate`` times the track's usual residual, whichever is larger, do not move the track and are dropped
    from its output: a detector's chimera of two people moves only the joints that agree."""
    reacquire_dist: float = 0.15
    """A joint refused in the frame before comes back when it lies this close to where the track holds it,
    in body sizes: a wider gate than ``agree_dist`` (hysteresis), so that a detector whose joint shifted for
    good (a hip estimated a little elsewhere once the pose changed) is not refused for the rest of the video,
    while another person's joint, usually farther, still is."""
    noise_gate: float = 3.0
    """The agreement gate's floor, in multiples of the track's usual residual (a running mean of the median
    distance between its agreeing joints and their prediction, px): a small or noisily detected person is not
    cut to pieces by a gate tighter than its detector's noise."""
    rivals: bool = False
    """Refuse a matched detection's joint that lies nearer another live track's prediction of the same joint
    than its own track's (each image point belongs to the person who is expected there), besides the gates.
    Off by default: on the real multi-person clip it leaves fewer foreign keypoints (cam03: 6 instead of 9 in the
    eighth session; 10 instead of 17 against the rebuilt reference of the thirteenth) and refined the balancing
    man worse (benchmarks/RESULTS.md, eighth session; not measured again since)."""
    max_gap: int = 30
    """Frames a track may go unseen before it ends (half a second at 60 fps). 15 split the woman of the real
    multi-person clip's cam04 in two tracks, at the 15 frames she is hidden behind the man (benchmarks/RESULTS.md,
    thirteenth session)."""
    min_length: int = 3
    """Tracks seen in fewer frames are dropped (spurious detections); in a video of fewer frames, those not seen
    in every one."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            {
                "min_conf": 0 <= self.min_conf <= 1,
                "w_iou": self.w_iou >= 0,
                "w_pose": self.w_pose >= 0,
                "max_pose_dist": self.max_pose_dist > 0,
                "turn_dist": self.turn_dist > 0,
                "agree_dist": self.agree_dist > 0,
                "reacquire_dist": self.reacquire_dist >= self.agree_dist,
                "noise_gate": self.noise_gate > 0,
                "max_gap": self.max_gap >= 1,
                "min_length": self.min_length >= 1,
            },
        )


@dataclass(frozen=True)
class Track:
    """One person through the video.

    Attributes:
        id: rank by prominence, 0 the most prominent.
        frames: (n,) frame indices where the person was detected, increasing.
        members: (n,) index of the person's detection in each of those frames' lists.
        prominence: sum over its frames of box area (px^2) times mean keypoint confidence.
        agree: (n, J) bool: the detection's joints that agreed with the track's prediction (within
            ``max_pose_dist`` body sizes); the others belong to somebody else or are wrong, and
            :meth:`trusted` drops them.
        turned: (n,) bool: the detection gave the person with left and right exchanged against the labelling of
            most of the track's frames (``track_people``'s ``flip``; module docstring), which :meth:`trusted`
            relabels. ``agree`` is in the detection's own labelling all the same.
        state: (n, J, 2) px: where the track holds each joint in each of its frames (the agreeing detected
            joints, the others carried at the body's velocity): a whole-body estimate, for boxes.
    """

    id: int
    frames: np.ndarray
    members: np.ndarray
    prominence: float
    agree: np.ndarray
    state: np.ndarray
    turned: np.ndarray

    __repr__ = short_repr

    def boxes(self) -> list[Box | None]:
        """The box of :attr:`state` in each of the track's frames."""
        return [keypoint_box(k, np.isfinite(k).all(-1)) for k in self.state]

    def detections(self, detections: Sequence[Sequence[Detection]]) -> list[Detection]:
        """The track's detections, one per frame of :attr:`frames`."""
        return [detections[t][m] for t, m in zip(self.frames, self.members)]

    def trusted(self, detections: Sequence[Sequence[Detection]], flip: np.ndarray | None = None) -> list[Detection]:
        """The track's detections with the joints that disagreed with the track at confidence 0 and NaN. A turned
        frame's detection (:attr:`turned`) is relabelled by ``flip`` (the layout's left-right permutation) as the
        track labels the person, or without it left out whole (every joint NaN)."""
        out = []
        for det, ok, turned in zip(self.detections(detections), self.agree, self.turned):
            keypoints, conf = det.keypoints, det.conf
            if turned and flip is None:
                ok = np.zeros_like(ok)
            elif turned:
                keypoints, conf, ok = keypoints[flip], conf[flip], ok[flip]
            out.append(
                Detection(
                    np.where(ok[:, None], keypoints, np.nan).astype(det.keypoints.dtype),
                    np.where(ok, conf, 0.0).astype(det.conf.dtype),
                    det.source_id,
                    det.payload,
                )
            )
        return out


@dataclass
class _Live:
    frames: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    keypoints: np.ndarray | None = None  # (J, 2): each joint where it last agreed, moved on since (_append)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # px per frame, the body's median motion
    agree: list[np.ndarray] = field(default_factory=list)  # (J,) bool per member, in the detection's labelling
    turned: list[bool] = field(default_factory=list)  # per member: matched with its sides exchanged
    states: list[np.ndarray] = field(default_factory=list)  # (J, 2) per member
    refused: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (J,) frames each joint was refused
    residual: float | None = None  # px: running mean of the agreeing joints' median distance to the prediction


def _predict(track: _Live, t: int, motion: Motion | None) -> np.ndarray:
    """(J, 2) where the track's keypoints should be in frame t."""
    last, t_last = track.keypoints, track.frames[-1]
    if motion is not None and t_last == t - 1:
        moved = last.copy()
        ok = np.isfinite(last).all(-1)
        if ok.any():
            moved[ok] = motion(t_last, last[ok])
        return moved
    return last + track.velocity * (t - t_last)


def _cost(predicted: np.ndarray, fresh: np.ndarray, det: Detection, config: TrackConfig, gate: float) -> float:
    seen_pred = np.isfinite(predicted).all(-1)
    vis = det.visible(config.min_conf)
    both = seen_pred & vis & fresh if (seen_pred & vis & fresh).sum() >= 2 else seen_pred & vis
    pred_box, det_box = keypoint_box(predicted, seen_pred), det.box(config.min_conf)
    if not both.any() or pred_box is None or det_box is None:
        return _FORBIDDEN
    scale = np.sqrt(max(box_area(pred_box), 1.0))
    d = float(np.median(np.linalg.norm(predicted[both] - det.keypoints[both], axis=-1))) / scale
    if d > gate:
        return _FORBIDDEN
    return config.w_iou * (1.0 - box_iou(pred_box, det_box)) + config.w_pose * d


def _exchanged(det: Detection, flip: np.ndarray) -> Detection:
    """The detection with its left and right exchanged (``flip``: the layout's left-right permutation)."""
    return Detection(det.keypoints[flip], det.conf[flip], det.source_id, det.payload)


def _link(
    detections: Sequence[Sequence[Detection]], config: TrackConfig, motion: Motion | None, flip: np.ndarray | None
) -> list[_Live]:
    live: list[_Live] = []
    ended: list[_Live] = []
    turn_gate = min(config.max_pose_dist, config.turn_dist)
    for t, dets in enumerate(detections):
        still = []
        for tr in live:
            (still if t - tr.frames[-1] <= config.max_gap else ended).append(tr)
        live = still
        cost = np.full((len(live), len(dets)), _FORBIDDEN)
        turned = np.zeros((len(live), len(dets)), bool)  # matched with the detection's sides exchanged
        exchanged = [_exchanged(det, flip) for det in dets] if flip is not None else []
        predictions = [_predict(tr, t, motion) for tr in live]
        for i, predicted in enumerate(predictions):
            fresh = live[i].refused < STALE_FRAMES
            for j, det in enumerate(dets):
                cost[i, j] = _cost(predicted, fresh, det, config, config.max_pose_dist)
                if exchanged and (other := _cost(predicted, fresh, exchanged[j], config, turn_gate)) < cost[i, j]:
                    cost[i, j], turned[i, j] = other, True
        matched: set[int] = set()
        # Each track's prediction of its fresh joints, fixed before any track takes this frame's detection.
        held = [np.where((tr.refused < STALE_FRAMES)[:, None], p, np.nan) for tr, p in zip(live, predictions)] \
            if config.rivals else None
        if cost.size:
            rows, cols = linear_sum_assignment(cost)
            for i, j in zip(rows, cols):
                if cost[i, j] < _FORBIDDEN:
                    rivals = _others(held, i) if held is not None else None
                    _append(live[i], t, j, exchanged[j] if turned[i, j] else dets[j], config, predictions[i], rivals)
                    if turned[i, j]:  # the agreement back in the detection's labelling (flip is its own inverse)
                        live[i].agree[-1], live[i].turned[-1] = live[i].agree[-1][flip], True
                    matched.add(j)
        for j, det in enumerate(dets):
            if j not in matched and det.box(config.min_conf) is not None:
                tr = _Live()
                _append(tr, t, j, det, config)
                live.append(tr)
    return ended + live


def _others(held: list[np.ndarray], i: int) -> np.ndarray | None:
    """(R, J, 2) the other live tracks' predicted keypoints (``held``, NaN where stale) than track i; None if none."""
    others = [p for k, p in enumerate(held) if k != i]
    return np.stack(others) if others else None


def _append(
    track: _Live,
    t: int,
    member: int,
    det: Detection,
    config: TrackConfig,
    predicted: np.ndarray | None = None,
    rivals: np.ndarray | None = None,
) -> None:
    seen = det.visible(config.min_conf)
    if track.keypoints is None:
        track.keypoints = np.where(seen[:, None], det.keypoints, np.nan)
        track.refused = np.zeros(seen.shape, int)
        agree = np.ones(seen.shape, bool)
    else:
        dt = t - track.frames[-1]
        carried = track.keypoints + track.velocity * dt
        reference = carried if predicted is None else predicted
        box = keypoint_box(reference, np.isfinite(reference).all(-1))
        scale = np.sqrt(max(box_area(box), 1.0)) if box is not None else np.inf
        dist = np.linalg.norm(det.keypoints - reference, axis=-1)
        if track.residual is None:  # no residual known yet: the matching gate
            gate = config.max_pose_dist * scale
        else:
            gate = max(config.agree_dist * scale, config.noise_gate * track.residual)
        gate = np.where(track.refused > 0, np.maximum(gate, config.reacquire_dist * scale), gate)
        agree = seen & np.isfinite(dist) & (dist <= gate)
        if rivals is not None:  # nearer somebody else's prediction of the same joint: theirs
            rival = np.linalg.norm(det.keypoints[None] - rivals, axis=-1)
            agree &= ~(np.nan_to_num(rival, nan=np.inf) < dist).any(0)
        if agree.any():
            now = float(np.median(dist[agree]))
            track.residual = now if track.residual is None else RESIDUAL_MEMORY * track.residual + (1 - RESIDUAL_MEMORY) * now
        common = agree & np.isfinite(track.keypoints).all(-1)
        if common.sum() >= 2:  # the body's motion since the last sighting, robust to a few bad joints
            track.velocity = np.median(det.keypoints[common] - track.keypoints[common], axis=0) / dt
        track.keypoints = np.where(agree[:, None], det.keypoints, np.where(seen[:, None], reference, carried))
        track.refused = np.where(agree, 0, track.refused + (seen & ~agree))
    track.frames.append(t)
    track.members.append(member)
    track.agree.append(agree | ~seen)  # unseen joints are not contradicted: their confidence says the rest
    track.turned.append(False)
    track.states.append(track.keypoints.copy())


def _by_source_id(detections: Sequence[Sequence[Detection]]) -> list[_Live]:
    groups: dict[int, _Live] = {}
    for t, dets in enumerate(detections):
        for j, det in enumerate(dets):
            tr = groups.setdefault(int(det.source_id), _Live())
            if tr.frames and tr.frames[-1] == t:
                raise InputError(f"frame {t}: two detections carry the same person id {det.source_id}")
            tr.frames.append(t)
            tr.members.append(j)
            tr.agree.append(np.ones(det.conf.shape, bool))
            tr.turned.append(False)
            tr.states.append(det.keypoints)
    return list(groups.values())


def track_people(
    detections: Sequence[Sequence[Detection]],
    config: TrackConfig = TrackConfig(),
    motion: Motion | None = None,
    flip: np.ndarray | None = None,
) -> list[Track]:
    """Link per-frame detections into tracks (module docstring).

    Args:
        detections: for each of T frames, the people found in it (any order).
        config: linking settings.
        motion: carries points along the optical flow from frame t to t + 1, or None (constant velocity).
        flip: (J,) the detections' left-right permutation (:attr:`flowpose.skeleton.Skeleton.flip_permutation`):
            each detection is matched in its own labelling or with its sides exchanged (module docstring);
            None: in its own only.

    Returns:
        The tracks seen in at least ``config.min_length`` frames (every frame of a shorter video), by prominence (``tracks[0]`` the most
        prominent; ``track.id`` is its index).
    """
    every = [d for dets in detections for d in dets]
    use_ids = bool(every) and all(d.source_id is not None for d in every)
    linked = _by_source_id(detections) if use_ids else _link(detections, config, motion, flip)
    scored = []
    for tr in linked:
        dets = [detections[t][m] for t, m in zip(tr.frames, tr.members)]
        prominence = sum(box_area(d.box(config.min_conf) or (0, 0, 0, 0)) * d.score(config.min_conf) for d in dets)
        scored.append((prominence, tr))
    scored.sort(key=lambda pair: -pair[0])
    tracks = [
        Track(
            id=k,
            frames=np.asarray(tr.frames),
            members=np.asarray(tr.members),
            prominence=float(p),
            agree=np.asarray(tr.agree, bool),
            state=np.asarray(tr.states, np.float32),
            turned=_most_frames_right(tr.turned),
        )
        for k, (p, tr) in enumerate(scored)
    ]
    return long_enough(tracks, config.min_length, len(detections))[0]


def _most_frames_right(turned: list[bool]) -> np.ndarray:
    """(n,) bool: the frames whose labelling differs from that of most of the track's frames (ties: the first's)."""
    out = np.asarray(turned, bool)
    return ~out if 2 * out.sum() > len(out) else out


def long_enough(tracks: Sequence[Track], min_frames: int, num_frames: int) -> tuple[list[Track], list[Track]]:
    """Split tracks into those detected in at least ``min_frames`` of a video's ``num_frames`` frames (in a
    shorter video: in every frame) and the others.

    Args:
        tracks: by prominence, ``tracks[k].id == k`` (:func:`track_people`).
        min_frames: fewest frames a kept track was detected in, >= 1.
        num_frames: the video's frames, T.

    Returns:
        The kept tracks, in the same order, numbered again from 0; the others as they were.
    """
    shortest = min(min_frames, num_frames)
    kept = [tr for tr in tracks if len(tr.frames) >= shortest]
    return [replace(tr, id=k) for k, tr in enumerate(kept)], [tr for tr in tracks if len(tr.frames) < shortest]


def source_ids(tracks: Sequence[Track], detections: Sequence[Sequence[Detection]]) -> list[int] | None:
    """Each track's identity in its source (OpenPose ``person_id``, COCO ``track_id``), as :func:`track_people`
    linked them; None when the tracks' detections carry none (flowpose linked them itself).

    Args:
        tracks: from :func:`track_people` on ``detections``.
        detections: per frame, the detections the tracks index.
    """
    ids = [detections[tr.frames[0]][tr.members[0]].source_id for tr in tracks]
    return None if any(i is None for i in ids) else [int(i) for i in ids]
