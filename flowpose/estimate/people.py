"""Every person in every frame with MediaPipe, followed through the video, and one of them chosen.

MediaPipe's pose solution finds one person per image. To find the others, each found person's box (padded
by ``MASK_PAD``) is painted over with the frame's mean colour and the frame is searched again, up to
``EstimateConfig.people`` times; a find that overlaps an earlier one (IoU above ``SAME_PERSON_IOU``) is the
same person's remains and ends the search. The detections are linked into tracks by
:func:`flowpose.people.track.track_people`, with the optical flow (OpenCV DIS at a quarter of the frame size)
carrying keypoints from frame to frame, so that identity comes from box overlap, pose similarity and flow.
Followed people missed in some frames are searched for again on crops (:func:`~flowpose.estimate.gaps.search_gaps`); with
``EstimateConfig.separate``, people who overlap are detected again apart (:mod:`flowpose.estimate.separate`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from tqdm import tqdm

from flowpose.errors import InputError
from flowpose.estimate.crops import SAME_PERSON_IOU, detection_of, landmarks_of, mean_colour, pose_options
from flowpose.estimate.gaps import search_gaps
from flowpose.estimate.mediapipe import EstimateConfig, poses_from_landmarks, require_mediapipe
from flowpose.estimate.native_log import mediapipe_quiet
from flowpose.joint_map import to_h36m17
from flowpose.people.carry import carry_keypoints, holes, interpolate_holes
from flowpose.people.detections import Detection, box_iou
from flowpose.people.select import PEOPLE_HINT, choose_track
from flowpose.people.track import Motion, Track, TrackConfig, long_enough, track_people
from flowpose.pose import PoseSequence
from flowpose.reprs import short_repr
from flowpose.skeleton import MEDIAPIPE33

MASK_PAD = 0.1
"""Padding of a found person's box, as a fraction of its size, before it is painted over."""
SIDES = MEDIAPIPE33.flip_permutation
"""MediaPipe's landmarks with left and right exchanged: the tracker matches a detection either way, for MediaPipe
turns a person round from one frame to the next (:func:`flowpose.people.track.track_people`)."""
FLOW_SCALE = 0.25
"""The DIS flow that carries keypoints between frames runs at this fraction of the frame size."""
ISOLATED_REFUSALS = 5
"""In a frame where the track refused at most this many of the 17 H36M joints, the refused joints keep their 3D
term (:meth:`PeopleInVideo.poses`): a detection that agrees with the track on most of the body is this person,
and its 3D skeleton is theirs, even where a 2D keypoint lies off. More refusals mean a chimera (part of the body
from somebody else), whose skeleton is mixed. Chosen on the real multi-person clip (benchmarks/RESULTS.md,
eighth session): 4 to 8 do about as well, 2 gives little, 17 (every refusal) does harm."""


def _paint_over(frame: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """A copy of an (H, W, 3) uint8 frame with the box, grown by :data:`MASK_PAD`, filled with the frame's mean colour."""
    H, W = frame.shape[:2]
    x0, y0, x1, y1 = box
    px, py = MASK_PAD * (x1 - x0), MASK_PAD * (y1 - y0)
    xa, ya = max(int(x0 - px), 0), max(int(y0 - py), 0)
    xb, yb = min(int(np.ceil(x1 + px)) + 1, W), min(int(np.ceil(y1 + py)) + 1, H)
    out = frame.copy()
    out[ya:yb, xa:xb] = mean_colour(frame)
    return out


def detect_people(
    frames: Sequence[np.ndarray], config: EstimateConfig = EstimateConfig(), *, progress: bool = False
) -> list[list[Detection]]:
    """Up to ``config.people`` people per frame (module docstring), as MediaPipe-33 detections.

    With ``config.tracking`` the first person of each frame comes from MediaPipe's video mode (which looks
    where the previous frame had its person), the others from single-image mode.

    Args:
        frames: T frames (H, W, 3) uint8 RGB.
        config: how many people, detection mode and threshold.
        progress: show a progress bar.

    Returns:
        For each frame, its detections; each one's ``payload`` is its :data:`~flowpose.estimate.crops.Landmarks`.

    Raises:
        InputError: when mediapipe is missing.
    """
    mp_pose = require_mediapipe()
    options = pose_options(config)
    out: list[list[Detection]] = []
    with mediapipe_quiet():
        with mp_pose.Pose(static_image_mode=True, **options) as single, mp_pose.Pose(
            static_image_mode=False, **options
        ) as video:
            for t in tqdm(range(len(frames)), disable=not progress, desc="people (mediapipe)", unit="frame"):
                image = np.ascontiguousarray(frames[t])
                found: list[Detection] = []
                for k in range(config.people):
                    det = (video if config.tracking and k == 0 else single).process(image)
                    landmarks = landmarks_of(det)
                    if landmarks is None:
                        break
                    d = detection_of(landmarks, image.shape[:2])
                    box = d.box(0.0)
                    if box is None or any(box_iou(box, f.box(0.0)) > SAME_PERSON_IOU for f in found):
                        break
                    found.append(d)
                    if k + 1 < config.people:
                        image = _paint_over(image, box)
                out.append(found)
    return out


def flow_motion(frames: Sequence[np.ndarray], backward: bool = False) -> Motion:
    """A :data:`~flowpose.people.track.Motion` from OpenCV DIS flow at ``FLOW_SCALE`` of the frame size,
    computed for a pair when first asked. ``backward``: ``motion(t, points)`` moves points of frame t+1 to
    frame t (the flow t+1 -> t)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    cache: dict[int, np.ndarray] = {}

    def small(t: int) -> np.ndarray:
        grey = cv2.cvtColor(np.ascontiguousarray(frames[t]), cv2.COLOR_RGB2GRAY)
        return cv2.resize(grey, None, fx=FLOW_SCALE, fy=FLOW_SCALE, interpolation=cv2.INTER_AREA)

    def motion(t: int, points: np.ndarray) -> np.ndarray:
        if t not in cache:
            cache.clear()  # pairs are asked for in order: keep one
            cache[t] = dis.calc(small(t + 1), small(t), None) if backward else dis.calc(small(t), small(t + 1), None)
        flow = cache[t]
        h, w = flow.shape[:2]
        xy = np.clip(np.round((points + 0.5) * FLOW_SCALE - 0.5).astype(int), 0, [w - 1, h - 1])
        return points + flow[xy[:, 1], xy[:, 0]] / FLOW_SCALE

    return motion


CARRIED_CONFIDENCE = 0.5
"""Confidence of a carried keypoint, as a fraction of its detection's (:mod:`flowpose.people.carry`)."""


@dataclass(frozen=True)
class PeopleInVideo:
    """Everyone MediaPipe found, followed through the video.

    Attributes:
        detections: per frame, the people found (MediaPipe-33 detections with landmarks as payload).
        tracks: by prominence (:func:`flowpose.people.track.track_people`).
        image_size: (H, W) px.
        fps: frames per second.
        left_out: the tracks found in fewer than ``min_frames`` frames, not in :attr:`tracks`
            (``EstimateConfig.min_frames``).
        min_frames: the fewest frames a track in :attr:`tracks` was found in.
        video_mode: the first person of each frame came from MediaPipe's video mode (``EstimateConfig.tracking``).
    """

    detections: list[list[Detection]]
    tracks: list[Track]
    image_size: tuple[int, int]
    fps: float
    left_out: tuple[Track, ...] = ()
    min_frames: int = 1
    video_mode: bool = False

    __repr__ = short_repr

    def _brief(self) -> str:
        """``"2 tracks found in fewer than 10 frames"``: the tracks left out, as the user is told of them."""
        n = len(self.left_out)
        return f"{n} track{'s' * (n > 1)} found in fewer than {self.min_frames} frames"

    def _keeping(self) -> str:
        """``"--min-frames 4 keeps them"``: the option that keeps every track left out."""
        shortest = min(len(tr.frames) for tr in self.left_out)
        return f"--min-frames {shortest} keeps {'them' if len(self.left_out) > 1 else 'it'}"

    def left_out_note(self) -> str | None:
        """One line on the tracks left out for being brief, with the option that keeps them; None: none was."""
        if not self.left_out:
            return None
        found = sorted(len(tr.frames) for tr in self.left_out)
        return (f"left out {self._brief()} ({', '.join(map(str, found))} frame{'s' * (found[-1] > 1)}): often "
                f"MediaPipe fitting one body across two people; {self._keeping()}")

    def where(self) -> str:
        """What the tracks are of, for :func:`~flowpose.people.select.choose_track`'s messages: the video, and the
        brief tracks left out."""
        return PEOPLE_HINT if not self.left_out else f"{PEOPLE_HINT}, without the {self._brief()} ({self._keeping()}),"

    def nobody_found(self, source: object) -> str:
        """The error for a video where nobody was followed: ``source`` names it."""
        T = len(self.detections)
        if self.left_out:
            longest = max(len(tr.frames) for tr in self.left_out)
            return (f"{source}: MediaPipe followed nobody through {self.min_frames} or more of its {T} frames "
                    f"(the longest track was found in {longest}; --min-frames {longest} keeps it)")
        return f"{source}: MediaPipe found no person followed through any of its {T} frames ({self.retry_hint()})"

    def retry_hint(self) -> str:
        """What to try where a person was missed: ``--track`` only where it is off and nobody else is followed
        (video mode follows one person; with several it can split them, :meth:`video_mode_note`)."""
        track = "--track or " if not self.video_mode and len(self.tracks) <= 1 else ""
        return f"try {track}a lower --min-confidence"

    def video_mode_note(self) -> str | None:
        """With video mode and several people followed, the line that says it follows one of them; else None."""
        if not self.video_mode or len(self.tracks) < 2:
            return None
        return ("--track: MediaPipe's video mode follows only the first person it finds in each frame; the others were "
                "found frame by frame, and one person can be split into several tracks (for several people in view, "
                "leave --track off)")

    def seen(self, track: Track) -> np.ndarray:
        """(T,) bool: the frames the track was detected in."""
        seen = np.zeros(len(self.detections), bool)
        seen[list(track.frames)] = True
        return seen

    def carried(self, track: Track, carry_frames: int) -> np.ndarray:
        """(T,) bool: the frames :meth:`poses` carries the track through (holes of up to ``carry_frames``)."""
        seen = self.seen(track)
        carried = np.zeros_like(seen)
        for a, b in holes(seen, carry_frames):
            carried[a : b + 1] = True
        return carried

    def poses(
        self,
        track: Track,
        K: np.ndarray | None = None,
        fov_deg: float = 60.0,
        *,
        frames: Sequence[np.ndarray] | None = None,
        carry_frames: int = 0,
    ) -> PoseSequence:
        """The track's H36M-17 poses in the camera frame.

        A joint the track refused (another person's, or put elsewhere) is unobserved in 2D. Its 3D keeps the
        detection's confidence, for the 3D term, when the frame has at most :data:`ISOLATED_REFUSALS` refused
        joints; otherwise its confidence is 0 (no 2D and no 3D term).

        In the frames where MediaPipe turned the person round (:attr:`Track.turned`: left and right exchanged
        against the track's other frames) the 2D keypoints are relabelled as the track labels them, with
        ``CARRIED_CONFIDENCE`` times their confidence, and the root-relative 3D pose is interpolated between the
        other frames (MediaPipe's is a body turned round).

        Frames without the person are NaN with confidence 0, except, given the ``frames`` and ``carry_frames``
        > 0, holes of up to that many frames: there the keypoints are carried along the DIS flow
        (:func:`flowpose.people.carry.carry_keypoints`) with ``CARRIED_CONFIDENCE`` times the neighbouring
        detections' confidence, the root-relative 3D pose is interpolated between the frames seen, and the root
        is placed by the carried keypoints as in any frame.

        Args:
            track: one of :attr:`tracks`.
            K: (3, 3) intrinsics, px; None: from ``fov_deg``.
            fov_deg: horizontal field of view, degrees, when K is None.
            frames: the video's frames, for carrying.
            carry_frames: longest hole carried, frames; 0: none.
        """
        T = len(self.detections)
        H, W = self.image_size
        image = np.full((T, MEDIAPIPE33.num_joints, 4), np.nan)
        world = np.full((T, MEDIAPIPE33.num_joints, 3), np.nan)
        refused = np.zeros((T, MEDIAPIPE33.num_joints, 1))
        visibility = np.zeros((T, MEDIAPIPE33.num_joints, 1))
        turned = np.zeros(T, bool)
        turned[track.frames[track.turned]] = True
        for t, det, ok in zip(track.frames, track.detections(self.detections), track.agree):
            image[t], world[t] = det.payload
            if turned[t]:  # the person's points under the track's labels, as sure as a carried frame's
                image[t], ok, world[t] = image[t][SIDES], ok[SIDES], np.nan
                image[t, :, 3] *= CARRIED_CONFIDENCE
            # Joints that disagreed with the track are unobserved in 2D, and so are the joints made from them
            # (H36M's pelvis is the hips' mean). Their 3D stays: MediaPipe's world landmarks are one skeleton.
            refused[t, ~ok], visibility[t] = 1.0, image[t, :, 3:]
            image[t, ~ok, :3], image[t, ~ok, 3] = np.nan, 0.0
        seen = self.seen(track)
        if turned.any():  # MediaPipe's 3D there is a body turned round: interpolated as a carried frame's instead
            world[turned] = interpolate_holes(world, seen & ~turned, turned)[turned]
        carried = self.carried(track, carry_frames) if frames is not None else np.zeros(T, bool)
        if carried.any():
            px = image[..., :2] * np.array([W, H]) - 0.5
            px[image[..., 3] <= 0] = np.nan  # unobserved joints are not carried
            px, _ = carry_keypoints(px, seen, flow_motion(frames), flow_motion(frames, backward=True), carry_frames)
            conf = interpolate_holes(np.nan_to_num(image[..., 3], nan=0.0), seen, carried)
            image[carried, :, :2] = (px[carried] + 0.5) / np.array([W, H])
            image[carried, :, 2] = 0.0
            image[carried, :, 3] = np.where(np.isfinite(px[carried]).all(-1), CARRIED_CONFIDENCE * conf[carried], 0.0)
            world[carried] = interpolate_holes(world, seen, carried)[carried]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="place_root: ", category=UserWarning)  # said by the caller
            poses = poses_from_landmarks(image, world, self.image_size, fov_deg=fov_deg, K=K, fps=self.fps)
        refused17 = np.nan_to_num(to_h36m17(refused, MEDIAPIPE33.name, missing="nan")[..., 0]) > 0
        isolated = refused17 & (refused17.sum(1, keepdims=True) <= ISOLATED_REFUSALS)
        isolated &= np.isfinite(poses.joints3d).all(-1)
        own = np.nan_to_num(to_h36m17(np.clip(visibility, 0.0, 1.0), MEDIAPIPE33.name, missing="nan")[..., 0])
        return replace(poses, conf=np.where(isolated, own, poses.conf).astype(np.float32))


def find_people(
    frames: Sequence[np.ndarray],
    config: EstimateConfig = EstimateConfig(),
    *,
    fps: float = 30.0,
    progress: bool = False,
    track_config: TrackConfig = TrackConfig(),
) -> PeopleInVideo:
    """Detect everyone in every frame and follow them (module docstring), then look again for each followed
    person in the frames of their track where they were missed (:func:`~flowpose.estimate.gaps.search_gaps`) and follow again."""
    from flowpose.estimate.separate import separate_people  # it reads MediaPipe as this module does

    detections = detect_people(frames, config, progress=progress)
    motion = flow_motion(frames)
    tracks = track_people(detections, track_config, motion=motion, flip=SIDES)
    if search_gaps(frames, detections, tracks, config):
        tracks = track_people(detections, track_config, motion=motion, flip=SIDES)
    if config.separate:
        # Everyone followed as far as crop searches find them, to outline them; the tracks stay the ones above.
        outline_dets, outline_tracks = [list(d) for d in detections], tracks
        for _ in range(SEARCH_PASSES):
            if not search_gaps(frames, outline_dets, outline_tracks, config):
                break
            outline_tracks = track_people(outline_dets, track_config, motion=motion, flip=SIDES)
        if separate_people(frames, detections, tracks, config, (outline_dets, outline_tracks)):
            tracks = track_people(detections, track_config, motion=motion, flip=SIDES)
    tracks, brief = long_enough(tracks, config.min_frames, len(frames))
    return PeopleInVideo(detections, tracks, tuple(np.asarray(frames[0]).shape[:2]), fps, tuple(brief),
                         min(config.min_frames, len(frames)), config.tracking)


SEARCH_PASSES = 20
"""With ``EstimateConfig.separate``, to outline everyone, the gap search and the linking are repeated (until
nothing is found) up to this many times: each pass reaches ``gaps.GAP_REACH`` frames past the ends the last one
extended, so a person the full-frame detector loses behind another is followed as long as a crop finds them."""


def estimate_poses(
    frames: Sequence[np.ndarray],
    config: EstimateConfig = EstimateConfig(),
    *,
    fps: float = 30.0,
    progress: bool = False,
    source: str = "video",
    K: np.ndarray | None = None,
    person: str | int = "prominent",
) -> PoseSequence:
    """Estimate H36M-17 camera-frame 3D poses of one person through a video with MediaPipe.

    Args:
        frames: T frames (H, W, 3) uint8 RGB.
        config: people per frame, detection mode and threshold, field of view (when K is None).
        fps: the video's frame rate.
        progress: show a progress bar.
        source: the video's name, for messages.
        K: (3, 3) intrinsics, px (e.g. :meth:`flowpose.io.intrinsics.CameraOptions.matrix`); None: from
            ``config.fov_deg``.
        person: which person (:func:`flowpose.people.select.choose_track`): the most prominent by default.

    Returns:
        The person's poses (see :func:`flowpose.estimate.mediapipe.poses_from_landmarks`); short holes where
        they were not found are carried along the flow (``config.carry_frames``), longer ones are unobserved.

    Raises:
        InputError: when mediapipe is missing, or nobody is found.

    Example:
        >>> with open_video("clip.mp4") as video:  # doctest: +SKIP
        ...     poses = estimate_poses(video, EstimateConfig(fov_deg=47.0), fps=video.fps)
    """
    if len(frames) == 0:
        raise InputError(f"{source}: no frames to estimate poses on")
    people = find_people(frames, config, fps=fps, progress=progress)
    if not people.tracks:
        raise InputError(people.nobody_found(source))
    track = choose_track(people.tracks, people.detections, person, people.image_size, where=people.where())
    if (single := people.video_mode_note()) is not None:
        warnings.warn(f"{source}: {single}", stacklevel=2)
    carried = int(people.carried(track, config.carry_frames).sum())
    missed = len(frames) - len(track.frames) - carried
    if missed:
        warnings.warn(
            f"{source}: person {track.id} was not found in {missed} of {len(frames)} frames; they stay "
            f"unobserved ({people.retry_hint()})",
            stacklevel=2,
        )
    poses = people.poses(track, K, config.fov_deg, frames=frames, carry_frames=config.carry_frames)
    if config.looks:
        from flowpose.estimate.looks import with_looks  # it reads MediaPipe as this module does

        poses, _ = with_looks(frames, poses, config.looks, config)
    return poses
