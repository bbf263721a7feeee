"""2D keypoints from other detectors: OpenPose JSON folders and COCO keypoint results, and flowpose's own
keypoints file, which ``flowpose refine --keypoints`` attaches to a 3D pose file.

Readers return per-frame :class:`~flowpose.people.detections.Detection` lists in the detector's own joint
layout; :func:`flowpose.app.import_keypoints.keypoints_of_person` follows one person through them and maps the
joints to Human3.6M-17 with confidences.

- OpenPose (``--write_json``): one ``*_keypoints.json`` per frame, in name order; each person's
  ``pose_keypoints_2d`` is ``[x, y, c] * J`` with J = 25 (BODY_25, or BODY_25B: say ``--skeleton
  openpose25b``) or 18 (COCO-18); Pose2Sim's and RTMPose's files in this format hold 26 (HALPE_26) or 133
  (COCO-WholeBody). A ``person_id`` other than -1 is used as the identity.
- COCO keypoint results (mmpose, RTMPose, HRNet, DCPose and most 2D detectors can write them): a JSON list of
  ``{"image_id", "keypoints": [x, y, v] * J, "score"}``, J = 17 (COCO), 26 (Halpe) or 133 (COCO-WholeBody),
  optionally ``"track_id"`` (then used as the identity). Integer image ids are frame numbers counted from the smallest; other ids are frames in sorted
  order. Confidence is the keypoint's third value (a score, or COCO's visibility 0/1/2 scaled to 0/0.5/1).
- The keypoints file (``.npz``): ``joints2d`` (T, 17, 2) px with NaN where missing, ``conf`` (T, 17),
  ``kind = "keypoints2d"``, ``source`` (the detector's layout) and ``written_by = "flowpose"``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.io.atomic import atomic_path
from flowpose.io.npz import read_npz
from flowpose.io.poses import WRITER, check_readable, read_json
from flowpose.people.detections import Detection
from flowpose.pose import PoseSequence
from flowpose.reprs import short_repr
from flowpose.skeleton import H36M17, get_skeleton

KIND = "keypoints2d"
"""The ``kind`` key of a keypoints file."""


@dataclass(frozen=True)
class Keypoints2D:
    """One person's 2D keypoints through a video, in Human3.6M-17.

    Attributes:
        joints2d: (T, 17, 2) float32 px, NaN where missing.
        conf: (T, 17) float32 in [0, 1], 0 where missing.
        source: the detector's joint layout (a skeleton name).
    """

    joints2d: np.ndarray
    conf: np.ndarray
    source: str

    __repr__ = short_repr

    def __post_init__(self) -> None:
        T = self.joints2d.shape[0]
        if self.joints2d.shape != (T, H36M17.num_joints, 2):
            raise ShapeError("joints2d", f"({T}, 17, 2)", self.joints2d.shape)
        if self.conf.shape != (T, H36M17.num_joints):
            raise ShapeError("conf", f"({T}, 17)", self.conf.shape)

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.joints2d.shape[0])


def save_keypoints(kp: Keypoints2D, path: str | os.PathLike[str]) -> None:
    """Write a keypoints file (``.npz``), atomically."""
    with atomic_path(path) as tmp:
        np.savez(tmp, joints2d=kp.joints2d, conf=kp.conf, kind=KIND, source=kp.source, written_by=WRITER)


def load_keypoints(path: str | os.PathLike[str]) -> Keypoints2D:
    """Read a keypoints file.

    Raises:
        InputError: naming the file, for a missing, unreadable or foreign file.
    """
    p = check_readable(path, (".npz",), "keypoints file (from flowpose import openpose|coco)")
    data = read_npz(p, "keypoints file")
    if str(data.get("kind", "")) != KIND:
        raise InputError(f"{p}: not a keypoints file (expected kind {KIND!r}; write one with flowpose import openpose|coco)")
    try:
        return Keypoints2D(
            np.asarray(data["joints2d"], np.float32), np.asarray(data["conf"], np.float32), str(data["source"])
        )
    except KeyError as e:
        raise InputError(f"{p}: missing key {e}") from None
    except ShapeError as e:
        raise InputError(f"{p}: {e}") from None


def _frame_number(path: Path) -> tuple[int, str]:
    numbers = re.findall(r"\d+", path.stem)
    return (int(numbers[-1]) if numbers else -1, path.name)


LAYOUT_BY_COUNT = {25: "openpose25", 18: "openpose18", 17: "coco17", 26: "halpe26", 133: "coco_wholebody133"}
"""The layout a detector's keypoint count means where none is named (BODY_25B, also 25, is named: ``--skeleton``)."""
COCO_LAYOUTS = ("coco17", "halpe26", "coco_wholebody133")
"""The layouts of COCO keypoint results."""


def _layout(J: int, skeleton: str | None, source: str) -> str:
    if skeleton is not None:
        if get_skeleton(skeleton).num_joints != J:
            raise InputError(f"{source}: {J} keypoints per person, but skeleton {skeleton!r} has "
                             f"{get_skeleton(skeleton).num_joints}")
        return skeleton
    guess = LAYOUT_BY_COUNT.get(J)
    if guess is None:
        raise InputError(f"{source}: {J} keypoints per person; expected 25 (BODY_25), 18 (COCO-18), 17 (COCO), "
                         "26 (Halpe) or 133 (COCO-WholeBody)")
    return guess


def _detection(values: object, source: str, source_id: int | None) -> Detection:
    try:
        a = np.asarray(values, np.float64).reshape(-1, 3)
    except (TypeError, ValueError):
        raise InputError(f"{source}: keypoints must be a flat list of x, y, confidence numbers") from None
    kp = a[:, :2].astype(np.float32)
    conf = np.clip(a[:, 2], 0.0, 1.0).astype(np.float32)
    kp[conf <= 0] = np.nan  # OpenPose and COCO write (0, 0, 0) for a joint not found
    return Detection(kp, conf, source_id=source_id)


def read_openpose(folder: str | os.PathLike[str], skeleton: str | None = None) -> tuple[list[list[Detection]], str]:
    """Read an OpenPose JSON folder (module docstring).

    Args:
        folder: the folder of per-frame ``*.json`` files.
        skeleton: the layout (``openpose25``, ``openpose25b``, ``openpose18``); None: from the joint count.

    Returns:
        Per-frame detections, and the layout's skeleton name.

    Raises:
        InputError: naming the folder or file, for a missing folder, no JSON files, or malformed content.
    """
    root = Path(folder)
    if not root.is_dir():
        what = "a file, not a folder" if root.exists() else "no such folder"
        raise InputError(f"{root}: {what} (expected OpenPose's --write_json output: a folder of per-frame .json)")
    files = sorted(root.glob("*.json"), key=_frame_number)
    if not files:
        raise InputError(f"{root}: no .json files (expected one OpenPose *_keypoints.json per frame)")
    frames: list[list[Detection]] = []
    layout = skeleton
    for f in files:
        doc = read_json(f, "OpenPose keypoints file")
        people = doc.get("people") if isinstance(doc, dict) else None
        if not isinstance(people, list):
            raise InputError(f"{f}: expected an object with a 'people' list (OpenPose --write_json)")
        dets = []
        for person in people:
            if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
                raise InputError(f"{f}: a person without 'pose_keypoints_2d'")
            pid = person.get("person_id", [-1])
            pid = pid[0] if isinstance(pid, list) and pid else pid
            det = _detection(person["pose_keypoints_2d"], str(f), int(pid) if isinstance(pid, int) and pid >= 0 else None)
            layout = _layout(det.keypoints.shape[0], layout, str(f))
            dets.append(det)
        frames.append(dets)
    return frames, layout or "openpose25"


def read_coco(path: str | os.PathLike[str]) -> tuple[list[list[Detection]], str]:
    """Read COCO keypoint results (module docstring).

    Returns:
        Per-frame detections, and their layout: ``"coco17"``, ``"halpe26"`` or ``"coco_wholebody133"``.

    Raises:
        InputError: naming the file, for malformed content or another keypoint count.
    """
    p = check_readable(path, (".json",), "COCO keypoint results file")
    doc = read_json(p, "COCO keypoint results file")
    if isinstance(doc, dict) and "annotations" in doc:
        doc = doc["annotations"]
    if not isinstance(doc, list) or not doc or not all(isinstance(d, dict) and "keypoints" in d for d in doc):
        raise InputError(f"{p}: expected a non-empty list of results with 'image_id' and 'keypoints'")
    ids = [d.get("image_id") for d in doc]
    if all(isinstance(i, int) for i in ids):
        first = min(ids)
        index = {i: i - first for i in ids}
    else:
        index = {i: k for k, i in enumerate(sorted({str(i) for i in ids}))}
        ids = [str(i) for i in ids]
    frames: list[list[Detection]] = [[] for _ in range(max(index.values()) + 1)]
    layout = None
    for d, i in zip(doc, ids):
        det = _detection(d["keypoints"], str(p), int(d["track_id"]) if isinstance(d.get("track_id"), int) else None)
        J = det.keypoints.shape[0]
        if layout is None and LAYOUT_BY_COUNT.get(J) not in COCO_LAYOUTS:
            raise InputError(f"{p}: image {i}: {J} keypoints, expected COCO's 17, Halpe's 26 or COCO-WholeBody's 133")
        layout = _layout(J, layout, f"{p}: image {i}")
        third = np.asarray(d["keypoints"][2::3], np.float64)
        if np.isin(third, (0, 1, 2)).all() and (third == 2).any():  # COCO visibility flags, not scores
            det = replace(det, conf=(third / 2.0).astype(np.float32))
        frames[index[i]].append(det)
    return frames, layout


KEYPOINT_MIXES = ("replace", "average")
"""How :func:`attach_keypoints` joins another detector's 2D with the poses' own (``refine --keypoints-mix``)."""


def attach_keypoints(poses: PoseSequence, kp: Keypoints2D, min_conf: float = 0.3, mix: str = "replace") -> PoseSequence:
    """The poses with ``kp`` as their 2D keypoints; keypoints below ``min_conf`` become missing.

    The pose stage's L_2D then follows this detector, not (``mix="replace"``) or not only (``"average"``) the 3D
    estimator's own 2D; the 3D terms keep the pose file's confidences.

    Args:
        poses: the initial poses, T frames.
        kp: another detector's keypoints, T frames.
        min_conf: keypoints below this confidence are missing.
        mix: ``"replace"``: ``kp``'s keypoints alone (a joint it lacks is unobserved in 2D); ``"average"``: the mean of
            the two where both have a joint, the one that has it elsewhere (poses without 2D of their own: as
            ``"replace"``). On the real set with YOLO11n-pose's 2D, averaged refines 4-10% better than replaced
            (MPJPE and PA-MPJPE), whichever detector made the reference; after ``estimate --looks 2`` 0.5-6% better,
            but worse than the looks' own 2D alone (``benchmarks/RESULTS.md``, fifty-first session).

    Raises:
        InputError: when the frame counts differ, or for an unknown ``mix``.
    """
    if mix not in KEYPOINT_MIXES:
        raise InputError(f"keypoints mix must be one of {list(KEYPOINT_MIXES)}, got {mix!r}")
    if kp.num_frames != poses.num_frames:
        raise InputError(f"keypoints: {kp.num_frames} frames, but the poses have {poses.num_frames}")
    theirs = confident_joints2d(kp, min_conf)
    if mix == "replace" or poses.joints2d is None:
        return replace(poses, joints2d=theirs)
    own = np.asarray(poses.joints2d, np.float32)
    has_theirs, has_own = np.isfinite(theirs).all(-1, keepdims=True), np.isfinite(own).all(-1, keepdims=True)
    mean = np.where(has_theirs & has_own, 0.5 * (theirs + own), np.where(has_theirs, theirs, own))
    return replace(poses, joints2d=mean.astype(np.float32))


def confident_joints2d(kp: Keypoints2D, min_conf: float = 0.3) -> np.ndarray:
    """(T, 17, 2) float32 px: the keypoints of confidence ``min_conf`` or more, NaN elsewhere."""
    return np.where((kp.conf >= min_conf)[..., None], kp.joints2d, np.nan).astype(np.float32)


def slice_keypoints(kp: Keypoints2D, start: int, stop: int) -> Keypoints2D:
    """Frames [start, stop) of ``kp``."""
    return Keypoints2D(kp.joints2d[start:stop], kp.conf[start:stop], kp.source)
