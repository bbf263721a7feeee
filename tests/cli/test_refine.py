"""``flowpose refine``: every bad input is one line on stderr and exit code 2, nothing is written, inputs are
left alone; a tiny clip refines end to end, joints or SMPL parameters."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.io.video_writer import write_video
from tests.cli.common import T, assert_user_error, bad_poses, body, refine_args, run, snapshot
from tests.io.test_video import VFR_TIMES, rotated_mp4, variable_rate_mp4


@pytest.mark.parametrize(
    "case",
    [
        "missing_video",
        "corrupt_video",
        "truncated_video",
        "frame_count",
        "wrong_shape",
        "nan_only",
        "unknown_skeleton",
        "no_poses",
        "unknown_flow",
        "missing_weights",
        "missing_poses_file",
        "bad_start",
        "estimate_and_poses",
        "gt_mismatch",
        "bad_device",
        "too_few_frames",
        "mesh_option_without_smpl",
        "without_flow_with_smpl",
        "estimator_option_without_estimate",
        "floor_without_calibration",
        "floor_with_smpl",
        "contact_without_floor",
        "contact_with_smpl",
        "tilt_without_height",
        "height_without_tilt",
        "bad_tilt",
        "auto_tilt_without_focal",
        "auto_tilt_under_the_floor",
        "camera_under_the_floor",
        "place_with_smpl",
        "parts_too_short",
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(work: Path, case: str) -> None:
    video = work / "video.mp4"
    if case == "missing_video":
        args, needles = refine_args(work, "--poses", work / "video.poses.npz"), ["nope.mp4", "no such video"]
        args[1] = work / "nope.mp4"
    elif case == "corrupt_video":
        (work / "corrupt.mp4").write_bytes(os.urandom(4000))
        args, needles = refine_args(work, "--poses", work / "video.poses.npz"), ["corrupt.mp4"]
        args[1] = work / "corrupt.mp4"
    elif case == "truncated_video":
        data = video.read_bytes()
        (work / "cut.mp4").write_bytes(data[: len(data) // 3])
        args, needles = refine_args(work, "--poses", work / "video.poses.npz"), ["cut.mp4"]
        args[1] = work / "cut.mp4"
    elif case == "frame_count":
        with np.load(work / "video.poses.npz") as d:
            short = {k: (d[k][:-1] if d[k].ndim >= 2 and k != "K" else d[k]) for k in d.files}
        np.savez(work / "short.npz", **short)
        args, needles = refine_args(work, "--poses", work / "short.npz"), ["short.npz", "7 frames", "has 8"]
    elif case == "wrong_shape":
        p = bad_poses(work, "flat.npz", joints3d=np.zeros((T, 17, 2), np.float32))
        args, needles = refine_args(work, "--poses", p), ["flat.npz", "joints3d must have shape"]
    elif case == "nan_only":
        p = bad_poses(work, "nan.npz", joints3d=np.full((T, 17, 3), np.nan, np.float32))
        args, needles = refine_args(work, "--poses", p), ["nan.npz", "no observed joint"]
    elif case == "unknown_skeleton":
        p = bad_poses(work, "skel.npz", skeleton=np.str_("smpl99"))
        args, needles = refine_args(work, "--poses", p), ["skel.npz", "unknown skeleton 'smpl99'"]
    elif case == "no_poses":
        (work / "video.poses.npz").unlink()
        args, needles = refine_args(work), ["video.mp4", "no poses", "--poses", "--estimate"]
    elif case == "unknown_flow":
        args, needles = refine_args(work), ["--flow", "unknown flow model 'dis'"]
        args[args.index("dis")] = "flownet9"
        needles[1] = "unknown flow model 'flownet9'"
    elif case == "missing_weights":
        args = refine_args(work, "--flow-weights", work / "missing.pth")
        args[args.index("dis")] = "raft-small"
        needles = ["--flow-weights", "missing.pth", "does not exist"]
    elif case == "missing_poses_file":
        args, needles = refine_args(work, "--poses", work / "absent.npz"), ["absent.npz", "no such file"]
    elif case == "bad_start":
        args, needles = refine_args(work, "--start", "20"), ["--start 20", "has 8 frames"]
    elif case == "estimate_and_poses":
        args, needles = (
            refine_args(work, "--estimate", "--poses", work / "video.poses.npz"),
            ["--estimate", "--poses"],
        )
    elif case == "gt_mismatch":
        np.savez(work / "gt.npz", joints3d=body(T + 2))
        args, needles = refine_args(work, "--gt", work / "gt.npz"), ["gt.npz", f"has {T + 2} frames", f"has {T}"]
    elif case == "too_few_frames":
        args, needles = refine_args(work, "--start", "7"), ["video.mp4", "at least 2 frames", "frames 7 to 7"]
    elif case == "without_flow_with_smpl":
        args, needles = refine_args(work, "--smpl", work / "p.npz", "--body-model", work / "m.pkl", "--without-flow"), [
            "--without-flow: not used with --smpl"]
    elif case == "mesh_option_without_smpl":
        args, needles = refine_args(work, "--export-mesh", "obj", "--sketch", "mesh"), [
            "--sketch, --export-mesh: used only with --smpl"]
    elif case == "estimator_option_without_estimate":
        args, needles = refine_args(work, "--person", "1", "--people", "2", "--min-frames", "3", "--looks", "2"), [
            "--min-frames, --looks, --people, --person: used only with --estimate"]
    elif case == "floor_without_calibration":
        args, needles = refine_args(work, "--floor", "0"), ["--floor needs the camera's place", "--camera-height M"]
    elif case == "floor_with_smpl":
        args, needles = refine_args(work, "--smpl", work / "p.npz", "--body-model", work / "m.pkl", "--floor", "0"), [
            "--floor", "not used with --smpl"]
    elif case == "contact_without_floor":
        args, needles = refine_args(work, "--floor-contact"), ["--floor-contact holds a foot on the floor of --floor",
                                                                "which was not given"]
    elif case == "contact_with_smpl":
        args, needles = refine_args(work, "--smpl", work / "p.npz", "--body-model", work / "m.pkl", "--floor-contact"), [
            "--floor-contact", "not used with --smpl"]
    elif case == "tilt_without_height":
        args, needles = refine_args(work, "--camera-tilt", "20"), ["--camera-tilt needs --camera-height M"]
    elif case == "height_without_tilt":
        args, needles = refine_args(work, "--camera-height", "1.5"), ["--camera-height needs --camera-tilt PITCH"]
    elif case == "bad_tilt":
        args, needles = refine_args(work, "--camera-height", "1.5", "--camera-tilt", "20,3,1"), [
            "--camera-tilt: expected PITCH or PITCH,ROLL", "'20,3,1'"]
    elif case == "auto_tilt_without_focal":
        args, needles = refine_args(work, "--camera-height", "1.5", "--camera-tilt", "auto"), [
            "--camera-tilt auto reads the tilt through the camera's focal length, which is not known", "--focal-px F"]
    elif case == "auto_tilt_under_the_floor":
        args, needles = refine_args(work, "--camera-height", "-1.5", "--camera-tilt", "auto"), [
            "--camera-height -1.5:", "height above the floor must be in (0, 20] metres, got -1.5"]
    elif case == "camera_under_the_floor":
        args, needles = refine_args(work, "--camera-height", "-1.5", "--camera-tilt", "20"), [
            "--camera-height -1.5 --camera-tilt 20", "height above the floor must be in (0, 20] metres, got -1.5"]
    elif case == "place_with_smpl":
        args, needles = refine_args(work, "--smpl", work / "p.npz", "--body-model", work / "m.pkl", "--camera-height",
                                    "1.5", "--camera-tilt", "20"), ["--camera-height, --camera-tilt", "not used with --smpl"]
    elif case == "parts_too_short":
        args, needles = refine_args(work, "--part-frames", "89"), ["--part-frames", "89 is not in the range x>=90"]
    else:  # bad_device
        if torch.cuda.is_available():
            pytest.skip("CUDA is available here")
        args, needles = refine_args(work, "--device", "cuda"), ["--device cuda", "CUDA is not available"]
    before = snapshot(work)
    result = run(*args)
    assert_user_error(result, *needles)
    assert snapshot(work) == before  # inputs untouched (bytes and mtime), no output folder, no temporaries


def test_existing_output_folder_refused_and_untouched(work: Path) -> None:
    (work / "out").mkdir()
    (work / "out" / "keep.txt").write_text("mine")
    before = snapshot(work)
    result = run(*refine_args(work))
    assert_user_error(result, "out", "existing folder", "--overwrite")
    assert snapshot(work) == before


def test_a_frame_folder_given_as_dot(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import cv2

    from flowpose.io.video import open_video

    (work / "frames").mkdir()
    with open_video(work / "video.mp4") as video:
        for t, frame in enumerate(video.read()):
            cv2.imwrite(str(work / "frames" / f"{t:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    shutil.copy(work / "video.poses.npz", work / "frames.poses.npz")  # the folder's sidecar, by its name
    monkeypatch.chdir(work / "frames")  # `flowpose refine .` there: a traceback ('.' has an empty name) before
    result = run("refine", ".", "--flow", "dis", "--cycles", "0", "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"wrote {work / 'frames.flowpose'}/" in result.stdout
    assert load_poses(work / "frames.flowpose" / "refined.npz").joints3d.shape == (T, 17, 3)


def test_a_log_file_gets_no_progress_bars(work: Path) -> None:
    # stderr is not a terminal here, as in a log file or a pipe: a bar's redraws would each stay a line.
    result = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--out", work / "logged")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "pair/s" not in result.stderr and "\r" not in result.stderr, result.stderr
    assert "wrote " in result.stdout


@pytest.mark.slow
def test_refine_success_writes_the_folder_and_prints_the_table(work: Path) -> None:
    before = snapshot(work)
    result = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    out = work / "video.flowpose"  # the documented default: <stem>.flowpose beside the video
    names = {p.name for p in out.iterdir()}
    assert {"refined.npz", "refined.json", "history.json"} <= names
    assert ("report.png" in names) != ("report.png skipped" in result.stdout)
    assert "overlay.mp4" not in names
    header, *rows = [line.split() for line in result.stdout.splitlines()[:3]]
    assert header[0] == "cycle" and "accel" in header and [r[0] for r in rows] == ["0", "1"]
    assert f"wrote {out}/" in result.stdout
    refined, refined_json = load_poses(out / "refined.npz"), load_poses(out / "refined.json")
    assert refined.joints3d.shape == (T, 17, 3) and np.isfinite(refined.joints3d).all()
    np.testing.assert_allclose(refined_json.joints3d, refined.joints3d, atol=1e-6)
    history = json.loads((out / "history.json").read_text())
    assert [h["cycle"] for h in history] == [0, 1] and "accel" in history[1]["metrics"]
    assert not [p for p in work.iterdir() if p.name.startswith(".")]  # no temporary folder left
    after = snapshot(work)
    assert {k: v for k, v in after.items() if k in before} == before  # inputs untouched


def test_without_flow_is_the_baseline_run(work: Path) -> None:
    base = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet", "--without-flow",
               "--out", work / "base")
    assert base.exit_code == 0, (base.output, base.exception)
    full = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet", "--out", work / "full")
    assert full.exit_code == 0, (full.output, full.exception)
    losses = [json.loads((work / w / "history.json").read_text())[1]["losses"] for w in ("base", "full")]
    assert losses[0]["flow"] == 0.0 < losses[1]["flow"]  # the flow term, weighted 0 in the baseline


def test_parts_as_long_as_the_video_are_the_whole_run(work: Path) -> None:
    # The parts themselves are tested in tests/refinement/test_parts.py; here the option reaches the refinement.
    whole = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet", "--out", work / "whole")
    parted = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet", "--part-frames", "90",
                 "--out", work / "parted")
    assert whole.exit_code == parted.exit_code == 0, (parted.output, parted.exception)
    joints = [load_poses(work / w / "refined.npz").joints3d for w in ("whole", "parted")]
    np.testing.assert_array_equal(joints[0], joints[1])


def test_ground_truth_of_the_joints_alone_is_scored(work: Path) -> None:
    # Real video's ground truth is its 3D joints (motion capture, triangulation): a pose file serves. Scored
    # against the initial poses themselves, cycle 0 is exact and the refinement moves away from them.
    result = run("refine", work / "video.mp4", "--gt", work / "video.poses.npz", "--flow", "dis", "--cycles", "1",
                 "--quiet", "--start", "1", "--frames", "6")
    assert result.exit_code == 0, (result.output, result.exception)
    header, first, second = result.stdout.splitlines()[:3]
    assert header.split()[:3] == ["cycle", "MPJPE", "mm"] and "EPE" not in header  # no dense flow truth: no EPE
    assert first.split()[1] == "0.0" and float(second.split()[1]) > 0.0
    np.savez(work / "mm.npz", joints3d=load_poses(work / "video.poses.npz").joints3d * 1000)  # millimetres
    result = run("refine", work / "video.mp4", "--gt", work / "mm.npz", "--flow", "dis", "--cycles", "0", "--quiet",
                 "--out", work / "mm")
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"warning: {work / 'mm.npz'}: its torso is 1000 times the poses'" in result.stdout + result.stderr


def test_a_calibrated_capture_s_trc_is_scored_in_the_view_s_camera(work: Path) -> None:
    # A multi-view triangulation (Pose2Sim's TRC, in the capture's world) scores one view's refinement there.
    from flowpose.io.trc_export import write_trc
    from flowpose.io.world_frame import WorldFrame

    poses = load_poses(work / "video.poses.npz")
    K = poses.K if poses.K.ndim == 2 else poses.K[0]
    R, t = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]), np.array([0.0, 1.5, 0.0])  # level, 1.5 m up
    (work / "Calib.toml").write_text(
        f'[c]\nname = "video"\nmatrix = {K.tolist()}\nrotation = [{np.pi / 2}, 0.0, 0.0]\ntranslation = {t.tolist()}\n')
    write_trc(work / "trial.trc", poses.joints3d, np.arange(T) / poses.fps, poses.fps, frame=WorldFrame(R, t, "video"))
    result = run("refine", work / "video.mp4", "--gt", work / "trial.trc", "--intrinsics", work / "Calib.toml",
                 "--flow", "dis", "--cycles", "0", "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    header, first = result.stdout.splitlines()[:2]
    assert header.split()[:3] == ["cycle", "MPJPE", "mm"] and first.split()[1] == "0.0"  # the poses themselves
    assert_user_error(run("refine", work / "video.mp4", "--gt", work / "trial.trc", "--flow", "dis", "--out",
                          work / "o"), "trial.trc", "needs the camera's place in it")


@pytest.mark.slow
def test_refine_overwrite_viz_and_segment(work: Path) -> None:
    out = work / "video.flowpose"
    assert run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet").exit_code == 0
    # Again: refused without --overwrite, replaced with it (and --viz adds the overlay video).
    assert_user_error(
        run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet"),
        "video.flowpose",
        "--overwrite",
    )
    result = run(
        "refine",
        work / "video.mp4",
        "--flow",
        "dis",
        "--cycles",
        "0",
        "--quiet",
        "--overwrite",
        "--viz",
        "--start",
        "2",
        "--frames",
        "5",
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert (out / "overlay.mp4").is_file() and load_poses(out / "refined.npz").num_frames == 5
    assert load_poses(out / "refined.npz").first_frame == 2 and load_poses(out / "refined.json").first_frame == 2
    assert "frames 2 to 6 of the video's 8 (5)" in result.stdout


@pytest.mark.slow
def test_poses_of_one_segment_are_refused_for_another(work: Path) -> None:
    first = work / "first"
    result = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--start", "0",
                 "--frames", "4", "--out", first)
    assert result.exit_code == 0, (result.output, result.exception)
    before = snapshot(work)
    later = refine_args(work, "--poses", first / "refined.npz", "--start", "4", "--frames", "4")
    assert_user_error(run(*later), f"{first / 'refined.npz'}: holds frames 0 to 3 of its video (its first_frame), "
                                   f"not frames 4 to 7 of {work / 'video.mp4'}; pass --start 0 --frames 4")
    assert_user_error(run(*refine_args(work, "--poses", first / "refined.npz")), "holds frames 0 to 3")
    assert snapshot(work) == before
    again = run(*refine_args(work, "--poses", first / "refined.npz", "--frames", "4"))
    assert again.exit_code == 0, (again.output, again.exception)
    assert "frames 0 to 3 of the video's 8 (4)" in again.stdout


@pytest.mark.slow
def test_corrupt_video_as_a_real_process_prints_one_line(work: Path) -> None:
    """Outside CliRunner too: OpenCV/FFmpeg's own log lines must not reach the user's terminal."""
    import subprocess
    import sys

    (work / "corrupt.mp4").write_bytes(os.urandom(4000))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "flowpose.cli",
            "refine",
            str(work / "corrupt.mp4"),
            "--out",
            str(work / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {work / 'corrupt.mp4'}: not a readable video (OpenCV/FFmpeg cannot open it; corrupt file?)"
    ]
    assert proc.stdout == "" and not (work / "out").exists()


def test_refine_camera_options(work: Path) -> None:
    (work / "K.json").write_text('{"fx": 90, "fy": 90, "cx": 31.5, "cy": 31.5}')
    result = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--intrinsics", work / "K.json")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "replaces" in result.stdout and "fx 90.0" in result.stdout
    np.testing.assert_allclose(load_poses(work / "video.flowpose" / "refined.npz").K[0, 0], 90.0)
    assert "distortion" not in result.stdout
    # A calibration with lens distortion: refined in the pinhole camera, the 2D given back through the lens.
    (work / "Kd.json").write_text('{"fx": 90, "fy": 90, "cx": 31.5, "cy": 31.5, "dist": [-0.1, 0, 0, 0, 0]}')
    args = ["--flow", "dis", "--cycles", "0", "--quiet", "--intrinsics", work / "Kd.json", "--out", work / "o1"]
    result = run("refine", work / "video.mp4", *args)
    assert result.exit_code == 0, (result.output, result.exception)
    told = [line for line in result.stdout.splitlines() if "distortion" in line]
    assert told == [f"camera: the given lens distortion (k1 -0.1, k2 0, p1 0, p2 0, k3 0) replaces {work / 'video.poses.npz'}'s (none)"]
    refined = load_poses(work / "o1" / "refined.npz")
    assert refined.dist.tolist() == [-0.1, 0, 0, 0, 0] and refined.K[0, 0] == 90.0
    before = snapshot(work)
    (work / "bad.json").write_text('{"focal": 3}')
    assert_user_error(
        run("refine", work / "video.mp4", "--out", work / "o2", "--intrinsics", work / "bad.json"),
        "bad.json",
        "fx, fy, cx, cy",
    )
    assert_user_error(run("refine", work / "video.mp4", "--out", work / "o3", "--focal-px", "-4"), "--focal-px")
    assert_user_error(run("refine", work / "video.mp4", "--out", work / "o3", "--focal-px", "wide"), "--focal-px",
                      "expected a focal length in pixels or auto, got 'wide'")
    assert {k for k in snapshot(work)} == set(before) | {"bad.json"}


def test_refine_a_camera_of_a_multi_camera_calibration(work: Path) -> None:
    camera = 'name = "{}"\nsize = [64.0, 64.0]\nmatrix = [[{}, 0.0, 31.5], [0.0, {}, 31.5], [0.0, 0.0, 1.0]]\n'
    (work / "Calib.toml").write_text("[cam_1]\n" + camera.format("side", 70.0, 70.0)
                                     + "[cam_2]\n" + camera.format("video", 90.0, 90.0) + "[metadata]\nerror = 0.0\n")
    args = ["--flow", "dis", "--cycles", "0", "--quiet", "--intrinsics", work / "Calib.toml"]
    result = run("refine", work / "video.mp4", *args, "--out", work / "o1")  # the camera named as the video
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"camera: the K of camera video in {work / 'Calib.toml'} (fx 90.0, fy 90.0, cx 31.5, cy 31.5 px) "
            "replaces") in result.stdout
    assert load_poses(work / "o1" / "refined.npz").K[0, 0] == 90.0
    result = run("refine", work / "video.mp4", *args, "--camera", "cam_1", "--out", work / "o2")
    assert result.exit_code == 0, (result.output, result.exception)
    assert load_poses(work / "o2" / "refined.npz").K[0, 0] == 70.0
    before = snapshot(work)
    assert_user_error(run("refine", work / "video.mp4", *args, "--camera", "top", "--out", work / "o3"),
                      "Calib.toml: no camera named 'top' in it; it holds side, video")
    assert_user_error(run("refine", work / "video.mp4", "--camera", "side", "--out", work / "o3"),
                      "--camera side: names a camera of an --intrinsics calibration file")
    assert snapshot(work) == before


def test_refine_smpl_with_a_body_model(tmp_path: Path) -> None:
    from flowpose.body.params import load_smpl, save_smpl
    from flowpose.body.standin import write_standin
    from flowpose.body.synth import perturb, smpl_motion

    frames = np.random.default_rng(0).uniform(0, 255, (6, 256, 256, 3)).astype(np.uint8)
    write_video(tmp_path / "v.mp4", frames, fps=30.0)
    seq = perturb(smpl_motion(6))
    save_smpl(seq, tmp_path / "p.npz")
    model = write_standin(tmp_path / "standin.pkl")
    result = run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--flow", "dis",
                  "--cycles", "1", "--export-mesh", "obj", "--viz", "--quiet", "--out", tmp_path / "out")
    assert result.exit_code == 0, (result.output, result.exception)
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"refined_smpl.npz", "refined.npz", "history.json", "mesh_000000.obj", "mesh_000005.obj",
            "overlay.mp4"} <= names
    assert load_poses(tmp_path / "out" / "refined.npz").joints3d.shape == (6, 17, 3)
    # --cycles 0: the parameters come back as they went in.
    assert run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--cycles", "0",
                "--quiet", "--out", tmp_path / "zero").exit_code == 0
    np.testing.assert_allclose(load_smpl(tmp_path / "zero" / "refined_smpl.npz").body_pose, seq.body_pose, atol=1e-5)
    # Scored against a ground truth: here the input's own joints, so the estimate's error is 0.
    result = run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--flow", "dis",
                 "--cycles", "1", "--quiet", "--out", tmp_path / "scored", "--gt", tmp_path / "zero" / "refined.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    (line,) = [s for s in result.stdout.splitlines() if s.startswith("against ")]
    assert "(16 joints: SMPL has no head top): MPJPE 0.0 -> " in line and "PA-MPJPE 0.0 -> " in line, line
    assert float(line.split("MPJPE 0.0 -> ")[1].split(" mm")[0]) > 0.0
    # A segment (--start, --frames): its frames of the parameters, scored against the same frames of the truth.
    result = run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--cycles", "0",
                 "--start", "2", "--frames", "3", "--quiet", "--out", tmp_path / "seg", "--gt",
                 tmp_path / "zero" / "refined.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "frames 2 to 4 of the video's 6 (3)" in result.stdout and "MPJPE 0.0 -> 0.0 mm" in result.stdout
    np.testing.assert_allclose(load_smpl(tmp_path / "seg" / "refined_smpl.npz").transl, seq.transl[2:5], atol=1e-5)
    result = run("export", "amass", tmp_path / "zero" / "refined_smpl.npz", "--body-model", model,
                  "--out", tmp_path / "motion.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    with np.load(tmp_path / "motion.npz") as data:
        assert data["poses"].shape == (6, 72) and data["trans"].shape == (6, 3)
    assert_user_error(run("export", "amass", tmp_path / "p.npz", "--out", tmp_path / "m2.npz"), "--body-model")
    assert_user_error(run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--out", tmp_path / "x"),
                       "--body-model", "smpl.is.tue.mpg.de")
    assert_user_error(
        run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", tmp_path / "SMPL.pkl",
             "--out", tmp_path / "y"),
        "SMPL.pkl", "no such body model file",
    )
    assert_user_error(  # in the file's camera: another camera would be ignored
        run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", tmp_path / "SMPL.pkl",
            "--out", tmp_path / "y", "--frames", "3", "--fov", "50"),
        "--fov: not used with --smpl",
    )


def test_refine_smpl_in_parts(tmp_path: Path) -> None:
    from flowpose.body.params import load_smpl, save_smpl
    from flowpose.body.standin import write_standin
    from flowpose.body.synth import perturb, smpl_motion

    frames = np.random.default_rng(0).uniform(0, 255, (96, 256, 256, 3)).astype(np.uint8)
    write_video(tmp_path / "v.mp4", frames, fps=30.0)
    seq = perturb(smpl_motion(96))
    save_smpl(seq, tmp_path / "p.npz")
    model = write_standin(tmp_path / "standin.pkl", rings_per_bone=3)
    result = run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--flow", "dis",
                 "--cycles", "1", "--part-frames", "90", "--quiet", "--out", tmp_path / "out")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "refined in 2 parts of up to 90 frames, sharing 30 where they meet: frames 0-62, 33-95" in result.stdout
    refined = load_smpl(tmp_path / "out" / "refined_smpl.npz")
    assert refined.body_pose.shape == (96, 23, 3) and refined.betas.shape == seq.betas.shape
    assert load_poses(tmp_path / "out" / "refined.npz").joints3d.shape == (96, 17, 3)


def test_the_mesh_flow_weight_defaults_to_the_library_s() -> None:
    from flowpose.body.refine import MESH_FLOW_WEIGHT
    from flowpose.cli.refine import refine

    option = next(p for p in refine.params if p.name == "mesh_flow_weight")
    assert option.default == MESH_FLOW_WEIGHT


def test_refine_smplx_with_a_body_model(tmp_path: Path) -> None:
    from flowpose.body.layouts import SMPLX
    from flowpose.body.params import load_smpl, save_smpl
    from flowpose.body.standin import write_standin
    from flowpose.body.synth import perturb, smpl_motion

    frames = np.random.default_rng(0).uniform(0, 255, (6, 256, 256, 3)).astype(np.uint8)
    write_video(tmp_path / "v.mp4", frames, fps=30.0)
    seq = perturb(smpl_motion(6, layout=SMPLX))
    save_smpl(seq, tmp_path / "p.npz")
    model = write_standin(tmp_path / "SMPLX_NEUTRAL.npz", layout=SMPLX)
    result = run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--flow", "dis",
                  "--cycles", "1", "--quiet", "--out", tmp_path / "out")
    assert result.exit_code == 0, (result.output, result.exception)
    refined = load_smpl(tmp_path / "out" / "refined_smpl.npz")
    assert refined.body_pose.shape == (6, 21, 3) and not np.allclose(refined.body_pose, seq.body_pose)
    np.testing.assert_array_equal(refined.extras["left_hand_pose"], seq.extras["left_hand_pose"])
    result = run("export", "amass", tmp_path / "out" / "refined_smpl.npz", "--body-model", model,
                  "--out", tmp_path / "motion.npz")
    assert result.exit_code == 0 and "SMPL-X poses (T, 165)" in result.stdout, (result.output, result.exception)
    # --cycles 0: every parameter comes back as it went in.
    assert run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--cycles", "0",
                "--quiet", "--out", tmp_path / "zero").exit_code == 0
    back = load_smpl(tmp_path / "zero" / "refined_smpl.npz")
    for key in ("global_orient", "body_pose", "betas", "transl", "K"):
        np.testing.assert_allclose(getattr(back, key), getattr(seq, key), atol=1e-5, err_msg=key)
    for key, value in seq.extras.items():
        np.testing.assert_allclose(back.extras[key], value, atol=1e-5, err_msg=key)
    assert back.flat_hand_mean == seq.flat_hand_mean
    smpl_model = write_standin(tmp_path / "SMPL_NEUTRAL.pkl")
    assert_user_error(
        run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", smpl_model,
             "--out", tmp_path / "x"),
        "the parameters are SMPL-X (body_pose of 21 joints)", "SMPL_NEUTRAL.pkl is SMPL (24 joints)",
    )
    assert not (tmp_path / "x").exists()


def test_fps_gives_the_frames_rate(work: Path) -> None:
    refused = run(*refine_args(work, "--fps", "0"))
    assert refused.exit_code == 2 and "--fps" in refused.output and not (work / "out").exists()
    result = run(*refine_args(work, "--fps", "20", "--cycles", "0"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"{work / 'video.poses.npz'}: 10 fps (its fps; 30 where it gives none), but {work / 'video.mp4'} plays " \
        "at 20: the video's rate is used" in result.stdout
    assert load_poses(work / "out" / "refined.npz").fps == 20.0


def test_a_variable_frame_rate_is_refined_at_the_frames_own_times(work: Path) -> None:
    with open_video(work / "video.mp4") as video:
        frames = video.read()
    variable_rate_mp4(work / "video.mp4", frames)  # 4 frames at 30 fps, then 4 at 15
    result = run(*refine_args(work, "--start", "2", "--frames", "5", "--viz"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"{work / 'video.mp4'}: a variable frame rate: 33.3 to 66.7 ms between frames; the poses carry each "
            "frame's time from its timestamps (times)") in result.stdout
    whole = run(*refine_args(work, "--cycles", "0", "--out", work / "o2"))  # the reader itself goes to the API
    assert whole.output.count("a variable frame rate") == 1  # not again as the API's warning
    refined = load_poses(work / "out" / "refined.npz")
    np.testing.assert_allclose(refined.times, VFR_TIMES[2:7], atol=1e-3)
    with open_video(work / "out" / "overlay.mp4") as overlay:  # frames 4, 5 (at 15 fps) shown for two ticks of 30
        assert len(overlay) == 7 and overlay.fps == pytest.approx(30.0)


def test_a_rotated_video_is_told_when_the_poses_come_from_a_file(work: Path) -> None:
    with open_video(work / "video.mp4") as video:
        frames = video.read()
    rotated_mp4(work / "video.mp4", frames, 180)  # the poses were made of the frames as stored
    result = run(*refine_args(work, "--cycles", "0"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"{work / 'video.mp4'}: stored rotated by 180° (its rotation metadata); flowpose reads its frames upright, "
            "64x64: poses, keypoints and K of another tool must be of upright frames too") in result.stdout
    assert result.output.count("stored rotated") == 1  # not again as the API's warning


def test_poses_of_smaller_frames_are_told(work: Path) -> None:
    from dataclasses import replace

    from flowpose.io.poses import save_poses

    poses = load_poses(work / "video.poses.npz")
    half = np.diag([0.5, 0.5, 1.0])
    save_poses(replace(poses, K=half @ poses.K, joints2d=0.5 * poses.joints2d), work / "half.npz")  # made at 32x32
    result = run(*refine_args(work, "--poses", work / "half.npz", "--cycles", "0"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"warning: {work / 'half.npz'}: its camera K has its principal point at (16, 16), the centre of about 32x32 "
            "frames, not of the video's 64x64") in result.stdout
    assert "principal point" not in run(*refine_args(work, "--cycles", "0", "--out", work / "o2")).stdout


def test_poses_in_a_y_up_camera_frame_are_told(work: Path) -> None:
    from dataclasses import replace

    from flowpose.camera import project_np
    from flowpose.io.poses import save_poses

    poses = load_poses(work / "video.poses.npz")
    example = load_poses(Path(__file__).resolve().parents[2] / "examples" / "jumping_jacks" / "video.poses.npz")
    joints = example.joints3d[:T]  # a body's shape: the checks read its head, feet and bones
    poses = replace(poses, joints3d=joints, joints2d=project_np(joints, poses.K).astype(np.float32))
    save_poses(replace(poses, joints3d=joints * [1, -1, 1]), work / "yup.npz")
    result = run(*refine_args(work, "--poses", work / "yup.npz", "--cycles", "0"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"warning: {work / 'yup.npz'}: its joints3d have the head below the feet in {T} of {T} frames, while its "
            f"joints2d have it above in {T} of {T}: are they y up?") in result.stdout
    assert result.output.count("head below the feet") == 1 and not result.stderr
    save_poses(poses, work / "upright.npz")
    upright = run(*refine_args(work, "--poses", work / "upright.npz", "--cycles", "0", "--out", work / "o2"))
    assert upright.exit_code == 0 and "warning" not in upright.output


def test_frames_with_nothing_observed_are_told_once(work: Path) -> None:
    from dataclasses import replace

    from flowpose.io.poses import save_poses

    poses = load_poses(work / "video.poses.npz")
    joints3d, joints2d = poses.joints3d.copy(), poses.joints2d.copy()
    joints3d[:3] = joints2d[:3] = np.nan  # the person is found from frame 3 on
    save_poses(replace(poses, joints3d=joints3d, joints2d=joints2d), work / "late.npz")
    result = run(*refine_args(work, "--poses", work / "late.npz", "--cycles", "0"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"warning: {work / 'late.npz'}: 3 of its {T} frames have no observed joint (0-2): their poses are filled "
            "in from the observed frames") in result.stdout
    assert result.output.count("no observed joint") == 1  # not again as the API's warning
    assert "no observed joint" not in run(*refine_args(work, "--cycles", "0", "--out", work / "o2")).output


def test_a_joint_in_no_frame_is_a_note_not_a_warning(work: Path) -> None:
    from dataclasses import replace

    from flowpose.io.poses import save_poses

    poses = load_poses(work / "video.poses.npz")
    joints3d, joints2d = poses.joints3d.copy(), poses.joints2d.copy()
    joints3d[:, 10] = joints2d[:, 10] = np.nan  # a head top, as MediaPipe's estimates have none
    save_poses(replace(poses, joints3d=joints3d, joints2d=joints2d), work / "nohead.npz")
    result = run(*refine_args(work, "--poses", work / "nohead.npz"))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"{work / 'nohead.npz'}: head (10) is in none of its frames, so it is kept on its nearest observed joint, "
            "with conf 0: head (10) on neck (9)") in result.stdout.splitlines()
    assert result.output.count("head (10)") == 2 and not result.stderr  # once, and no warning from the API
    refined = load_poses(work / "out" / "refined.npz")
    np.testing.assert_array_equal(refined.joints3d[:, 10], refined.joints3d[:, 9])
    assert (refined.conf[:, 10] == 0).all()


def test_a_video_too_long_for_the_memory_is_told_before_the_work(work: Path, monkeypatch) -> None:
    monkeypatch.setattr("flowpose.api.available_memory_bytes", lambda: 1000)
    result = run(*refine_args(work))
    assert result.exit_code == 0, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if "more memory" in line]
    assert len(lines) == 1 and re.match(rf"warning: {re.escape(str(work / 'video.mp4'))}: refining its {T} frames "
                                        r"takes about 0\.\d GB more memory, and 0\.0 GB is available", lines[0]), lines
    assert lines[0].endswith("it may be stopped for lack of memory; close other programs, or refine it on a machine "
                             "with more memory")
    assert (work / "out" / "refined.npz").is_file()
