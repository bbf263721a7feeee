"""Tests of flowpose.app.estimate_video on real multi-person video (MediaPipe; skipped where not installed)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from flowpose.app.estimate_video import EstimateVideoJob, default_output, estimate_video
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.people import SIDES
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.poses import load_poses
from flowpose.lens import distort_pixels, undistort_pixels
from flowpose.scene_focal import centred_K
from tests.conftest import shared_path
from tests.estimate.fake_pose import RED, use_fake_mediapipe
from tests.estimate.test_crops import RedBody
from tests.estimate.test_people import RedThenBlue, red_and_brief_blue
from tests.room import room_image


def test_default_outputs() -> None:
    assert default_output(Path("x/clip.mp4"), False) == Path("x/clip.poses.npz")
    assert default_output(Path("x/clip.mp4"), True) == Path("x/clip.people")


@pytest.mark.slow
@pytest.mark.needs_shared
def test_every_person_of_a_real_multi_person_clip(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    video = shared_path("data", "video", "pose2sim_multiperson", "videos", "cam01.mp4")
    job = EstimateVideoJob(video=video, config=EstimateConfig(people=3), out=tmp_path / "all", all_people=True,
                           progress=False, num_frames=20)
    output = estimate_video(job)
    names = sorted(p.name for p in output.written.iterdir())
    assert "people.png" in names and "person0.poses.npz" in names and "person1.poses.npz" in names
    assert output.lines[-1] == (f"to refine one person: --poses {output.written / 'person0.poses.npz'}; each of them: "
                                f"flowpose batch LIST --out DIR, LIST a text file of the line: {video} {output.written}")
    # The most prominent person (the woman in front) is followed in every frame, and is one person: her box
    # never jumps between frames.
    first = output.people.tracks[0]
    assert len(first.frames) == 20
    centres = np.array([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] for b in first.boxes()])
    assert np.linalg.norm(np.diff(centres, axis=0), axis=-1).max() < 0.1 * 1088
    one = estimate_video(EstimateVideoJob(video=video, out=tmp_path / "p.npz", progress=False, num_frames=20))
    assert one.chosen == 0 and load_poses(tmp_path / "p.npz").num_frames == 20
    assert load_poses(output.written / "person0.poses.npz").first_frame == load_poses(tmp_path / "p.npz").first_frame == 0
    later = estimate_video(EstimateVideoJob(video=video, out=tmp_path / "later.npz", progress=False, start=60,
                                            num_frames=5, fps=25.0))
    assert load_poses(tmp_path / "later.npz").fps == 25.0 and load_poses(tmp_path / "p.npz").fps == 60.0
    assert load_poses(tmp_path / "later.npz").first_frame == 60  # refine refuses it for other frames
    assert "found in 5 of 5 frames (60-64)" in later.lines[1], later.lines
    # A segment shorter than a track's minimum length (TrackConfig.min_length, 3): nobody was followed before.
    two = estimate_video(EstimateVideoJob(video=video, out=tmp_path / "two.npz", progress=False, start=60,
                                          num_frames=2))
    assert two.lines[-1].startswith(f"wrote {tmp_path / 'two.npz'}: person 0, 2 frames (frames 60-61), found in 2")


@pytest.mark.slow
@pytest.mark.needs_shared
def test_more_looks_on_a_real_clip(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    video = shared_path("data", "video", "pose2sim_multiperson", "videos", "cam02.mp4")
    estimate_video(EstimateVideoJob(video=video, out=tmp_path / "a.npz", progress=False, num_frames=5))
    job = EstimateVideoJob(video=video, config=EstimateConfig(looks=2), out=tmp_path / "b.npz",
                           progress=False, num_frames=5)
    looked = estimate_video(job)
    assert any("averaged with 2 more looks at the crop in 5 of 5 frames" in line for line in looked.lines)
    a, b = load_poses(tmp_path / "a.npz"), load_poses(tmp_path / "b.npz")
    height = np.nanmax(a.joints2d[..., 1], 1) - np.nanmin(a.joints2d[..., 1], 1)
    # Other looks at the same person: a few pixels apart, not identical, never on somebody else.
    d = np.linalg.norm(a.joints2d - b.joints2d, axis=-1)
    assert 0 < np.nanmedian(d) < 0.05 * np.median(height)
    # Its pose relative to the pelvis a few centimetres apart; the confidences the first look's.
    rel = lambda X: X - X[:, :1]  # noqa: E731
    d3 = np.linalg.norm(rel(a.joints3d) - rel(b.joints3d), axis=-1)
    assert 0.002 < np.nanmedian(d3) < 0.1
    np.testing.assert_array_equal(a.conf, b.conf)


@pytest.mark.slow
@pytest.mark.needs_shared
def test_a_cut_video_is_estimated_as_far_as_it_decodes_and_told(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    from flowpose.errors import InputError
    from flowpose.io.video import open_video
    from tests.io.test_video import cut_avi

    with open_video(shared_path("data", "video", "pose2sim_multiperson", "videos", "cam01.mp4")) as video:
        cut_avi(tmp_path / "cut.avi", video.read(0, 10), 0.7, fps=60.0)
    with open_video(tmp_path / "cut.avi") as video:
        n = len(video)
    assert 3 <= n < 10
    job = EstimateVideoJob(video=tmp_path / "cut.avi", out=tmp_path / "p.npz", progress=False)
    with pytest.raises(InputError, match=rf"--start 10: .* has {n} frames \(0 to {n - 1}\); its container lists 10 "
                                         r"frames: a cut or damaged file\?$"):
        estimate_video(replace(job, start=10))
    output = estimate_video(job)
    assert output.lines[1] == (f"warning: {tmp_path / 'cut.avi'}: its container lists 10 frames, and {n} decode (a cut "
                               f"or damaged file?); flowpose reads those {n}")
    assert load_poses(tmp_path / "p.npz").num_frames == n


def _flat(result: SimpleNamespace, image: np.ndarray) -> SimpleNamespace:
    """A stand-in's result with world landmarks: the image landmarks' offsets from their mean at 4 mm a pixel (a
    flat body facing the camera), so that the estimate can be placed."""
    if result.pose_landmarks is not None:
        H, W = image.shape[:2]
        px = np.array([[m.x * W, m.y * H] for m in result.pose_landmarks.landmark])
        offsets = (px - px.mean(0)) * 0.004
        result.pose_world_landmarks.landmark = [SimpleNamespace(x=x, y=y, z=0.0) for x, y in offsets]
    return result


class _FlatRedBody(RedBody):
    """:class:`RedBody` with flat world landmarks (:func:`_flat`)."""

    def process(self, image: np.ndarray) -> SimpleNamespace:
        return _flat(super().process(image), image)


class _FlatRedThenBlue(RedThenBlue):
    """:class:`RedThenBlue` with flat world landmarks (:func:`_flat`)."""

    def process(self, image: np.ndarray) -> SimpleNamespace:
        return _flat(super().process(image), image)


GREEN = np.array([0, 220, 0])


class _TurningRedBody(_FlatRedBody):
    """:class:`_FlatRedBody` that gives the body's left and right exchanged (2D and 3D) in a frame marked by a green
    top-left pixel, as MediaPipe does when it takes a body for one that faces away."""

    def process(self, image: np.ndarray) -> SimpleNamespace:
        result = super().process(image)
        if result.pose_landmarks is not None and (np.abs(image[0, 0].astype(int) - GREEN) < 30).all():
            result.pose_landmarks.landmark = [result.pose_landmarks.landmark[i] for i in SIDES]
            result.pose_world_landmarks.landmark = [result.pose_world_landmarks.landmark[i] for i in SIDES]
        return result


def test_a_person_mediapipe_turns_round_is_followed_on_relabelled_and_told(tmp_path: Path, monkeypatch) -> None:
    use_fake_mediapipe(monkeypatch, _TurningRedBody)
    monkeypatch.setattr("flowpose.app.estimate_video.require_mediapipe", lambda: None)
    for clip, turned in (("turned", (4, 5, 6)), ("plain", ())):
        (tmp_path / clip).mkdir()
        for t in range(12):
            frame = np.full((200, 240, 3), 128, np.uint8)
            frame[50:150, 100 + 2 * t : 140 + 2 * t] = RED
            if t in turned:
                frame[0, 0] = GREEN
            cv2.imwrite(str(tmp_path / clip / f"{t:02d}.png"), frame[..., ::-1])
    job = EstimateVideoJob(video=tmp_path / "turned", config=EstimateConfig(people=1), out=tmp_path / "turned.npz",
                           progress=False)
    output = estimate_video(job)
    assert output.lines[2] == ("person 0: found in 12 of 12 frames (0-11), turned round by MediaPipe in 3 of them "
                               "(frames 4-6: left and right relabelled, the 3D interpolated)"), output.lines
    plain = estimate_video(replace(job, video=tmp_path / "plain", out=tmp_path / "plain.npz"))
    assert plain.lines[2] == "person 0: found in 12 of 12 frames (0-11)"
    turned, unturned = load_poses(tmp_path / "turned.npz"), load_poses(tmp_path / "plain.npz")
    np.testing.assert_allclose(turned.joints2d, unturned.joints2d, atol=1e-3)  # the same body, labelled alike
    np.testing.assert_allclose(turned.joints3d, unturned.joints3d, atol=1e-3)
    np.testing.assert_allclose(turned.conf[4:7], 0.5 * unturned.conf[4:7], atol=1e-6)  # as sure as a carried frame


def test_every_person_leaves_out_a_brief_track_and_says_so(tmp_path: Path, monkeypatch) -> None:
    use_fake_mediapipe(monkeypatch, _FlatRedThenBlue)
    monkeypatch.setattr("flowpose.app.estimate_video.require_mediapipe", lambda: None)
    (tmp_path / "clip").mkdir()
    for t, frame in enumerate(red_and_brief_blue(12, range(4, 7))):
        cv2.imwrite(str(tmp_path / "clip" / f"{t:02d}.png"), frame[..., ::-1])
    job = EstimateVideoJob(video=tmp_path / "clip", config=EstimateConfig(people=2), out=tmp_path / "all",
                           all_people=True, progress=False)
    output = estimate_video(job)
    assert sorted(p.name for p in output.written.glob("p*")) == ["people.png", "person0.poses.npz"]
    assert output.lines[2:4] == ["person 0: found in 12 of 12 frames (0-11)",
                                 "left out 1 track found in fewer than 10 frames (3 frames): often MediaPipe fitting "
                                 "one body across two people; --min-frames 3 keeps it"], output.lines
    kept = estimate_video(replace(job, config=EstimateConfig(people=2, min_frames=3), out=tmp_path / "kept"))
    assert sorted(p.name for p in kept.written.glob("p*")) == ["people.png", "person0.poses.npz", "person1.poses.npz"]
    assert not any(line.startswith("left out") for line in kept.lines)
    assert not any(line.startswith("note: --track") for line in kept.lines)
    tracked = estimate_video(replace(job, config=EstimateConfig(people=2, min_frames=3, tracking=True),
                                     out=tmp_path / "tracked"))
    notes = [line for line in tracked.lines if line.startswith("note: --track")]
    assert notes == ["note: --track: MediaPipe's video mode follows only the first person it finds in each frame; "
                     "the others were found frame by frame, and one person can be split into several tracks (for "
                     "several people in view, leave --track off)"], tracked.lines


def test_a_lens_with_distortion_is_estimated_in_its_pinhole_camera(tmp_path: Path, monkeypatch) -> None:
    use_fake_mediapipe(monkeypatch, _FlatRedBody)
    monkeypatch.setattr("flowpose.app.estimate_video.require_mediapipe", lambda: None)
    K = np.array([[200.0, 0.0, 119.5], [0.0, 200.0, 99.5], [0.0, 0.0, 1.0]])
    dist = np.array([-0.4, 0.0, 0.0, 0.0, 0.0])  # a wide-angle lens: 1 to 15 px over the body, near a corner
    ys, xs = np.mgrid[0:200, 0:240].astype(np.float64)
    looks = undistort_pixels(np.stack([xs, ys], -1), K, dist).astype(np.float32)
    for name in ("pinhole", "recorded"):
        (tmp_path / name).mkdir()
    for t in range(4):  # the red body walks right; the lens bends what it records
        frame = np.full((200, 240, 3), 128, np.uint8)
        frame[15:115, 15 + 10 * t : 55 + 10 * t] = RED
        recorded = cv2.remap(frame, looks[..., 0], looks[..., 1], cv2.INTER_NEAREST)
        cv2.imwrite(str(tmp_path / "pinhole" / f"{t}.png"), frame[..., ::-1])
        cv2.imwrite(str(tmp_path / "recorded" / f"{t}.png"), recorded[..., ::-1])
    (tmp_path / "K.json").write_text(json.dumps({"K": K.tolist()}))
    (tmp_path / "lens.json").write_text(json.dumps({"K": K.tolist(), "dist": dist.tolist()}))
    for video, camera in (("pinhole", "K.json"), ("recorded", "lens.json")):
        estimate_video(EstimateVideoJob(video=tmp_path / video, camera=CameraOptions(intrinsics=tmp_path / camera),
                                        out=tmp_path / f"{video}.npz", config=EstimateConfig(people=1), progress=False))
    pinhole, recorded = load_poses(tmp_path / "pinhole.npz"), load_poses(tmp_path / "recorded.npz")
    assert pinhole.dist is None and recorded.dist.tolist() == dist.tolist()
    # The body is found in the undistorted frames where the pinhole camera sees it and placed there (in 3D as
    # without the lens); its 2D are written back as pixels of the frames as recorded. (The tracker's flow check
    # of a flat red block refuses some joints of the last frame in one run and not the other: compared where both
    # observe the joint.)
    both = (pinhole.conf > 0) & (recorded.conf > 0)
    assert both.sum() >= 40
    np.testing.assert_allclose(recorded.joints2d[both], distort_pixels(pinhole.joints2d, K, dist)[both], atol=1.5)
    assert np.median(np.linalg.norm(recorded.joints2d[both] - pinhole.joints2d[both], axis=-1)) > 3.0
    np.testing.assert_allclose(recorded.joints3d[both], pinhole.joints3d[both], atol=0.03)


def test_a_focal_length_read_from_the_scene_places_the_estimate(tmp_path: Path, monkeypatch) -> None:
    use_fake_mediapipe(monkeypatch, _FlatRedBody)
    monkeypatch.setattr("flowpose.app.estimate_video.require_mediapipe", lambda: None)
    room = room_image(centred_K(300.0, (480, 320)), (480, 320), 15.0, -5.0, shelves=True)
    (tmp_path / "clip").mkdir()
    for t in range(4):  # the red body walks right in front of the room; frames as images, not compressed
        frame = room.copy()
        frame[200:300, 100 + 10 * t : 140 + 10 * t] = RED
        cv2.imwrite(str(tmp_path / "clip" / f"{t}.png"), frame[..., ::-1])
    output = estimate_video(EstimateVideoJob(video=tmp_path / "clip", camera=CameraOptions(focal_from_scene=True),
                                             out=tmp_path / "clip.npz", config=EstimateConfig(people=1), progress=False))
    assert output.lines[0].startswith("camera: focal length ") and "read from the scene's lines" in output.lines[0]
    assert load_poses(tmp_path / "clip.npz").K[0, 0] == pytest.approx(300.0, rel=0.025)
