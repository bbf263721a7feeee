"""Tests of flowpose.app.batch: many videos, resumed, one failing, locally in parallel and on Ray's local mode."""

from __future__ import annotations

import csv
import os
import re
import signal
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import flowpose.app.batch
from flowpose.app.batch import SUMMARY, batch_folder, default_jobs, read_inputs, run_batch, write_summary
from flowpose.app.refine_video import RefineVideoJob
from flowpose.camera_place import placed_frame
from flowpose.errors import InputError
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.outdir import MANIFEST
from flowpose.io.poses import load_poses, save_poses
from flowpose.io.video_writer import write_video
from flowpose.pose import PoseSequence
from flowpose.scene_focal import centred_K
from tests.app.test_refine_video import DIS
from tests.conftest import standing_pose
from tests.room import room_image

T, SIZE = 5, 48


def make_video(folder: Path, name: str, frames_in_poses: int = T) -> Path:
    rng = np.random.default_rng(len(name))
    texture = rng.uniform(0, 255, (SIZE + 2 * T, SIZE + 2 * T, 3)).astype(np.uint8)
    video = folder / f"{name}.mp4"
    write_video(video, np.stack([texture[2 : 2 + SIZE, 2 * t : 2 * t + SIZE] for t in range(T)]), fps=10.0)
    body = rng.uniform(-0.2, 0.2, (17, 3)) + np.array([0.0, 0.0, 2.5])
    K = np.array([[60.0, 0, 23.5], [0, 60.0, 23.5], [0, 0, 1]])
    save_poses(PoseSequence(joints3d=np.repeat(body[None], frames_in_poses, 0), K=K, fps=10.0),
               folder / f"{name}.poses.npz")
    return video


@pytest.fixture
def videos(tmp_path: Path) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir()
    make_video(folder, "a")
    make_video(folder, "b")
    make_video(folder, "bad", frames_in_poses=T + 3)  # poses and video disagree
    return folder


def rows_by_name(rows):
    return {Path(r["video"]).stem: r for r in rows}


def test_failure_is_reported_the_rest_go_on_and_a_rerun_resumes(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    items = read_inputs(videos, out)
    assert [i.out.name for i in items] == ["a", "b", "bad"]
    job = RefineVideoJob(video=videos, config=DIS, cycles=0)
    rows = rows_by_name(run_batch(items, job))
    assert rows["a"]["status"] == rows["b"]["status"] == "done"
    assert rows["a"]["frames"] == str(T) and rows["a"]["accel_final"] != ""
    assert rows["bad"]["status"] == "failed" and "frames" in rows["bad"]["error"]
    assert (out / "a" / "refined.npz").is_file() and not (out / "bad").exists()
    write_summary(out / SUMMARY, list(rows.values()))
    with (out / SUMMARY).open() as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["done", "done", "failed"]
    before = (out / "a" / "refined.npz").stat().st_mtime_ns
    again = rows_by_name(run_batch(items, job))
    assert again["a"]["status"] == "skipped (done before)" and again["a"]["frames"] == str(T)
    assert (out / "a" / "refined.npz").stat().st_mtime_ns == before  # not redone
    assert again["bad"]["status"] == "failed"  # retried, fails again
    write_summary(out / SUMMARY, list(again.values()))  # an earlier summary is replaced


def test_a_video_without_poses_is_told_where_batch_looks_for_them(videos: Path, tmp_path: Path) -> None:
    (videos / "a.poses.npz").rename(tmp_path / "elsewhere.npz")
    rows = rows_by_name(run_batch(read_inputs(videos, tmp_path / "out"), RefineVideoJob(video=videos, config=DIS,
                                                                                        cycles=0)))
    assert rows["a"]["status"] == "failed" and rows["b"]["status"] == "done"
    # batch has no --poses or --estimate (refine's advice): the places it reads, and the command that fills them
    assert rows["a"]["error"] == (f"InputError: {videos / 'a.mp4'}: no poses: put them in {videos / 'a.poses.npz'} "
                                  f"(flowpose estimate {videos / 'a.mp4'} writes them; with --all-people, "
                                  f"{videos / 'a.people'}/ for everyone), or name them on the video's line of a "
                                  "manifest")


def deprecated_then_refined(job):  # noqa: ANN001, ANN201 - refine_video's stand-in
    warnings.warn("old API", DeprecationWarning, stacklevel=1)  # a library's, for developers: not a video's note
    return REAL_REFINE_VIDEO(job)


def warns_then_refined(job):  # noqa: ANN001, ANN201 - refine_video's stand-in
    warnings.warn("the same warning from the same line", UserWarning, stacklevel=1)
    return REAL_REFINE_VIDEO(job)


def test_what_the_refinement_warns_is_said_of_each_video_even_when_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    for name in ("a", "b"):
        make_video(folder, name)
        poses = load_poses(folder / f"{name}.poses.npz")
        joints3d = poses.joints3d.copy()
        joints3d[:, 10] = np.nan  # the head, never observed: kept on the neck, told as a note, not a warning
        save_poses(replace(poses, joints3d=joints3d), folder / f"{name}.poses.npz")
    items = read_inputs(folder, tmp_path / "out")
    monkeypatch.setattr(flowpose.app.batch, "refine_video", warns_then_refined)  # one line, warned in one process
    rows = rows_by_name(run_batch(items, RefineVideoJob(video=folder, config=DIS, cycles=1), jobs=1))
    monkeypatch.undo()
    for name in ("a", "b"):
        assert rows[name]["status"] == "done"
        told = rows[name]["notes"].split(" | ")
        assert "warning: the same warning from the same line" in told, told
        assert f"{folder / name}.poses.npz: head (10) is in none of its frames, so it is kept on its nearest " \
               "observed joint, with conf 0: head (10) on neck (9)" in told, told
        assert sum("head (10) is in none" in n for n in told) == 1, told  # the API's own line not told again
    monkeypatch.setattr(flowpose.app.batch, "refine_video", deprecated_then_refined)
    rows = rows_by_name(run_batch(read_inputs(folder, tmp_path / "again"), RefineVideoJob(video=folder, config=DIS)))
    assert "head (10) is in none" in rows["a"]["notes"] and "old API" not in rows["a"]["notes"]
    monkeypatch.undo()
    make_video(folder, "c")  # nothing to tell
    rows = rows_by_name(run_batch(read_inputs(folder, tmp_path / "out"), RefineVideoJob(video=folder, config=DIS, cycles=1)))
    assert rows["c"]["status"] == "done" and "in none of its frames" not in rows["c"]["notes"]


def test_manifest_and_parallel_workers(videos: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "list.txt"
    manifest.write_text("# two videos\nvideos/a.mp4\nvideos/b.mp4 videos/b.poses.npz\n\n")
    items = read_inputs(manifest, tmp_path / "out")
    assert [i.video for i in items] == [videos / "a.mp4", videos / "b.mp4"] and items[1].poses == videos / "b.poses.npz"
    rows = run_batch(items, RefineVideoJob(video=manifest, config=DIS, cycles=0), jobs=2)
    assert [r["status"] for r in rows] == ["done", "done"]


def test_manifest_paths_with_spaces_commas_and_comments(tmp_path: Path) -> None:
    manifest = tmp_path / "list.txt"
    manifest.write_text('"my videos/take 1.mp4", "my videos/take 1.poses.npz"  # quoted\nb.mp4,b.npz\n# c.mp4\n')
    items = read_inputs(manifest, tmp_path / "out")
    assert [(i.video, i.poses, i.out) for i in items] == [
        (tmp_path / "my videos/take 1.mp4", tmp_path / "my videos/take 1.poses.npz", tmp_path / "out/take 1"),
        (tmp_path / "b.mp4", tmp_path / "b.npz", tmp_path / "out/b"),
    ]


def people_of(folder: Path, name: str, ids: tuple[int, ...]) -> Path:
    """``<name>.people/`` beside the video, one pose file per person, as ``flowpose estimate --all-people``
    writes it, and no sidecar."""
    video = make_video(folder, name)
    people = folder / f"{name}.people"
    people.mkdir()
    poses = load_poses(folder / f"{name}.poses.npz")
    (folder / f"{name}.poses.npz").unlink()
    for i in ids:
        save_poses(poses, people / f"person{i}.poses.npz")
    return video


def test_every_person_of_a_video_gets_a_results_folder(videos: Path, tmp_path: Path) -> None:
    people_of(videos, "c", (0, 10, 2))
    out = tmp_path / "out"
    items = read_inputs(videos, out)  # c has no sidecar: its people folder
    assert [(i.out.name, i.poses and i.poses.name) for i in items] == [
        ("a", None), ("b", None), ("bad", None),
        ("c.person0", "person0.poses.npz"), ("c.person2", "person2.poses.npz"), ("c.person10", "person10.poses.npz"),
    ]
    rows = run_batch(items[3:5], RefineVideoJob(video=videos, config=DIS, cycles=0))
    assert [r["status"] for r in rows] == ["done", "done"] and [r["results"] for r in rows] == [
        str(out / "c.person0"), str(out / "c.person2")]
    assert (out / "c.person0" / "refined.npz").is_file() and not (out / "c").exists()
    save_poses(load_poses(videos / "a.poses.npz"), videos / "c.poses.npz")
    assert [i.out.name for i in read_inputs(videos, out)][3:] == ["c"]  # a sidecar is the video's poses

    manifest = tmp_path / "list.txt"  # a folder of pose files, and one video on several lines
    manifest.write_text("videos/c.mp4 videos/c.people\nvideos/a.mp4\nvideos/a.mp4 videos/b.poses.npz\nvideos/b.mp4\n"
                        "videos/b.mp4 x/b.p1.poses.npz\n")
    assert [i.out.name for i in read_inputs(manifest, out)] == [
        "c.person0", "c.person2", "c.person10", "a.poses", "a.b", "b.poses", "b.p1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.mp4 b.npz c.npz d.npz\n", r"list\.txt:1: expected 'VIDEO \[POSES \[GT\]\]'"),
        ("- a.npz\n", r"list\.txt:1: expected a video first, got '-'"),
        ("a.mp4 people gt.npz\n", r"list\.txt:1: a ground truth is one person's, and .*people holds several"),
        ('"a.mp4\n', r"list\.txt:1: No closing quotation"),
        ("x/a.mp4\ny/a.mp4\n", r"would both write .*out/a;"),
        ("a.mp4 x/p.poses.npz\na.mp4 y/p.poses.npz\n", r"a\.mp4 \(poses .*x/p\.poses\.npz\) and .*would both write .*out/a\.p;"),
        ("a.mp4\na.mp4\n", r"would both write .*out/a\.poses;"),
        ("a.mp4 x\n", r"x: no pose files in it \(expected \*\.poses\.npz or \*\.poses\.json"),
    ],
)
def test_a_manifest_that_cannot_be_refined_is_refused(tmp_path: Path, text: str, message: str) -> None:
    for folder in ("x", "y", "people"):
        (tmp_path / folder).mkdir()
    (tmp_path / "people" / "person0.poses.npz").write_bytes(b"")
    (tmp_path / "list.txt").write_text(text)
    with pytest.raises(InputError, match=message):
        read_inputs(tmp_path / "list.txt", tmp_path / "out")


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder or manifest"):
        read_inputs(tmp_path / "nothing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no videos"):
        read_inputs(tmp_path / "empty", tmp_path / "out")
    (tmp_path / "list.bin").write_bytes(bytes(range(256)))
    with pytest.raises(InputError, match=r"list\.bin: not a manifest \(a UTF-8 text file"):
        read_inputs(tmp_path / "list.bin", tmp_path / "out")
    (tmp_path / "clip.MOV").write_bytes(b"\x00\x00\x00\x14ftypqt  ")
    with pytest.raises(InputError, match=r"clip\.MOV: is a video; .*flowpose refine .*clip\.MOV"):
        read_inputs(tmp_path / "clip.MOV", tmp_path / "out")
    (tmp_path / "summary.csv").write_text("my own table\n")
    with pytest.raises(InputError, match="not a flowpose batch summary"):
        write_summary(tmp_path / "summary.csv", [])
    assert (tmp_path / "summary.csv").read_text() == "my own table\n"


@pytest.mark.slow
def test_ray_on_a_local_cluster(videos: Path, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is the optional extra flowpose[cluster]; not installed here")
    items = read_inputs(videos, tmp_path / "out")
    try:
        rows = rows_by_name(run_batch(items, RefineVideoJob(video=videos, config=DIS, cycles=0), ray_address="local"))
    finally:
        ray.shutdown()
    assert rows["a"]["status"] == rows["b"]["status"] == "done" and rows["bad"]["status"] == "failed"


def test_a_stop_on_ray_removes_what_the_videos_not_done_had_begun(
    videos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowpose.io.stops import Stopped

    items = read_inputs(videos, tmp_path / "out")
    (tmp_path / "out").mkdir()
    left = tmp_path / "out" / ".b.flowpose-tmp-x1y2"  # as a task killed by force leaves it (ray_tasks)
    mine = tmp_path / "out" / ".b.notes"  # not flowpose's: kept

    def stopped(fn, todo, address, on_error):  # noqa: ANN001, ANN202 - run_on_ray's arguments
        left.mkdir()
        (left / "refined.npz").write_bytes(b"half")
        mine.write_text("mine")
        yield 0, fn(todo[0])
        raise Stopped(signal.SIGTERM)

    monkeypatch.setattr(flowpose.app.batch, "run_on_ray", stopped)
    with pytest.raises(Stopped):
        run_batch(items, RefineVideoJob(video=videos, config=DIS, cycles=0), ray_address="local")
    assert not left.exists() and mine.read_text() == "mine" and (tmp_path / "out" / "a" / MANIFEST).exists()


def test_a_cluster_not_reached_is_one_error_before_the_results_folder_is_made(
    videos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = RefineVideoJob(video=videos, config=DIS, cycles=0)
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # Ray not installed: import fails
    with pytest.raises(InputError, match=r"--ray needs Ray: pip install \"flowpose\[cluster\]\""):
        batch_folder(videos, tmp_path / "out", job, ray_address="local")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_no_running_ray_cluster_is_one_error(videos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray", reason="Ray is the optional extra flowpose[cluster]; not installed here")
    if ray.is_initialized():
        ray.shutdown()
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path / "ray"))  # no cluster's address file to find there
    # nor a cluster's processes: --ray auto also looks for a running GCS server, and would reach a local cluster
    # another test starts beside this one (pytest -n 2), or one the developer runs
    def no_gcs_process() -> list:
        return []

    no_gcs_process.cache_clear = lambda: None  # type: ignore[attr-defined]  # Ray clears the search's cache
    monkeypatch.setattr("ray._private.services.find_gcs_addresses", no_gcs_process)
    with pytest.raises(InputError, match=r"--ray auto: no Ray cluster reached \(ConnectionError: "):
        batch_folder(videos, tmp_path / "out", RefineVideoJob(video=videos, config=DIS, cycles=0), ray_address="auto")
    assert not (tmp_path / "out").exists()


def test_batch_folder_checks_before_any_video_and_writes_the_summary(videos: Path, tmp_path: Path) -> None:
    job = RefineVideoJob(video=videos, config=DIS, cycles=0)
    (tmp_path / "file").write_text("mine")
    with pytest.raises(InputError, match="exists and is not a folder"):
        batch_folder(videos, tmp_path / "file", job)
    assert (tmp_path / "file").read_text() == "mine"
    with pytest.raises(InputError, match="--cycles"):
        batch_folder(videos, tmp_path / "never", RefineVideoJob(video=videos, config=DIS, cycles=-1))
    assert not (tmp_path / "never").exists()
    rows = batch_folder(videos, tmp_path / "out", job, jobs=1)
    assert [r["status"] for r in rows].count("failed") == 1
    with open(tmp_path / "out" / SUMMARY, newline="") as f:
        assert [r["video"] for r in csv.DictReader(f)] == [r["video"] for r in rows]
    assert 1 <= default_jobs() <= 4


def test_a_folder_of_the_user_s_where_a_result_would_go_is_left_alone(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "notes.txt").write_text("mine")
    (out / "b").mkdir()
    (out / "b" / MANIFEST).write_text("{}")  # a manifest and a history, but no poses: not a finished result
    (out / "b" / "history.json").write_text("[]")
    rows = rows_by_name(run_batch(read_inputs(videos, out), RefineVideoJob(video=videos, config=DIS, cycles=0)))
    for name in ("a", "b"):
        assert rows[name]["status"] == "failed"
        assert "exists and is not a finished flowpose result; batch replaces nothing" in rows[name]["error"]
        assert "--overwrite" not in rows[name]["error"]  # batch has no such option
    assert (out / "a" / "notes.txt").read_text() == "mine" and sorted(p.name for p in (out / "b").iterdir()) == [
        MANIFEST, "history.json"]


def killed_on_bad(item, job):  # noqa: ANN001, ANN201 - run_item's stand-in, forked into the workers
    if item.out.name == "bad":
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer ends a worker
    return REAL_RUN_ITEM(item, job)


REAL_RUN_ITEM = flowpose.app.batch.run_item
REAL_REFINE_VIDEO = flowpose.app.batch.refine_video


def test_a_killed_worker_fails_the_videos_not_done_and_the_summary_is_written(
    videos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flowpose.app.batch, "run_item", killed_on_bad)
    out = tmp_path / "out"
    rows = rows_by_name(batch_folder(videos, out, RefineVideoJob(video=videos, config=DIS, cycles=0), jobs=2))
    assert rows["bad"]["status"] == "failed"
    lost = "a worker process ended abruptly (killed by the system: out of memory?)"
    assert lost in rows["bad"]["error"] and "run again to retry it" in rows["bad"]["error"]
    for name in ("a", "b"):  # done before the pool broke, or lost with it
        assert rows[name]["status"] == "done" or lost in rows[name]["error"]
    with (out / SUMMARY).open() as f:
        assert sorted(Path(r["video"]).stem for r in csv.DictReader(f)) == ["a", "b", "bad"]


def test_ground_truth_on_a_manifest_line_is_scored_in_the_summary(videos: Path, tmp_path: Path) -> None:
    truth = load_poses(videos / "a.poses.npz")  # the initial poses as the truth: cycle 0 scores 0
    np.savez(tmp_path / "gt_a.npz", joints3d=truth.joints3d)
    manifest = tmp_path / "list.txt"
    manifest.write_text("videos/a.mp4 - gt_a.npz\nvideos/b.mp4\n")
    items = read_inputs(manifest, tmp_path / "out")
    assert [(i.poses, i.gt) for i in items] == [(None, tmp_path / "gt_a.npz"), (None, None)]
    rows = run_batch(items, RefineVideoJob(video=manifest, config=DIS, cycles=1))
    assert [r["status"] for r in rows] == ["done", "done"]
    assert rows[0]["mpjpe_init"] == "0.00" and float(rows[0]["mpjpe_final"]) > 0 and rows[0]["pa_mpjpe_init"] == "0.00"
    assert rows[1]["mpjpe_init"] == rows[1]["mpjpe_final"] == ""  # no ground truth: no scores
    again = run_batch(items, RefineVideoJob(video=manifest, config=DIS, cycles=1))  # read back from history.json
    assert again[0]["status"] == "skipped (done before)" and again[0]["mpjpe_final"] == rows[0]["mpjpe_final"]


def test_a_summary_of_an_earlier_version_keeps_its_notes_on_resuming(tmp_path: Path) -> None:
    from flowpose.app.batch import earlier_notes

    earlier = tmp_path / "summary.csv"  # before the ground truth's columns
    earlier.write_text("video,status,frames,cycles,seconds,accel_init,accel_final,results,error,notes\n"
                       "v.mp4,done,5,0,1.0,,,out/v,,a note\n")
    assert earlier_notes(earlier) == {"out/v": "a note"}
    write_summary(earlier, [{"video": "v.mp4", "status": "skipped (done before)", "notes": "a note"}])
    with open(earlier, newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["notes"] == "a note" and "mpjpe_final" in row


def test_a_summary_written_before_notes_were_kept_is_replaced_on_resuming(tmp_path: Path) -> None:
    earlier = tmp_path / "summary.csv"
    earlier.write_text("video,status,frames,cycles,seconds,accel_init,accel_final,results,error\nv.mp4,done,5,0,1.0,,,"
                       "out/v,\n")  # the header of summaries before the notes column
    write_summary(earlier, [{"video": "v.mp4", "status": "skipped (done before)", "notes": "a note"}])
    with open(earlier, newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["status"] == "skipped (done before)" and row["notes"] == "a note"


def test_each_video_gets_the_camera_named_as_it_and_stands_on_the_floor(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    tables, heights = [], {}
    for name in ("cam01", "cam02"):
        make_video(folder, name)
        poses = load_poses(folder / f"{name}.poses.npz")
        joints = poses.joints3d.copy()
        joints[:, 8] = (joints[:, 3] + joints[:, 6]) / 2 - np.array([0.0, 0.5, 0.0])  # the thorax above the ankles
        poses = poses.with_joints3d(joints)
        save_poses(poses.with_joints3d(joints + np.array([0.0, 0.5, 0.0])), folder / f"{name}.poses.npz")
        lowest = float(poses.joints3d[0, [3, 6], 1].max()) + 0.5  # y down: half a metre below the camera's axis
        height = heights[name] = 0.07 + 1.2 * lowest  # a level camera this high: the person is a sixth too near
        tables.append(f'[{name}]\nname = "{name}"\nmatrix = [[60.0, 0.0, 23.5], [0.0, 60.0, 23.5], [0.0, 0.0, 1.0]]\n'
                      f"rotation = [{np.pi / 2}, 0.0, 0.0]\ntranslation = [0.0, {height}, 0.0]\n")
    (tmp_path / "Calib.toml").write_text("\n".join(tables))
    job = RefineVideoJob(video=folder, config=DIS, cycles=0, camera=CameraOptions(intrinsics=tmp_path / "Calib.toml"),
                         floor_z=0.0)
    rows = rows_by_name(batch_folder(folder, tmp_path / "out", job, jobs=1))
    for name in ("cam01", "cam02"):
        assert rows[name]["status"] == "done", rows[name]
        assert f"floor: the person scaled by 1.200 about camera {name} to stand on the floor" in rows[name]["notes"]
        given = load_poses(folder / f"{name}.poses.npz").joints3d
        refined = load_poses(tmp_path / "out" / name / "refined.npz").joints3d
        assert np.nanmean(refined[..., 2]) == pytest.approx(1.2 * np.nanmean(given[..., 2]), rel=0.01)
    make_video(folder, "cam03")  # no camera of that name: told before any video is refined
    with pytest.raises(InputError, match=r"Calib\.toml: holds 2 cameras \(cam01, cam02\), none named as the video "
                                         r"cam03\.mp4: batch takes each video's camera by the video's name"):
        batch_folder(folder, tmp_path / "again", job, jobs=1)
    assert not (tmp_path / "again").exists()
    with pytest.raises(InputError, match=r"--floor needs the camera's place above the floor: --intrinsics CALIBRATION"):
        batch_folder(folder, tmp_path / "again", replace(job, camera=None), jobs=1)
    (folder / "cam03.mp4").unlink()
    (folder / "cam03.poses.npz").unlink()
    with pytest.raises(InputError, match=r"--camera-height and --camera-tilt place the camera that .*Calib\.toml places"):
        batch_folder(folder, tmp_path / "again", replace(job, camera_place=(1.5, 0.0, 0.0)), jobs=1)
    assert not (tmp_path / "again").exists()
    # One tripod for every video, as the user measured it: cam01's place, level.
    placed = replace(job, camera=None, camera_place=(heights["cam01"], 0.0, 0.0))
    rows = rows_by_name(batch_folder(folder, tmp_path / "placed", placed, jobs=1))
    assert (f"floor: the person scaled by 1.200 about camera cam01 to stand on the floor {heights['cam01']:g} m under "
            "the camera, looking 0 degrees down and rolled 0") in rows["cam01"]["notes"]
    assert "about camera cam02 to stand on the floor" in rows["cam02"]["notes"]
    np.testing.assert_allclose(load_poses(tmp_path / "placed" / "cam01" / "refined.npz").joints3d,
                               load_poses(tmp_path / "out" / "cam01" / "refined.npz").joints3d, atol=1e-6)


def test_each_video_reads_its_own_focal_length_and_tilt_from_its_scene(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    K = centred_K(300.0, (480, 320))
    for name, pitch in (("a", 15.0), ("b", 22.0)):  # one tripod's height, two tilts
        write_video(folder / f"{name}.mp4", np.stack([room_image(K, (480, 320), pitch, 0.0, shelves=True)] * 6),
                    fps=10.0)
        place = placed_frame(1.8, pitch, 0.0)
        body = 1.2 * (standing_pose().astype(np.float64)[:, [0, 2, 1]] + np.array([0.0, 4.0, 0.0])) @ place.R.T
        body += 1.2 * place.t
        save_poses(PoseSequence(joints3d=np.repeat(body[None], 6, 0), K=K, fps=10.0), folder / f"{name}.poses.npz")
    job = RefineVideoJob(video=folder, config=DIS, cycles=0, floor_z=0.0, camera=CameraOptions(focal_from_scene=True),
                         camera_place=(1.8, None, None))
    rows = rows_by_name(batch_folder(folder, tmp_path / "out", job, jobs=1))
    for name, pitch in (("a", 15), ("b", 22)):
        assert rows[name]["status"] == "done", rows[name]
        assert "camera: focal length" in rows[name]["notes"] and "read from the scene's lines" in rows[name]["notes"]
        read = re.search(r"1\.8 m under the camera, looking (\d+\.\d) degrees down", rows[name]["notes"])
        assert read is not None and float(read.group(1)) == pytest.approx(pitch, abs=0.5), rows[name]["notes"]
        assert load_poses(tmp_path / "out" / name / "refined.npz").K[0, 0] == pytest.approx(300.0, rel=0.05)
