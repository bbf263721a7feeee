"""Import another detector's 2D keypoints: one person followed through the video, mapped to Human3.6M-17.

What ``flowpose import openpose DIR``, ``flowpose import coco FILE`` and ``flowpose import yolo DIR --video VIDEO``
do; the file they write is attached to a 3D pose file by ``flowpose refine --keypoints``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowpose.errors import InputError
from flowpose.io.keypoints2d import Keypoints2D, read_coco, read_openpose, save_keypoints
from flowpose.io.npz import read_npz
from flowpose.io.outdir import check_output_file
from flowpose.io.yolo_labels import LabelledVideo, read_yolo_labels
from flowpose.joint_map import confidence_to_h36m17, to_h36m17
from flowpose.people.detections import Detection
from flowpose.people.select import choose_track, track_keypoints
from flowpose.people.track import source_ids, track_people
from flowpose.skeleton import get_skeleton

KEYPOINT_FORMATS = ("openpose", "coco", "yolo")
"""The 2D formats of ``flowpose import``."""


@dataclass(frozen=True)
class Followed:
    """One person's keypoints from another detector's file.

    Attributes:
        keypoints: the person's H36M-17 keypoints.
        person: the person's id: the file's own (OpenPose ``person_id``, COCO ``track_id``) where ``own_ids``,
            else flowpose's track id (by prominence).
        tracks: how many people were followed through the file.
        own_ids: whether the file gave the identities.
    """

    keypoints: Keypoints2D
    person: int
    tracks: int
    own_ids: bool


def keypoints_of_person(
    detections: Sequence[Sequence[Detection]],
    skeleton: str,
    person: str | int = "prominent",
    image_size: tuple[int, int] | None = None,
    source: str = "the file",
) -> Followed:
    """Follow everyone (:func:`flowpose.people.track.track_people`), choose ``person``, map to H36M-17.

    Args:
        detections: per-frame detections in ``skeleton``'s layout.
        skeleton: the layout's skeleton name.
        person: see :func:`flowpose.people.select.choose_track`; an integer is the file's own identity where it
            gives them.
        image_size: (H, W) px; needed for ``person="center"``.
        source: the file the detections are of, for messages.

    Returns:
        The chosen person's keypoints and id (:class:`Followed`).

    Raises:
        InputError: when nobody is followed, or ``"center"`` without an image size.
    """
    flip = get_skeleton(skeleton).flip_permutation  # a detector may turn a person round: relabelled by the track
    tracks = track_people(detections, flip=flip)
    if not tracks:
        raise InputError(f"{source}: no person was followed through its {len(detections)} frames (no track of 3 or "
                         "more frames)")
    if person == "center" and image_size is None:
        raise InputError("--person center needs the image size: pass --video")
    ids = source_ids(tracks, detections)
    if ids is not None and isinstance(person, int):  # the file's own identity, as its user knows the person
        if person not in ids:
            raise InputError(f"--person {person}: {source} has the person ids {', '.join(map(str, sorted(ids)))}")
        track = tracks[ids.index(person)]
    else:
        track = choose_track(tracks, detections, person, image_size or (0, 0), where=source)
    kp, conf = track_keypoints(track, detections, len(detections), flip)
    joints2d = to_h36m17(kp, skeleton, missing="nan").astype(np.float32)
    conf17 = confidence_to_h36m17(conf, skeleton)
    conf17[~np.isfinite(joints2d).all(-1)] = 0.0
    chosen = track.id if ids is None else ids[track.id]
    return Followed(Keypoints2D(joints2d, conf17, skeleton), chosen, len(tracks), ids is not None)




def _is_keypoints_file(path: Path) -> bool:
    try:
        data = read_npz(path, "keypoints file", keys=("written_by", "kind"))
    except InputError:
        return False
    return str(data.get("written_by", "")) == "flowpose" and str(data.get("kind", "")) == "keypoints2d"


def import_keypoints(
    fmt: str,
    source: Path,
    out: Path,
    *,
    skeleton: str | None = None,
    person: str | int = "prominent",
    image_size: tuple[int, int] | None = None,
    video: LabelledVideo | None = None,
    overwrite: bool = False,
) -> list[str]:
    """Read ``source`` in ``fmt``, follow ``person``, write the keypoints file ``out``; returns lines for the user.

    ``video`` is the video the keypoints are of: ``yolo`` needs it (its labels are fractions of the frame's size and
    are named by the video's frames); the other formats do without.

    Raises:
        InputError: for an unknown format, a bad output or malformed input, or ``yolo`` without its video, before
            anything is written.
    """
    if fmt not in KEYPOINT_FORMATS:
        raise InputError(f"unknown keypoints format {fmt!r}; choose from {list(KEYPOINT_FORMATS)}")
    if out.suffix.lower() != ".npz":
        raise InputError(f"--out {out}: expected a keypoints file ending in .npz")
    if fmt == "yolo" and video is None:
        raise InputError("import yolo needs --video VIDEO, the video the labels are of: they give each keypoint as a "
                         "fraction of the frame's size and name the frames by the video's")
    check_output_file(out, overwrite=overwrite, is_ours=_is_keypoints_file, inputs=[source])
    if fmt == "openpose":
        detections, layout = read_openpose(source, skeleton)
    elif fmt == "yolo":
        detections, layout = read_yolo_labels(source, video, skeleton)
    else:
        detections, layout = read_coco(source)
    followed = keypoints_of_person(detections, layout, person, image_size, str(source))
    kp = followed.keypoints
    save_keypoints(kp, out)
    seen = int((kp.conf.max(-1) > 0).sum())
    own = " (the file's id)" if followed.own_ids else ""
    return [f"wrote {out}: person {followed.person}{own} of {followed.tracks} ({layout}), {kp.num_frames} frames, "
            f"found in {seen}"]
