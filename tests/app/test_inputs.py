"""Tests of flowpose.app.inputs: the sidecar pose file, frame segments, observed joints."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.app.batch import manifest_words
from flowpose.app.inputs import (
    check_observed,
    each_person_hint,
    keypoints_problem,
    named,
    people_folder_path,
    pose_files_in,
    pose_label,
    segment,
    segment_note,
    select_frames,
    sidecar_poses_path,
)
from flowpose.camera import intrinsics_from_fov, project_np
from flowpose.errors import InputError
from flowpose.pose import PoseSequence

K = intrinsics_from_fov(640, 480, 60.0)


def _body(T: int = 6, J: int = 17, seed: int = 0) -> np.ndarray:
    rel = np.random.default_rng(seed).uniform(-0.4, 0.4, (T, J, 3)) * np.array([1.0, 2.0, 0.5])
    return rel - rel[:, :1]


def test_sidecar_path(tmp_path: Path) -> None:
    assert sidecar_poses_path(Path("x/video.mp4")) == Path("x/video.poses.npz")
    (tmp_path / "frames.v1").mkdir()
    assert sidecar_poses_path(tmp_path / "frames.v1") == tmp_path / "frames.v1.poses.npz"


def test_a_frame_folder_given_as_dot_is_named_after_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frames = tmp_path / "frames"
    (frames / "sub").mkdir(parents=True)
    monkeypatch.chdir(frames)
    for given in (".", "./", "sub/..", Path(".")):
        assert named(given) == frames, given  # Path(".").with_name raised ValueError ("has an empty name")
        assert sidecar_poses_path(given) == tmp_path / "frames.poses.npz"
        assert people_folder_path(given) == tmp_path / "frames.people"
    monkeypatch.chdir(frames / "sub")
    assert named("..") == frames and sidecar_poses_path("..") == tmp_path / "frames.poses.npz"
    assert named("clip.mp4") == Path("clip.mp4")  # a named path is kept as given, relative
    with pytest.raises(InputError, match="^/: a frame folder needs a name of its own"):
        named("/")


def test_a_folder_of_people_s_pose_files(tmp_path: Path) -> None:
    assert people_folder_path(Path("x/clip.mp4")) == Path("x/clip.people")
    people = tmp_path / "clip.people"
    people.mkdir()
    assert each_person_hint(Path("clip.mp4"), people) == ""  # no pose file in it: nothing to suggest
    with pytest.raises(InputError, match=r"clip\.people: no pose files in it \(expected \*\.poses\.npz or \*\.poses\.json"):
        pose_files_in(people)
    for name in ("person10.poses.npz", "person2.poses.json", "person0.poses.npz", "people.png", "notes.npz"):
        (people / name).write_bytes(b"")
    (people / "sub.poses.npz").mkdir()  # a folder, whatever its name
    assert [p.name for p in pose_files_in(people)] == ["person0.poses.npz", "person2.poses.json", "person10.poses.npz"]
    hint = each_person_hint(Path("clip.mp4"), people)
    assert hint == (f"one person: --poses {people / 'person0.poses.npz'}; each of them: flowpose batch LIST --out DIR, "
                    f"LIST a text file of the line: clip.mp4 {people}")
    line = each_person_hint(Path("my clip.mp4"), people).split("of the line: ")[1]
    assert manifest_words(line) == ["my clip.mp4", str(people)]  # quoted as the manifest reads it back
    assert [pose_label(Path(n)) for n in ("a/person3.poses.npz", "b.poses.json", "take.npz", "t.json", ".npz")] == [
        "person3", "b", "take", "t", ".npz"]
    assert pose_label(None) == "poses"


def test_select_frames_and_check_observed() -> None:
    T = 10
    seq = PoseSequence(
        joints3d=_body(T) + [0, 0, 4], K=np.broadcast_to(K, (T, 3, 3)).copy(), conf=np.ones((T, 17))
    )
    cut = select_frames(seq, T, 2, 5, poses_source="p.npz", video_source="v.mp4")
    np.testing.assert_array_equal(cut.joints3d, seq.joints3d[2:5])
    assert cut.K.shape == (3, 3, 3) and cut.conf.shape == (3, 17) and cut.first_frame == 2
    again = select_frames(cut, T, 2, 5, poses_source="p.npz", video_source="v.mp4")  # already the segment
    assert again.joints3d is cut.joints3d and again.first_frame == 2
    with pytest.raises(InputError, match=r"p\.npz: has 10 frames but v\.mp4 has 12"):
        select_frames(seq, 12, 0, 12, poses_source="p.npz", video_source="v.mp4")
    np.testing.assert_array_equal(cut.K, seq.K[2:5])
    whole = select_frames(seq, T, 0, T, poses_source="p.npz", video_source="v.mp4")
    assert whole.joints3d is seq.joints3d and whole.first_frame == 0
    shared = PoseSequence(joints3d=_body(T) + [0, 0, 4], K=K)
    assert select_frames(shared, T, 7, 10, poses_source="p.npz", video_source="v.mp4").K.shape == (3, 3)
    with pytest.raises(InputError, match=r"or the 3 frames of the selected segment"):
        select_frames(seq, 12, 2, 5, poses_source="p.npz", video_source="v.mp4")
    check_observed(seq, "p.npz")
    with pytest.raises(InputError, match=r"p\.npz: no observed joint"):
        check_observed(seq.with_joints3d(np.full((T, 17, 3), np.nan)), "p.npz")


def test_poses_of_one_segment_are_refused_for_another() -> None:
    T = 10
    seq = PoseSequence(joints3d=_body(T) + [0, 0, 4], K=K)
    first3 = select_frames(seq, T, 0, 3, poses_source="p.npz", video_source="v.mp4")  # as estimate --frames 3 writes
    with pytest.raises(InputError, match=r"^p\.npz: holds frames 0 to 2 of its video \(its first_frame\), not frames 3 to 5 "
                                         r"of v\.mp4; pass --start 0 --frames 3$"):
        select_frames(first3, T, 3, 6, poses_source="p.npz", video_source="v.mp4")
    later = replace(first3, first_frame=7)
    with pytest.raises(InputError, match=r"holds frames 7 to 9 .* not frames 0 to 9 of v\.mp4; pass --start 7 --frames 3"):
        select_frames(later, T, 0, T, poses_source="p.npz", video_source="v.mp4")
    with pytest.raises(InputError, match=r"holds frames 9 to 11 of its video .*, which has 10$"):
        select_frames(replace(first3, first_frame=9), T, 0, 3, poses_source="p.npz", video_source="v.mp4")
    with pytest.raises(InputError, match=r"holds frames 1 to 10 .* not frames 0 to 9"):  # as long as the video
        select_frames(replace(seq, first_frame=1), T, 0, T, poses_source="p.npz", video_source="v.mp4")
    assert select_frames(later, T, 7, 10, poses_source="p.npz", video_source="v.mp4").first_frame == 7
    unknown = replace(first3, first_frame=None)  # another tool's file: its length is all there is to check
    assert select_frames(unknown, T, 3, 6, poses_source="p.npz", video_source="v.mp4").first_frame == 3


def test_segment_note() -> None:
    assert segment_note(60, 10, 40, 30) == "frames 10 to 39 of the video's 60 (30)"
    assert segment_note(60, 10, 60, None) == "frames 10 to 59 of the video's 60 (50)"
    assert segment_note(60, 50, 60, 30).endswith("(10: it ends before the 30 asked for by --frames)")


def test_keypoints_problem() -> None:
    T = 6
    x2d = project_np(_body(T) + [0, 0, 4], K)  # a person in the middle of a 640x480 image
    assert keypoints_problem(x2d, (480, 640)) is None
    half_out = x2d.copy()
    half_out[:, 8:] += 5000.0  # one keypoint of a frame in view is enough
    assert keypoints_problem(half_out, (480, 640)) is None
    assert keypoints_problem(x2d * 10, (480, 640)).startswith(
        f"in {T} of its {T} frames no keypoint lies inside the 640x480 frames (median x ")
    assert keypoints_problem(x2d * 10, (480, 640)).endswith("px): pixels of another image size, or of another video?")
    normalised = x2d / np.array([640.0, 480.0])
    assert re.fullmatch(r"each frame's keypoints span 0\.\d+ px \(median\) of the 640x480 frames: coordinates "
                        r"normalised to \[0, 1\]\? flowpose reads pixels", keypoints_problem(normalised, (480, 640)))
    lone = np.full_like(x2d, np.nan)
    lone[:, 0] = [320.0, 240.0]  # one keypoint a frame has no span to judge
    assert keypoints_problem(lone, (480, 640)) is None
    assert keypoints_problem(np.full_like(x2d, np.nan), (480, 640)) is None


def test_segment() -> None:
    assert segment(10, 0, None, "v.mp4") == (0, 10)
    assert segment(10, 7, 5, "v.mp4") == (7, 10)
    with pytest.raises(InputError, match=r"--start 10: v\.mp4 has 10 frames \(0 to 9\)"):
        segment(10, 10, None, "v.mp4")
    with pytest.raises(InputError, match="--frames must be >= 1, got 0"):
        segment(10, 0, 0, "v.mp4")


def test_too_few_frames_to_refine_are_refused_naming_the_video_or_the_segment() -> None:
    from flowpose.app.inputs import check_refinable

    check_refinable(6, 0, 2, "v.mp4")  # two frames: enough
    with pytest.raises(InputError, match=r"^v\.mp4: refinement needs at least 2 frames, and it has 1$"):
        check_refinable(1, 0, 1, "v.mp4")
    with pytest.raises(InputError, match=r"^v\.mp4: refinement needs at least 2 frames, and frames 5 to 5 of its 6 are 1 "
                                         r"\(--start, --frames\); note$"):
        check_refinable(6, 5, 6, "v.mp4", "; note")
