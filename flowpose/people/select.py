"""Choose a person (``--person``) and turn their track into per-frame keypoints."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from flowpose.errors import InputError
from flowpose.people.detections import Detection, box_area, box_centre
from flowpose.people.track import Track

PERSON_CHOICES = ("prominent", "largest", "center")
"""Named choices of ``--person``; an integer picks a track id (as drawn on ``people.png``)."""


def parse_person(text: str) -> str | int:
    """``--person`` as given: one of :data:`PERSON_CHOICES` or a track id >= 0.

    Raises:
        InputError: for anything else.
    """
    if text in PERSON_CHOICES:
        return text
    if text.isdigit():
        return int(text)
    raise InputError(f"--person must be one of {list(PERSON_CHOICES)} or a track id (0, 1, ...), got {text!r}")


PEOPLE_HINT = "the video (people.png of flowpose estimate --all-people shows who is which)"
"""What a video's tracks are, for messages: where the user sees them."""


def choose_track(
    tracks: Sequence[Track],
    detections: Sequence[Sequence[Detection]],
    person: str | int,
    image_size: tuple[int, int],
    min_conf: float = 0.3,
    where: str = "the video",
) -> Track:
    """The track ``person`` names.

    * ``"prominent"``: the most prominent over the whole video (track 0; the default).
    * ``"largest"``: the largest mean box.
    * ``"center"``: the mean box centre nearest the image centre.
    * an integer: that track id.

    Args:
        tracks: from :func:`flowpose.people.track.track_people`.
        detections: the detections they index.
        person: see above.
        image_size: (H, W) px.
        min_conf: keypoint confidence for boxes.
        where: what the tracks are of, for messages (``"the video (people.png of flowpose estimate --all-people
            shows who is which)"`` where the user can have that picture).

    Raises:
        InputError: with no track, or an id that does not exist.
    """
    if not tracks:
        raise InputError("no person was followed through the video (no track of 3 or more frames)")
    if isinstance(person, int):
        if not 0 <= person < len(tracks):
            raise InputError(f"--person {person}: {where} has tracks 0 to {len(tracks) - 1}")
        return tracks[person]
    if person == "prominent":
        return tracks[0]
    boxes = [[d.box(min_conf) for d in tr.trusted(detections)] for tr in tracks]
    if person == "largest":
        return tracks[int(np.argmax([np.mean([box_area(b) for b in bs if b is not None]) for bs in boxes]))]
    if person == "center":
        H, W = image_size
        centre = np.array([(W - 1) / 2, (H - 1) / 2])
        dist = [
            np.linalg.norm(np.mean([box_centre(b) for b in bs if b is not None], axis=0) - centre) for bs in boxes
        ]
        return tracks[int(np.argmin(dist))]
    raise InputError(f"--person must be one of {list(PERSON_CHOICES)} or a track id, got {person!r}")


def track_keypoints(
    track: Track, detections: Sequence[Sequence[Detection]], num_frames: int, flip: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The track's trusted keypoints in every frame (:meth:`Track.trusted`, its turned frames relabelled by the
    layout's left-right permutation ``flip``, or left out without it): NaN and confidence 0 where it was not
    detected.

    Returns:
        keypoints: (T, J, 2) px.
        conf: (T, J).
    """
    first = detections[track.frames[0]][track.members[0]]
    J = first.keypoints.shape[0]
    kp = np.full((num_frames, J, 2), np.nan, np.float32)
    conf = np.zeros((num_frames, J), np.float32)
    for t, det in zip(track.frames, track.trusted(detections, flip)):
        kp[t], conf[t] = det.keypoints, np.nan_to_num(det.conf)
    return kp, conf
