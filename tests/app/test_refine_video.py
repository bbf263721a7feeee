"""Tests of flowpose.app.refine_video: the refine workflow as a function, the camera it is given, its checks."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.app.refine_video import RefineVideoJob, refine_video, repeated_cycles_note
from flowpose.camera import project_np
from flowpose.camera_place import placed_frame
from flowpose.config import FlowConfig, RefineConfig, get_preset
from flowpose.errors import InputError
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.poses import load_poses, save_poses
from flowpose.io.video_writer import write_video
from flowpose.pose import PoseSequence
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.refinement.swaps import relabel
from flowpose.scene_focal import centred_K
from tests.conftest import standing_pose
from tests.room import room_image

T, SIZE = 6, 64
DIS = RefineConfig(flow=FlowConfig(names=("dis",), weights=(None,)), pose=PoseStageConfig(max_steps=20))


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A 6-frame 64x64 moving texture and its sidecar poses (camera fx = 80 px)."""
    rng = np.random.default_rng(3)
    texture = rng.uniform(0, 255, (SIZE + 2 * T, SIZE + 2 * T, 3)).astype(np.uint8)
    write_video(tmp_path / "video.mp4", np.stack([texture[4 : 4 + SIZE, 2 * t : 2 * t + SIZE] for t in range(T)]), fps=10.0)
    body = rng.uniform(-0.25, 0.25, (17, 3)) * np.array([1.0, 2.0, 0.3]) + np.array([0.0, 0.0, 2.5])
    K = np.array([[80.0, 0, 31.5], [0, 80.0, 31.5], [0, 0, 1]])
    save_poses(PoseSequence(joints3d=np.repeat(body[None], T, 0), K=K, fps=10.0), tmp_path / "video.poses.npz")
    return tmp_path


def test_refines_into_the_default_folder(clip: Path) -> None:
    output = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=1, progress=False))
    assert output.folder == clip / "video.flowpose"
    assert {"refined.npz", "refined.json", "history.json"} <= set(output.names)
    assert [r.cycle for r in output.result.history] == [0, 1]
    assert not any(n.startswith("camera") for n in output.notes)  # the pose file's camera was kept
    np.testing.assert_allclose(load_poses(output.folder / "refined.npz").K, load_poses(clip / "video.poses.npz").K)


def test_a_given_camera_replaces_the_pose_files_with_a_note(clip: Path) -> None:
    np.savetxt(clip / "K.txt", [[100.0, 100.0, 30.0, 33.0]])
    job = RefineVideoJob(
        video=clip / "video.mp4",
        config=DIS,
        cycles=0,
        camera=CameraOptions(intrinsics=clip / "K.txt"),
        progress=False,
    )
    output = refine_video(job)
    told = [n for n in output.notes if n.startswith("camera: the given K")]
    assert told == [f"camera: the given K (fx 100.0, fy 100.0, cx 30.0, cy 33.0 px) replaces {clip / 'video.poses.npz'}'s "
                    "(fx 80.0, cx 31.5, cy 31.5); the 3D is moved to show the same image through it (depth x1.25)"]
    refined, given = load_poses(output.folder / "refined.npz"), load_poses(clip / "video.poses.npz")
    np.testing.assert_allclose(refined.K, [[100, 0, 30], [0, 100, 33], [0, 0, 1]])
    # Placed for fx 80 at 2.5 m, the body would show 1.25 times larger through fx 100: it is moved to 3.1 m, where
    # it shows the image it was estimated from (to 0.2 px: a translation cannot undo perspective exactly).
    assert np.nanmean(refined.joints3d[..., 2]) == pytest.approx(2.5 * 100 / 80, rel=0.02)
    np.testing.assert_allclose(project_np(refined.joints3d, refined.K), project_np(given.joints3d, given.K), atol=0.2)
    # The same camera as the file's: nothing to say.
    same = replace(job, camera=CameraOptions(focal_px=80.0), out=clip / "same")
    assert not any(n.startswith("camera: the given K") for n in refine_video(same).notes)


def test_the_user_is_told_which_frames_swap_repair_relabelled(clip: Path) -> None:
    still = load_poses(clip / "video.poses.npz")
    # The body moves with the texture (2 px a frame to the left, at 2.5 m and fx 80 px), so the flow carries it.
    poses = still.with_joints3d(still.joints3d - np.arange(T)[:, None, None] * [2.0 * 2.5 / 80.0, 0.0, 0.0])
    swapped = np.zeros((T, 2), bool)
    swapped[[2, 3], 1] = True  # the arms labelled left for right in frames 2 and 3
    save_poses(relabel(poses, swapped), clip / "video.poses.npz")
    output = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=0, progress=False))
    np.testing.assert_array_equal(output.result.swapped, swapped)
    assert "left/right swaps repaired before refinement: arms in 2 frames (2-3)" in output.notes
    # Frame numbers are the video's: with --start 1 the same frames are 2-3, rows 1-2 of the segment.
    later = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=0, progress=False, start=1,
                                        out=clip / "later"))
    assert "left/right swaps repaired before refinement: arms in 2 frames (2-3)" in later.notes
    # Nothing relabelled, nothing said.
    save_poses(poses, clip / "video.poses.npz")
    clean = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=0, progress=False,
                                        out=clip / "clean"))
    assert not clean.result.swapped.any()
    assert not any("swaps" in n for n in clean.notes)


def test_a_segment_of_a_long_video_is_not_decoded_into_memory(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--start/--frames of a video too large for memory is read frame by frame, as the whole video is (it was read
    into one array: 420 frames of 1080p after --start 1 peaked at 5.4 GB against the whole video's 0.7;
    benchmarks/bench_segment_memory.py)."""
    import flowpose.api
    from flowpose.io.video import VideoReader

    whole = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=1, progress=False, start=1,
                                        out=clip / "in_memory"))
    monkeypatch.setattr(flowpose.api, "IN_MEMORY_LIMIT_BYTES", 0)  # every video is "too large"
    reads: list[tuple[int, int | None]] = []
    real_read = VideoReader.read

    def counted(self: VideoReader, start: int = 0, stop: int | None = None) -> np.ndarray:
        reads.append((start, stop))
        return real_read(self, start, stop)

    monkeypatch.setattr(VideoReader, "read", counted)
    lazy = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=1, progress=False, start=1,
                                       out=clip / "lazy"))
    assert reads == []
    assert "frames 1 to 5 of the video's 6 (5)" in lazy.notes
    np.testing.assert_array_equal(lazy.result.poses.joints3d, whole.result.poses.joints3d)


def test_checks_before_any_work(clip: Path) -> None:
    job = RefineVideoJob(video=clip / "video.mp4", config=DIS, progress=False)
    with pytest.raises(InputError, match="--cycles must be >= 0, got -1"):
        refine_video(replace(job, cycles=-1))
    with pytest.raises(InputError, match=r"video\.mp4: refinement needs at least 2 frames, and frames 5 to 5 of its 6 "
                                         r"are 1 \(--start, --frames\)"):
        refine_video(replace(job, start=5))
    from flowpose.io.video import open_video
    from flowpose.io.video_writer import write_video

    with open_video(clip / "video.mp4") as video:
        write_video(clip / "one.mp4", video.read()[:1], fps=10.0)
    with pytest.raises(InputError, match=r"one\.mp4: refinement needs at least 2 frames, and it has 1$"):
        refine_video(replace(job, video=clip / "one.mp4", poses=clip / "video.poses.npz"))
    with pytest.raises(InputError, match="--estimate and --poses exclude each other"):
        refine_video(replace(job, poses=clip / "video.poses.npz", estimate=object()))
    with pytest.raises(InputError, match=r"no poses: pass --poses FILE"):
        (clip / "video.poses.npz").unlink()
        refine_video(job)
    assert not (clip / "video.flowpose").exists()


def test_a_cut_video_is_refined_as_far_as_it_decodes_and_told(clip: Path) -> None:
    from flowpose.io.video import open_video
    from tests.io.test_video import cut_avi

    rng = np.random.default_rng(5)
    texture = rng.uniform(0, 255, (SIZE + 40, SIZE + 40, 3)).astype(np.uint8)
    cut_avi(clip / "cut.avi", np.stack([texture[4 : 4 + SIZE, 2 * t : 2 * t + SIZE] for t in range(20)]), 0.7)
    with open_video(clip / "cut.avi") as video:
        n = len(video)
    assert 2 <= n < 20
    whole = load_poses(clip / "video.poses.npz")
    body = np.repeat(whole.joints3d[:1], 20, 0)
    save_poses(replace(whole, joints3d=body, first_frame=0), clip / "whole.poses.npz")  # the 20 frames listed
    job = RefineVideoJob(video=clip / "cut.avi", poses=clip / "whole.poses.npz", config=DIS, cycles=1, progress=False)
    with pytest.raises(InputError, match=rf"which has {n}; its container lists 20 frames: a cut or damaged file\?$"):
        refine_video(job)
    with pytest.raises(InputError, match=rf"--start 30: .*cut\.avi has {n} frames \(0 to {n - 1}\); its container "
                                         r"lists 20 frames: a cut or damaged file\?$"):
        refine_video(replace(job, start=30))
    save_poses(replace(whole, joints3d=body[:n], first_frame=0), clip / "cut.poses.npz")
    output = refine_video(replace(job, poses=clip / "cut.poses.npz"))
    cut_avi(clip / "one.avi", np.stack([texture[4 : 4 + SIZE, 2 * t : 2 * t + SIZE] for t in range(20)]), 0.1)
    with pytest.raises(InputError, match=r"one\.avi: refinement needs at least 2 frames, and it has 1; its container "
                                         r"lists 20 frames: a cut or damaged file\?$"):
        refine_video(replace(job, video=clip / "one.avi"))
    assert (f"warning: {clip / 'cut.avi'}: its container lists 20 frames, and {n} decode (a cut or damaged file?); "
            f"flowpose reads those {n}") in output.notes
    assert load_poses(output.folder / "refined.npz").num_frames == n


def test_a_person_of_the_video_s_people_folder(clip: Path) -> None:
    people = clip / "video.people"
    people.mkdir()
    (clip / "video.poses.npz").replace(people / "person1.poses.npz")
    job = RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=0, progress=False)
    hint = f"one person: --poses {people / 'person1.poses.npz'}; each of them: flowpose batch LIST"
    with pytest.raises(InputError, match=rf"video\.mp4: no .*video\.poses\.npz, but .*video\.people holds people's poses; {re.escape(hint)}"):
        refine_video(job)
    with pytest.raises(InputError, match=rf"video\.people: is a folder of pose files, expected one; {re.escape(hint)}"):
        refine_video(replace(job, poses=people))
    output = refine_video(replace(job, poses=people / "person1.poses.npz"))
    assert output.folder == clip / "video.person1.flowpose"  # each person's results in their own folder
    assert not (clip / "video.flowpose").exists()
    elsewhere = clip / "mine" / "person1.poses.npz"  # poses of the user's own layout: the video's default folder
    elsewhere.parent.mkdir()
    (people / "person1.poses.npz").replace(elsewhere)
    assert refine_video(replace(job, poses=elsewhere)).folder == clip / "video.flowpose"


def test_2d_in_normalised_coordinates_is_refused(clip: Path) -> None:
    """A pose file's joints2d (or --keypoints) in [0, 1] would have been L_2D's target, silently."""
    poses = load_poses(clip / "video.poses.npz")
    x2d = project_np(poses.joints3d, poses.K_per_frame())
    save_poses(replace(poses, joints2d=(x2d / SIZE).astype(np.float32)), clip / "normalised.poses.npz")
    job = RefineVideoJob(video=clip / "video.mp4", poses=clip / "normalised.poses.npz", config=DIS, cycles=0,
                         progress=False)
    with pytest.raises(InputError) as info:
        refine_video(job)
    assert str(info.value) == (f"{clip / 'normalised.poses.npz'}: each frame's joints2d span 0.3 px (median) of the "
                               "64x64 frames: coordinates normalised to [0, 1]? flowpose reads pixels")
    assert not (clip / "video.flowpose").exists()
    save_poses(replace(poses, joints2d=x2d.astype(np.float32)), clip / "pixels.poses.npz")
    assert refine_video(replace(job, poses=clip / "pixels.poses.npz")).result.poses.num_frames == T


def test_the_user_is_told_why_dis_cycles_repeat() -> None:
    fast, quality = get_preset("fast"), get_preset("quality")
    note = repeated_cycles_note(fast, 3)
    assert note is not None and "(dis) is not fine-tuned" in note and "cycles 2-3 repeat cycle 1" in note
    assert "so cycle 2 repeats cycle 1;" in repeated_cycles_note(fast, 2)
    assert repeated_cycles_note(fast, 1) is None  # one cycle repeats nothing
    assert repeated_cycles_note(quality, 3) is None  # RAFT-small is fine-tuned every cycle
    assert repeated_cycles_note(replace(quality, finetune_flow=False), 3) is not None


@pytest.mark.slow
@pytest.mark.needs_shared
def test_poses_estimated_for_a_segment_know_their_first_frame(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    from flowpose.estimate.mediapipe import EstimateConfig
    from tests.conftest import shared_path

    video = shared_path("data", "video", "pose2sim_multiperson", "videos", "cam01.mp4")
    job = RefineVideoJob(video=video, config=DIS, cycles=0, estimate=EstimateConfig(people=1), out=tmp_path / "out",
                         progress=False, start=60, num_frames=4)
    output = refine_video(job)
    assert load_poses(output.folder / "refined.npz").first_frame == 60
    assert "frames 60 to 63 of the video's 100 (4)" in output.notes


def test_the_poses_take_the_video_s_frame_rate(clip: Path) -> None:
    """The pose stage's temporal terms are per second: poses that say 30 fps on a 10 fps video are refined as the
    10 fps poses they are, and say so."""
    right = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=1, progress=False,
                                        out=clip / "right"))
    seq = load_poses(clip / "video.poses.npz")
    save_poses(replace(seq, fps=30.0), clip / "wrong.npz")
    job = RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=1, progress=False, poses=clip / "wrong.npz",
                         out=clip / "wrong")
    wrong = refine_video(job)
    assert any(n.startswith(f"{clip / 'wrong.npz'}: 30 fps") and "plays at 10" in n for n in wrong.notes), wrong.notes
    assert not any("fps" in n for n in right.notes)
    np.testing.assert_array_equal(wrong.result.poses.joints3d, right.result.poses.joints3d)
    assert load_poses(clip / "wrong" / "refined.npz").fps == pytest.approx(10.0)


def test_an_image_folder_takes_the_poses_rate_or_the_one_given(clip: Path) -> None:
    import cv2

    from flowpose.io.video import open_video

    folder = clip / "frames"
    folder.mkdir()
    with open_video(clip / "video.mp4") as video:
        for t, frame in enumerate(video.read()):
            cv2.imwrite(str(folder / f"f{t}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    poses = clip / "video.poses.npz"  # 10 fps
    job = RefineVideoJob(video=folder, config=DIS, cycles=0, progress=False, poses=poses, out=clip / "a")
    kept = refine_video(job)
    assert f"{folder}: no frame rate of its own (an image folder): 10 fps assumed (--fps gives the frames')" in kept.notes
    given = refine_video(replace(job, fps=25.0, out=clip / "b"))
    assert any(n.startswith(f"{poses}: 10 fps") and "plays at 25" in n for n in given.notes), given.notes
    assert given.result.poses.fps == 25.0 and kept.result.poses.fps == 10.0


def test_refined_poses_flowpose_would_refuse_are_told(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flowpose.app.refine_video as module

    real = module.run_refine

    def diverged(*args, **kwargs):  # a refinement that put one joint 1 cm before the lens
        result = real(*args, **kwargs)
        joints = result.poses.joints3d.copy()
        joints[3, 5, 2] = 0.01
        return replace(result, poses=result.poses.with_joints3d(joints))

    monkeypatch.setattr(module, "run_refine", diverged)
    output = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=0, progress=False))
    assert (output.folder / "refined.npz").exists()  # written as refined: never changed after the fact
    assert output.notes[-1] == (
        f"warning: {output.folder / 'refined.npz'}: the refined poses are implausible, so flowpose will not read them "
        "back: joints3d must lie in front of the camera (z >= 0.05 m for every observed joint); frame 3 has z = 0.01 m "
        "(the refinement diverged: is the camera right?)"
    )
    monkeypatch.undo()
    plain = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=0, progress=False,
                                        out=clip / "plain"))
    assert not any("implausible" in n for n in plain.notes)


def test_a_frame_with_no_joint_stays_as_it_is_when_the_camera_is_replaced(clip: Path) -> None:
    from flowpose.app.refine_video import with_intrinsics

    given = load_poses(clip / "video.poses.npz")
    joints = given.joints3d.copy()
    joints[0] = np.nan  # nothing observed in frame 0
    poses = given.with_joints3d(joints)
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Mean of empty slice" on the user's terminal
        moved = with_intrinsics(poses, np.array([[100.0, 0, 31.5], [0, 100.0, 31.5], [0, 0, 1]]), None, "p.npz", notes)
    assert np.isnan(moved.joints3d[0]).all()
    np.testing.assert_allclose(moved.joints3d[1:, :, 2].mean(), 2.5 * 100 / 80, rtol=0.02)
    assert notes[-1].endswith("the 3D is moved to show the same image through it (depth x1.25)")


FLOOR_R = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
"""A level camera looking along the world's +y (Z up): the floor test's."""


def test_the_floor_scales_the_person_about_the_camera_to_stand_on_it(clip: Path) -> None:
    given = load_poses(clip / "video.poses.npz")
    joints = given.joints3d.copy()
    joints[:, 8] = (joints[:, 3] + joints[:, 6]) / 2 - np.array([0.0, 0.5, 0.0])  # the thorax above the ankles: upright
    given = given.with_joints3d(joints)
    save_poses(given, clip / "video.poses.npz")
    lowest = float(given.joints3d[0, [3, 6], 1].max())  # camera y down: the lower ankle's y
    height = 0.07 + 1.1 * lowest  # a level camera this far above the floor: the person is a tenth too near
    (clip / "Calib.toml").write_text(
        '[cam]\nname = "video"\nmatrix = [[80.0, 0.0, 31.5], [0.0, 80.0, 31.5], [0.0, 0.0, 1.0]]\n'
        f"rotation = [{np.pi / 2}, 0.0, 0.0]\ntranslation = [0.0, {height}, 0.0]\n"  # looking along the world's +y
    )
    job = RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=0, progress=False,
                         camera=CameraOptions(intrinsics=clip / "Calib.toml", video=clip / "video.mp4"), floor_z=0.0)
    output = refine_video(job)
    told = [n for n in output.notes if n.startswith("floor:")]
    assert told == [f"floor: the person scaled by 1.100 about camera video to stand on the floor at z = 0 m of "
                    f"{clip / 'Calib.toml'} (the lower ankle 0.07 m above it in the median frame, +{0.07 + 0.1 * lowest:.2f} "
                    "m before)"]
    refined = load_poses(output.folder / "refined.npz")
    assert np.nanmean(refined.joints3d[..., 2]) == pytest.approx(1.1 * np.nanmean(given.joints3d[..., 2]), rel=0.01)
    np.testing.assert_allclose(project_np(refined.joints3d, refined.K), project_np(given.joints3d, given.K), atol=0.05)
    with pytest.raises(InputError, match=r"--floor needs the camera's place above the floor: --intrinsics CALIBRATION"):
        refine_video(replace(job, camera=None, out=clip / "nothing"))
    np.testing.assert_allclose(refined.world, np.hstack([FLOOR_R, [[0.0], [height], [0.0]]]), atol=1e-9)  # t = -R c
    assert load_poses(refine_video(replace(job, floor_z=None, out=clip / "unfloored")).folder / "refined.npz").world is None
    # The same place as a user measures it: the camera's height, level; the same scale, said so.
    placed = refine_video(replace(job, camera=None, camera_place=(height, 0.0, 0.0), out=clip / "placed"))
    assert [n for n in placed.notes if n.startswith("floor:")] == [
        f"floor: the person scaled by 1.100 about camera video to stand on the floor {height:g} m under the camera, "
        f"looking 0 degrees down and rolled 0 (the lower ankle 0.07 m above it in the median frame, "
        f"+{0.07 + 0.1 * lowest:.2f} m before)"]
    np.testing.assert_allclose(load_poses(placed.folder / "refined.npz").joints3d, refined.joints3d, atol=1e-6)
    np.testing.assert_allclose(load_poses(placed.folder / "refined.npz").world, refined.world, atol=1e-9)  # one world
    platform = refine_video(replace(job, camera=None, camera_place=(height, 0.0, 0.0), floor_z=0.05,
                                    out=clip / "platform"))
    assert any(f"stand on the floor 0.05 m above the one {height:g} m under the camera" in n for n in platform.notes)
    def floor_warnings(notes: list[str]) -> list[str]:
        return [n for n in notes if "the floor makes" in n or "mean axis" in n]

    assert not floor_warnings(placed.notes + platform.notes + output.notes)
    # A place that makes a giant, and a roll that leans the person 30 degrees: warned of, not refused.
    giant = refine_video(replace(job, camera=None, camera_place=(0.07 + 1.5 * lowest, 0.0, 0.0), out=clip / "giant"))
    assert floor_warnings(giant.notes) == [
        f"warning: {clip / 'video.poses.npz'}: the floor makes the person 1.50 times the estimate's size (a child, or "
        "the camera's place wrong: its height above the floor, its tilt?)"]
    rolled = refine_video(replace(job, camera=None, camera_place=(height, 0.0, 30.0), out=clip / "rolled"))
    assert floor_warnings(rolled.notes) == [
        f"warning: {clip / 'video.poses.npz'}: the person's mean axis (ankles to thorax) leans 30 degrees from the "
        "vertical of --camera-tilt 0,30: is the tilt right (the pitch: degrees the camera looks down; the roll: positive "
        "where the horizon rises to the right)?"]
    with pytest.raises(InputError, match=r"--camera-height and --camera-tilt place the camera that .*Calib\.toml "
                                         r"places already: pass one"):
        refine_video(replace(job, camera_place=(height, 0.0, 0.0), out=clip / "nothing"))
    with pytest.raises(InputError, match=r"--camera-height and --camera-tilt place the camera for --floor, which was "
                                         r"not given"):
        refine_video(replace(job, camera=None, camera_place=(height, 0.0, 0.0), floor_z=None, out=clip / "nothing"))
    np.savetxt(clip / "K.txt", [[80.0, 80.0, 31.5, 31.5]])
    with pytest.raises(InputError, match=r"K\.txt: a camera file of one camera, without its place in a world"):
        refine_video(replace(job, camera=CameraOptions(intrinsics=clip / "K.txt"), out=clip / "nothing"))
    assert not (clip / "nothing").exists()


def test_floor_contact_holds_the_lower_foot_on_the_floor_in_every_frame(tmp_path: Path) -> None:
    from flowpose.cli.options import with_floor_contact
    from flowpose.io.world_frame import ANKLES

    K = np.array([[170.0, 0.0, 79.5], [0.0, 170.0, 119.5], [0.0, 0.0, 1.0]])  # a portrait 160 x 240 frame
    write_video(tmp_path / "room.mp4", np.stack([room_image(K, (240, 160), 15.0, 0.0)] * 6), fps=10.0)
    world = standing_pose().astype(np.float64)[:, [0, 2, 1]] + np.array([0.0, 4.0, 0.0])  # Z up, 4 m ahead
    place = placed_frame(1.8, 15.0, 0.0)
    lifts = np.array([0.0, 0.0, 0.15, 0.15, 0.0, 0.0])  # the estimate floats 15 cm up in frames 2 and 3
    bodies = np.stack([(world + [0.0, 0.0, lift]) @ place.R.T + place.t for lift in lifts])
    save_poses(PoseSequence(joints3d=bodies, K=K, fps=10.0), tmp_path / "room.poses.npz")
    config = replace(DIS, pose=replace(DIS.pose, max_steps=200))
    job = RefineVideoJob(video=tmp_path / "room.mp4", config=config, cycles=1, progress=False, floor_z=0.0,
                         camera_place=(1.8, 15.0, 0.0), out=tmp_path / "floor")

    def lower_ankle(folder: Path) -> np.ndarray:
        joints = load_poses(folder / "refined.npz").joints3d.astype(np.float64)
        return ((joints[:, list(ANKLES)] - place.t) @ place.R)[..., 2].min(1)  # world heights, m

    alone = lower_ankle(refine_video(job).folder)
    contact = refine_video(replace(job, config=with_floor_contact(config, 0.0, True), out=tmp_path / "contact"))
    assert "floor contact: the lower ankle held 0.07 m above that floor in every frame where the estimate stands within " \
           "0.2 m of it (0 of 6 frames left free, in the air), each frame as much as its less sure ankle is seen " \
           "(--floor-contact)" in contact.notes
    held = lower_ankle(contact.folder)
    assert np.ptp(alone) > 0.1  # the floor alone scales the whole video once: the lifted frames stay up
    assert np.abs(held - 0.07).max() < 0.6 * np.abs(alone - 0.07).max()  # pulled down, against their own 2D
    floored, stood = (load_poses(f / "refined.npz").joints3d.astype(np.float64) for f in (job.out, contact.folder))
    moved = np.linalg.norm(stood - floored, axis=-1).max()
    bent = np.linalg.norm((stood - stood.mean(1, keepdims=True)) - (floored - floored.mean(1, keepdims=True)), axis=-1)
    assert moved > 0.1 and bent.max() < 0.25 * moved  # the body moved whole, its pose hardly changed
    with pytest.raises(InputError, match=r"--floor-contact holds a foot on the floor of --floor"):
        with_floor_contact(config, None, True)
    assert with_floor_contact(config, None, False) is config


def test_the_tilt_auto_reads_from_the_scene_places_as_the_tilt_given_does(tmp_path: Path) -> None:
    K = np.array([[170.0, 0.0, 79.5], [0.0, 170.0, 119.5], [0.0, 0.0, 1.0]])  # a portrait 160 x 240 frame
    write_video(tmp_path / "room.mp4", np.stack([room_image(K, (240, 160), 15.0, 0.0)] * 6), fps=10.0)
    world = standing_pose().astype(np.float64)[:, [0, 2, 1]] + np.array([0.0, 4.0, 0.0])  # Z up, 4 m ahead
    place = placed_frame(1.8, 15.0, 0.0)
    body = 1.1 * (world @ place.R.T + place.t)  # a tenth too far
    save_poses(PoseSequence(joints3d=np.repeat(body[None], 6, 0), K=K, fps=10.0), tmp_path / "room.poses.npz")
    job = RefineVideoJob(video=tmp_path / "room.mp4", config=DIS, cycles=0, progress=False, floor_z=0.0,
                         camera=CameraOptions(focal_px=170.0), camera_place=(1.8, None, None))
    auto = refine_video(job)
    told = [n for n in auto.notes if n.startswith("camera tilt:")]
    assert len(told) == 1 and re.fullmatch(r"camera tilt: read from \d+ vertical lines of the scene: looking 15\.0 "
                                           r"degrees down, rolled -?0\.0 \(the lines' bootstrap spread 0\.\d and 0\.\d "
                                           r"degrees; on the real set such readings were within 1\.1 degrees of the "
                                           r"calibration's\)", told[0]), told
    assert any("1.8 m under the camera, looking 15.0 degrees down and rolled" in n and "as its lines read (the lower ankle" in n
               for n in auto.notes)
    given = refine_video(replace(job, camera_place=(1.8, 15.0, 0.0), out=tmp_path / "given"))
    depth = np.nanmean(load_poses(auto.folder / "refined.npz").joints3d[..., 2])
    assert depth == pytest.approx(body[:, 2].mean() / 1.1, rel=0.01)  # brought back (its ankles 1 cm above the floor's)
    np.testing.assert_allclose(load_poses(auto.folder / "refined.npz").joints3d,
                               load_poses(given.folder / "refined.npz").joints3d, atol=0.01)
    for camera in (None, CameraOptions(fov_deg=60.0)):
        with pytest.raises(InputError, match=r"--camera-tilt auto reads the tilt through the camera's focal length, "
                                             r"which is not known: pass --intrinsics FILE, --focal-px F or --focal-px auto"):
            refine_video(replace(job, camera=camera, out=tmp_path / "nothing"))
    blank = tmp_path / "blank"
    blank.mkdir()
    write_video(blank / "room.mp4", np.full((6, 240, 160, 3), 128, np.uint8), fps=10.0)
    save_poses(load_poses(tmp_path / "room.poses.npz"), blank / "room.poses.npz")
    with pytest.raises(InputError, match=r"room\.mp4: --camera-tilt auto found 0 vertical lines"):
        refine_video(replace(job, video=blank / "room.mp4", out=blank / "nothing"))
    assert not (tmp_path / "nothing").exists() and not (blank / "nothing").exists()


def test_the_focal_length_and_tilt_read_from_the_scene_stand_the_person_as_the_true_ones_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flowpose.vertical_lines as lines

    original, found = lines.line_segments, []
    monkeypatch.setattr(lines, "line_segments", lambda grey: found.append(grey.shape) or original(grey))
    K = centred_K(300.0, (480, 320))
    write_video(tmp_path / "room.mp4", np.stack([room_image(K, (480, 320), 15.0, -5.0, shelves=True)] * 6), fps=10.0)
    world = standing_pose().astype(np.float64)[:, [0, 2, 1]] + np.array([0.5, 4.0, 0.0])  # Z up, 4 m ahead
    place = placed_frame(1.8, 15.0, -5.0)
    body = 1.2 * (world @ place.R.T + place.t)  # a fifth too far
    save_poses(PoseSequence(joints3d=np.repeat(body[None], 6, 0), K=K, fps=10.0), tmp_path / "room.poses.npz")
    job = RefineVideoJob(video=tmp_path / "room.mp4", config=DIS, cycles=0, progress=False, floor_z=0.0,
                         camera=CameraOptions(focal_from_scene=True), camera_place=(1.8, None, None))
    auto = refine_video(job)
    assert found == [(480, 320)]  # the scene's segments found once, for the focal length and the tilt
    read = [n for n in auto.notes if n.startswith("camera: focal length")]
    assert len(read) == 1 and re.match(r"camera: focal length \d+\.\d px \(a horizontal field of view of \d+\.\d "
                                       r"degrees\) read from the scene's lines, \d+ vertical and \d+ horizontal", read[0])
    refined = load_poses(auto.folder / "refined.npz")
    assert refined.K[0, 0] == pytest.approx(300.0, rel=0.05)  # the video's compression blurs the drawn lines
    truth = refine_video(replace(job, camera=None, camera_place=(1.8, 15.0, -5.0), out=tmp_path / "true"))
    np.testing.assert_allclose(np.nanmedian(refined.joints3d, axis=(0, 1)),
                               np.nanmedian(load_poses(truth.folder / "refined.npz").joints3d, axis=(0, 1)), atol=0.1)
    assert np.nanmedian(refined.joints3d[..., 2]) == pytest.approx(body[:, 2].mean() / 1.2, rel=0.03)


def test_the_flow_is_kept_only_to_draw_the_overlay(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flowpose.app.refine_video as module

    real, kept = module.run_refine, []

    def recorded(*args, keep_flow: bool, **kwargs):
        result = real(*args, keep_flow=keep_flow, **kwargs)
        kept.append(result.flow is not None)
        return result

    monkeypatch.setattr(module, "run_refine", recorded)
    plain = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=1, progress=False, out=clip / "a"))
    drawn = refine_video(RefineVideoJob(video=clip / "video.mp4", config=DIS, cycles=1, progress=False, out=clip / "b",
                                        overlay=True))
    assert kept == [False, True]
    assert "overlay.mp4" not in plain.names and "overlay.mp4" in drawn.names and (drawn.folder / "overlay.mp4").exists()


def test_auto_parts_are_told_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowpose.flow.classical import DISFlow
    from flowpose.refinement.memory import refine_memory

    frames = 12
    rng = np.random.default_rng(5)
    texture = rng.uniform(0, 255, (SIZE + 2 * frames, SIZE + 2 * frames, 3)).astype(np.uint8)
    write_video(tmp_path / "long.mp4", np.stack([texture[4:4 + SIZE, 2 * t:2 * t + SIZE] for t in range(frames)]), fps=10.0)
    body = rng.uniform(-0.25, 0.25, (17, 3)) * np.array([1.0, 2.0, 0.3]) + np.array([0.0, 0.0, 2.5])
    poses = PoseSequence(joints3d=np.repeat(body[None], frames, 0), K=np.array([[80.0, 0, 31.5], [0, 80.0, 31.5], [0, 0, 1]]),
                         fps=10.0)
    save_poses(poses, tmp_path / "long.poses.npz")
    auto = replace(DIS, part_frames="auto", part_overlap=2)
    need = refine_memory(poses, (SIZE, SIZE), auto, [DISFlow()], keep_flow=False)
    monkeypatch.setattr("flowpose.api.available_memory_bytes", lambda: need.bytes(frames, 8))
    output = refine_video(RefineVideoJob(video=tmp_path / "long.mp4", config=auto, cycles=0, progress=False))
    told = [n for n in output.notes if n.startswith("refined in ")]
    assert len(told) == 1 and re.fullmatch(r"refined in \d parts of up to \d frames, sharing 2 where they meet: frames 0-.*-11 "
                                           r"\(--part-frames auto: the longest parts the memory available holds\)", told[0])
    monkeypatch.setattr("flowpose.api.available_memory_bytes", lambda: 2**40)
    whole = refine_video(RefineVideoJob(video=tmp_path / "long.mp4", config=auto, cycles=0, progress=False,
                                        out=tmp_path / "whole"))
    assert not any(n.startswith("refined in ") for n in whole.notes)  # it fits: refined whole, nothing told
