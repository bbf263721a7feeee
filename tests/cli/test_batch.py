"""``flowpose batch``: a failure reported, the rest refined, a rerun resumes."""

from __future__ import annotations

from pathlib import Path

from tests.cli.common import assert_user_error, run


def test_batch_reports_a_failure_and_resumes(tmp_path: Path) -> None:
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    make_video(tmp_path / "v", "bad", frames_in_poses=9)
    args = ("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1")
    result = run(*args)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "failed" in result.stdout and "1 of 2 videos" in result.stdout
    assert (tmp_path / "out" / "good" / "refined.npz").is_file() and (tmp_path / "out" / "summary.csv").is_file()
    again = run(*args)
    assert "skipped (done before)" in again.stdout
    assert_user_error(run("batch", tmp_path / "nothing", "--out", tmp_path / "o"), "no such folder or manifest")


def test_the_current_folder_and_a_single_video(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    video = make_video(tmp_path / "v", "good")
    monkeypatch.chdir(tmp_path / "v")  # `flowpose batch .` in the folder of the videos: '.' has no name of its own
    result = run("batch", ".", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    assert (tmp_path / "out" / "good" / "refined.npz").is_file()
    one = run("batch", video, "--out", tmp_path / "one")  # a video, not a folder of them: was a UnicodeDecodeError
    assert_user_error(one, f"{video}: is a video; batch takes a folder of videos or a manifest",
                      f"flowpose refine {video}")
    assert not (tmp_path / "one").exists()


def test_jobs_is_refused_with_ray(tmp_path: Path) -> None:
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--ray", "local", "--jobs", "2")
    assert_user_error(result, "--jobs: not used with --ray")
    assert not (tmp_path / "out").exists()


def test_a_stopped_batch_says_what_was_refined(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import signal

    import flowpose.app.batch
    from flowpose.io.stops import Stopped

    def stopped_after_one(source, out_dir, job, *, jobs, ray_address, report, tell):  # noqa: ANN001, ANN202
        report({"video": "a.mp4", "status": "done", "seconds": "1.0", "error": "", "results": "out/a"})
        report({"video": "b.mp4", "status": "failed", "seconds": "1.0", "error": "ValueError: bad", "results": "out/b"})
        raise Stopped(signal.SIGTERM)

    monkeypatch.setattr(flowpose.app.batch, "batch_folder", stopped_after_one)
    result = run("batch", tmp_path, "--out", tmp_path / "out")
    assert result.exit_code == 128 + signal.SIGTERM
    assert result.stderr.strip().splitlines() == [
        f"error: stopped by SIGTERM; the 1 video(s) refined before it are in {tmp_path / 'out'}, the others were "
        "not written (run the same command again to go on)"
    ]


def test_fps_gives_every_video_its_rate(tmp_path: Path) -> None:
    from flowpose.io.poses import load_poses
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1",
                 "--fps", "12.5")
    assert result.exit_code == 0, (result.output, result.exception)
    assert load_poses(tmp_path / "out" / "good" / "refined.npz").fps == 12.5
    assert_user_error(run("batch", tmp_path / "v", "--out", tmp_path / "o", "--fps", "0"), "--fps")


def test_each_video_s_notes_are_told_and_kept_in_the_summary(tmp_path: Path) -> None:
    import csv

    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")  # poses at 10 fps
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1",
                 "--fps", "12.5")
    assert result.exit_code == 0, (result.output, result.exception)
    note = (f"{tmp_path / 'v' / 'good.poses.npz'}: 10 fps (its fps; 30 where it gives none), but "
            f"{tmp_path / 'v' / 'good.mp4'} plays at 12.5: the video's rate is used")
    lines = result.stdout.splitlines()
    told = [k for k, line in enumerate(lines) if note in line]
    assert told and lines[told[0] - 1].lstrip().startswith("done"), result.stdout  # under its video's line
    with open(tmp_path / "out" / "summary.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert note in row["notes"]
    again = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1",
                "--fps", "12.5")  # resumed: the video is skipped, and what was said of it is kept, and said again
    assert "skipped (done before)" in again.stdout and note in again.stdout
    with open(tmp_path / "out" / "summary.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["status"] == "skipped (done before)" and note in row["notes"]


def test_every_person_of_a_video_is_refined_and_named(tmp_path: Path) -> None:
    from tests.app.test_batch import make_video, people_of

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "solo")
    people_of(tmp_path / "v", "duo", (0, 1))
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"{tmp_path / 'v' / 'duo.mp4'} as duo.person1 (" in result.stdout
    assert f"{tmp_path / 'v' / 'solo.mp4'} (" in result.stdout
    assert "3 of 3 pose files (2 videos) refined or done before" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["duo.person0", "duo.person1", "solo", "summary.csv"]


def test_a_manifest_s_ground_truth_is_scored_on_the_video_s_line(tmp_path: Path) -> None:
    import numpy as np

    from flowpose.io.poses import load_poses
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    np.savez(tmp_path / "gt.npz", joints3d=load_poses(tmp_path / "v" / "good.poses.npz").joints3d)
    (tmp_path / "list.txt").write_text("v/good.mp4 - gt.npz\n")
    result = run("batch", tmp_path / "list.txt", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "1",
                 "--jobs", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    (line,) = [s for s in result.stdout.splitlines() if "good.mp4" in s]
    assert ", MPJPE 0.00 -> " in line and line.endswith(" mm)"), line
    final = float(line.split(" -> ")[1].split(" mm")[0])
    assert result.stdout.splitlines()[-1].startswith(f"against their ground truth, the mean of 1: MPJPE 0.0 -> {final:.1f} mm")


def test_what_the_shared_settings_mean_is_said_once(tmp_path: Path) -> None:
    import csv

    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "a")
    make_video(tmp_path / "v", "b")
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "2", "--jobs", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.stdout.splitlines()
    said = [k for k, line in enumerate(lines) if "is not fine-tuned, so cycle 2 repeats cycle 1" in line]
    assert said == [0] and lines[1].lstrip().startswith("done"), result.stdout  # once, before the videos' rows
    with open(tmp_path / "out" / "summary.csv", newline="") as f:
        assert not [r for r in csv.DictReader(f) if "repeat cycle 1" in r["notes"]]


def test_without_flow_gives_every_video_the_baseline(tmp_path: Path) -> None:
    import json

    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "1", "--jobs", "1",
                 "--without-flow")
    assert result.exit_code == 0, (result.output, result.exception)
    assert json.loads((tmp_path / "out" / "good" / "history.json").read_text())[1]["losses"]["flow"] == 0.0


def test_fewer_videos_at_once_where_memory_is_short_is_said(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import flowpose.app.batch
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    for name in ("a", "b"):
        make_video(tmp_path / "v", name)
    monkeypatch.setattr(flowpose.app.batch, "available_memory_bytes", lambda: 2**20)  # 1 MB: one at a time
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "2")
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("memory: refining 2 of these videos at once may take about 0.8 GB, and 0.0 GB is "
                               "available: refining 1 at once"), lines
    assert "2 of 2 videos refined" in lines[-1]


def test_a_calibration_gives_every_video_its_camera(tmp_path: Path) -> None:
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    for name in ("a", "b"):
        make_video(tmp_path / "v", name)
    (tmp_path / "K.txt").write_text("70 70 23.5 23.5\n")  # one camera: every video's
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1",
                 "--intrinsics", tmp_path / "K.txt")
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout.count("camera: the given K (fx 70.0, fy 70.0, cx 23.5, cy 23.5 px) replaces") == 2
    assert_user_error(run("batch", tmp_path / "v", "--out", tmp_path / "o2", "--floor", "0"),
                      "--floor needs the camera's place above the floor", "--camera-height M")
    assert_user_error(run("batch", tmp_path / "v", "--out", tmp_path / "o2", "--camera-height", "1.5"),
                      "--camera-height needs --camera-tilt PITCH[,ROLL]")
    assert_user_error(run("batch", tmp_path / "v", "--out", tmp_path / "o2", "--floor-contact"),
                      "--floor-contact holds a foot on the floor of --floor", "which was not given")
    assert_user_error(run("batch", tmp_path / "v", "--out", tmp_path / "o3", "--floor", "0", "--intrinsics",
                          tmp_path / "K.txt"), "K.txt", "a camera file of one camera, without its place in a world")
    result = run("batch", tmp_path / "v", "--out", tmp_path / "focal", "--flow", "dis", "--cycles", "0", "--jobs", "1",
                 "--focal-px", "70")
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout.count("camera: the given K (fx 70.0, fy 70.0, cx 23.5, cy 23.5 px) replaces") == 2
    assert_user_error(run("batch", tmp_path / "v", "--out", tmp_path / "o2", "--focal-px", "70", "--intrinsics",
                          tmp_path / "K.txt"), "--intrinsics and --focal-px both give the camera: pass one")
    assert_user_error(run("batch", tmp_path / "v", "--out", tmp_path / "o2", "--focal-px", "wide"),
                      "expected a focal length in pixels or auto, got 'wide'")
    assert not (tmp_path / "o2").exists() and not (tmp_path / "o3").exists()
