"""The command line: every bad input is one line on stderr and exit code 2, nothing is written, inputs are
left alone; a tiny clip refines end to end."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result

from flowpose.camera import project_np
from flowpose.cli import main, user_errors
from flowpose.io.poses import load_poses, save_poses
from flowpose.io.video import write_video
from flowpose.pose import PoseSequence

T, SIZE = 8, 64


def _body(T: int) -> np.ndarray:
    """A small stick figure 2.5 m away, drifting right: (T, 17, 3) m."""
    rng = np.random.default_rng(0)
    rest = rng.uniform(-0.25, 0.25, (17, 3)) * np.array([1.0, 2.0, 0.3])
    drift = np.linspace(0.0, 0.15, T)[:, None, None] * np.array([1.0, 0.0, 0.0])
    return rest[None] + drift + np.array([0.0, 0.0, 2.5])


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 frames 64x64 of a moving texture, with its sidecar poses ``video.poses.npz``."""
    root = tmp_path_factory.mktemp("clip")
    rng = np.random.default_rng(1)
    texture = (rng.uniform(0, 255, (SIZE + 2 * T, SIZE + 2 * T, 3))).astype(np.uint8)
    frames = np.stack([texture[8 : 8 + SIZE, 2 * t : 2 * t + SIZE] for t in range(T)])
    write_video(root / "video.mp4", frames, fps=10.0)
    K = np.array([[80.0, 0, 31.5], [0, 80.0, 31.5], [0, 0, 1]])
    j = _body(T)
    x2d = project_np(j, K) + rng.normal(0, 0.5, (T, 17, 2))
    save_poses(
        PoseSequence(joints3d=j, K=K, joints2d=x2d, conf=np.full((T, 17), 0.9), fps=10.0),
        root / "video.poses.npz",
    )
    return root


@pytest.fixture
def work(clip: Path, tmp_path: Path) -> Path:
    """A private copy of the clip, so that each test sees exactly what it made."""
    for f in clip.iterdir():
        shutil.copy2(f, tmp_path / f.name)
    return tmp_path


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def _assert_user_error(result: Result, *needles: str) -> None:
    """Exit 2, one line on stderr starting with ``error:``, containing each needle, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def _bad_poses(work: Path, name: str, **fields: np.ndarray | str) -> Path:
    """A pose file with some keys replaced (written with np.savez, so that invalid content is possible)."""
    with np.load(work / "video.poses.npz") as d:
        data = {k: d[k] for k in d.files}
    data.update(fields)
    np.savez(work / name, **data)
    return work / name


def _refine_args(work: Path, *extra: str | Path) -> list[str | Path]:
    return [
        "refine",
        work / "video.mp4",
        "--flow",
        "dis",
        "--cycles",
        "1",
        "--quiet",
        "--out",
        work / "out",
        *extra,
    ]


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
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(work: Path, case: str) -> None:
    video = work / "video.mp4"
    if case == "missing_video":
        args, needles = _refine_args(work, "--poses", work / "video.poses.npz"), ["nope.mp4", "no such video"]
        args[1] = work / "nope.mp4"
    elif case == "corrupt_video":
        (work / "corrupt.mp4").write_bytes(os.urandom(4000))
        args, needles = _refine_args(work, "--poses", work / "video.poses.npz"), ["corrupt.mp4"]
        args[1] = work / "corrupt.mp4"
    elif case == "truncated_video":
        data = video.read_bytes()
        (work / "cut.mp4").write_bytes(data[: len(data) // 3])
        args, needles = _refine_args(work, "--poses", work / "video.poses.npz"), ["cut.mp4"]
        args[1] = work / "cut.mp4"
    elif case == "frame_count":
        with np.load(work / "video.poses.npz") as d:
            short = {k: (d[k][:-1] if d[k].ndim >= 2 and k != "K" else d[k]) for k in d.files}
        np.savez(work / "short.npz", **short)
        args, needles = _refine_args(work, "--poses", work / "short.npz"), ["short.npz", "7 frames", "has 8"]
    elif case == "wrong_shape":
        p = _bad_poses(work, "flat.npz", joints3d=np.zeros((T, 17, 2), np.float32))
        args, needles = _refine_args(work, "--poses", p), ["flat.npz", "joints3d must have shape"]
    elif case == "nan_only":
        p = _bad_poses(work, "nan.npz", joints3d=np.full((T, 17, 3), np.nan, np.float32))
        args, needles = _refine_args(work, "--poses", p), ["nan.npz", "no observed joint"]
    elif case == "unknown_skeleton":
        p = _bad_poses(work, "skel.npz", skeleton=np.str_("smpl99"))
        args, needles = _refine_args(work, "--poses", p), ["skel.npz", "unknown skeleton 'smpl99'"]
    elif case == "no_poses":
        (work / "video.poses.npz").unlink()
        args, needles = _refine_args(work), ["video.mp4", "no poses", "--poses", "--estimate"]
    elif case == "unknown_flow":
        args, needles = _refine_args(work), ["--flow", "unknown flow model 'dis'"]
        args[args.index("dis")] = "flownet9"
        needles[1] = "unknown flow model 'flownet9'"
    elif case == "missing_weights":
        args = _refine_args(work, "--flow-weights", work / "missing.pth")
        args[args.index("dis")] = "raft-small"
        needles = ["--flow-weights", "missing.pth", "does not exist"]
    elif case == "missing_poses_file":
        args, needles = _refine_args(work, "--poses", work / "absent.npz"), ["absent.npz", "no such file"]
    elif case == "bad_start":
        args, needles = _refine_args(work, "--start", "20"), ["--start 20", "has 8 frames"]
    elif case == "estimate_and_poses":
        args, needles = (
            _refine_args(work, "--estimate", "--poses", work / "video.poses.npz"),
            ["--estimate", "--poses"],
        )
    elif case == "gt_mismatch":
        args, needles = _refine_args(work, "--gt", work / "video.poses.npz"), ["video.poses.npz"]
    else:  # bad_device
        if torch.cuda.is_available():
            pytest.skip("CUDA is available here")
        args, needles = _refine_args(work, "--device", "cuda"), ["--device cuda", "CUDA is not available"]
    before = _snapshot(work)
    result = _run(*args)
    _assert_user_error(result, *needles)
    assert _snapshot(work) == before  # inputs untouched (bytes and mtime), no output folder, no temporaries


def test_existing_output_folder_refused_and_untouched(work: Path) -> None:
    (work / "out").mkdir()
    (work / "out" / "keep.txt").write_text("mine")
    before = _snapshot(work)
    result = _run(*_refine_args(work))
    _assert_user_error(result, "out", "existing folder", "--overwrite")
    assert _snapshot(work) == before


def test_estimate_without_mediapipe(work: Path) -> None:
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("mediapipe is installed here")
    (work / "video.poses.npz").unlink()
    before = _snapshot(work)
    _assert_user_error(_run(*_refine_args(work, "--estimate")), "flowpose[estimate]")
    _assert_user_error(_run("estimate", work / "video.mp4"), "flowpose[estimate]")
    assert _snapshot(work) == before


@pytest.mark.slow
def test_refine_success_writes_the_folder_and_prints_the_table(work: Path) -> None:
    before = _snapshot(work)
    result = _run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet")
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
    after = _snapshot(work)
    assert {k: v for k, v in after.items() if k in before} == before  # inputs untouched


@pytest.mark.slow
def test_refine_overwrite_viz_and_segment(work: Path) -> None:
    out = work / "video.flowpose"
    assert _run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet").exit_code == 0
    # Again: refused without --overwrite, replaced with it (and --viz adds the overlay video).
    _assert_user_error(
        _run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "1", "--quiet"),
        "video.flowpose",
        "--overwrite",
    )
    result = _run(
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


def test_import_command(work: Path) -> None:
    np.save(work / "j.npy", _body(T))
    result = _run(
        "import",
        "joints3d",
        work / "j.npy",
        "--out",
        work / "imported.npz",
        "--video",
        work / "video.mp4",
        "--fov",
        "50",
    )
    assert result.exit_code == 0, (result.output, result.exception)
    poses = load_poses(work / "imported.npz")
    assert poses.fps == pytest.approx(10.0) and poses.K[0, 2] == pytest.approx(31.5)
    np.testing.assert_allclose(poses.joints3d, _body(T), atol=1e-6)
    _assert_user_error(
        _run(
            "import",
            "joints3d",
            work / "j.npy",
            "--out",
            work / "imported.npz",
            "--video",
            work / "video.mp4",
        ),
        "imported.npz",
        "--overwrite",
    )
    _assert_user_error(
        _run("import", "joints3d", work / "j.npy", "--out", work / "x.npz"), "--intrinsics", "--video"
    )
    _assert_user_error(
        _run("import", "hmr", work / "j.npy", "--out", work / "x.npz", "--video", work / "video.mp4"),
        "unknown import format 'hmr'",
    )
    assert not (work / "x.npz").exists()


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
    result = _run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--intrinsics", work / "K.json")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "replaces" in result.stdout and "fx 90.0" in result.stdout
    np.testing.assert_allclose(load_poses(work / "video.flowpose" / "refined.npz").K[0, 0], 90.0)
    before = _snapshot(work)
    (work / "bad.json").write_text('{"focal": 3}')
    _assert_user_error(
        _run("refine", work / "video.mp4", "--out", work / "o2", "--intrinsics", work / "bad.json"),
        "bad.json",
        "fx, fy, cx, cy",
    )
    _assert_user_error(_run("refine", work / "video.mp4", "--out", work / "o3", "--focal-px", "-4"), "--focal-px")
    assert {k for k in _snapshot(work)} == set(before) | {"bad.json"}


def test_import_openpose_and_refine_with_its_keypoints(work: Path) -> None:
    from tests.io.test_keypoints2d import write_openpose

    write_openpose(work / "op", T=T, J=25)
    result = _run("import", "openpose", work / "op", "--out", work / "kp.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "person 0 of 2" in result.stdout
    result = _run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--keypoints", work / "kp.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "2D keypoints:" in result.stdout
    refined = load_poses(work / "video.flowpose" / "refined.npz")
    assert refined.joints2d is not None
    _assert_user_error(_run("import", "openpos", work / "op", "--out", work / "k2.npz"), "openpose", "coco")
    _assert_user_error(
        _run("refine", work / "video.mp4", "--out", work / "o4", "--keypoints", work / "video.poses.npz"),
        "not a keypoints file",
    )


def test_batch_reports_a_failure_and_resumes(tmp_path: Path) -> None:
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    make_video(tmp_path / "v", "bad", frames_in_poses=9)
    args = ("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1")
    result = _run(*args)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "failed" in result.stdout and "1 of 2 videos" in result.stdout
    assert (tmp_path / "out" / "good" / "refined.npz").is_file() and (tmp_path / "out" / "summary.csv").is_file()
    again = _run(*args)
    assert "skipped (done before)" in again.stdout
    _assert_user_error(_run("batch", tmp_path / "nothing", "--out", tmp_path / "o"), "no such folder or manifest")


def test_refine_smpl_with_a_body_model(tmp_path: Path) -> None:
    from flowpose.body.params import load_smpl, save_smpl
    from flowpose.body.standin import write_standin
    from flowpose.body.synth import perturb, smpl_motion

    frames = np.random.default_rng(0).uniform(0, 255, (6, 256, 256, 3)).astype(np.uint8)
    write_video(tmp_path / "v.mp4", frames, fps=30.0)
    seq = perturb(smpl_motion(6))
    save_smpl(seq, tmp_path / "p.npz")
    model = write_standin(tmp_path / "standin.pkl")
    result = _run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--flow", "dis",
                  "--cycles", "1", "--export-mesh", "obj", "--viz", "--quiet", "--out", tmp_path / "out")
    assert result.exit_code == 0, (result.output, result.exception)
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"refined_smpl.npz", "refined.npz", "history.json", "mesh_000000.obj", "mesh_000005.obj",
            "overlay.mp4"} <= names
    assert load_poses(tmp_path / "out" / "refined.npz").joints3d.shape == (6, 17, 3)
    # --cycles 0: the parameters come back as they went in.
    assert _run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--cycles", "0",
                "--quiet", "--out", tmp_path / "zero").exit_code == 0
    np.testing.assert_allclose(load_smpl(tmp_path / "zero" / "refined_smpl.npz").body_pose, seq.body_pose, atol=1e-5)
    result = _run("export", "amass", tmp_path / "zero" / "refined_smpl.npz", "--body-model", model,
                  "--out", tmp_path / "motion.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    with np.load(tmp_path / "motion.npz") as data:
        assert data["poses"].shape == (6, 72) and data["trans"].shape == (6, 3)
    _assert_user_error(_run("export", "amass", tmp_path / "p.npz", "--out", tmp_path / "m2.npz"), "--body-model")
    _assert_user_error(_run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--out", tmp_path / "x"),
                       "--body-model", "smpl.is.tue.mpg.de")
    _assert_user_error(
        _run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", tmp_path / "SMPL.pkl",
             "--out", tmp_path / "y"),
        "SMPL.pkl", "no such body model file",
    )


def test_the_mesh_flow_weight_defaults_to_the_library_s() -> None:
    from flowpose.body.refine import MESH_FLOW_WEIGHT
    from flowpose.cli import refine

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
    result = _run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--flow", "dis",
                  "--cycles", "1", "--quiet", "--out", tmp_path / "out")
    assert result.exit_code == 0, (result.output, result.exception)
    refined = load_smpl(tmp_path / "out" / "refined_smpl.npz")
    assert refined.body_pose.shape == (6, 21, 3) and not np.allclose(refined.body_pose, seq.body_pose)
    np.testing.assert_array_equal(refined.extras["left_hand_pose"], seq.extras["left_hand_pose"])
    result = _run("export", "amass", tmp_path / "out" / "refined_smpl.npz", "--body-model", model,
                  "--out", tmp_path / "motion.npz")
    assert result.exit_code == 0 and "SMPL-X poses (T, 165)" in result.stdout, (result.output, result.exception)
    # --cycles 0: every parameter comes back as it went in.
    assert _run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", model, "--cycles", "0",
                "--quiet", "--out", tmp_path / "zero").exit_code == 0
    back = load_smpl(tmp_path / "zero" / "refined_smpl.npz")
    for key in ("global_orient", "body_pose", "betas", "transl", "K"):
        np.testing.assert_allclose(getattr(back, key), getattr(seq, key), atol=1e-5, err_msg=key)
    for key, value in seq.extras.items():
        np.testing.assert_allclose(back.extras[key], value, atol=1e-5, err_msg=key)
    assert back.flat_hand_mean == seq.flat_hand_mean
    smpl_model = write_standin(tmp_path / "SMPL_NEUTRAL.pkl")
    _assert_user_error(
        _run("refine", tmp_path / "v.mp4", "--smpl", tmp_path / "p.npz", "--body-model", smpl_model,
             "--out", tmp_path / "x"),
        "the parameters are SMPL-X (body_pose of 21 joints)", "SMPL_NEUTRAL.pkl is SMPL (24 joints)",
    )
    assert not (tmp_path / "x").exists()


def test_import_wham_and_vibe_results(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib", reason="joblib (the body-import extra) reads WHAM/VIBE results")
    from flowpose.body.params import load_smpl

    frames = np.random.default_rng(0).uniform(0, 255, (6, 96, 128, 3)).astype(np.uint8)
    write_video(tmp_path / "v.mp4", frames, fps=30.0)
    rng = np.random.default_rng(1)
    pose, trans = rng.normal(0, 0.2, (6, 72)), rng.normal([0, 0, 4], 0.1, (6, 3))
    joblib.dump({3: {"pose": pose, "trans": trans, "betas": np.zeros((6, 10)), "frame_ids": np.arange(6)}},
                tmp_path / "wham_output.pkl")
    result = _run("import", "wham", tmp_path / "wham_output.pkl", "--video", tmp_path / "v.mp4",
                  "--out", tmp_path / "smpl.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "person 3" in result.output
    seq = load_smpl(tmp_path / "smpl.npz")
    np.testing.assert_allclose(seq.transl, trans, atol=1e-9)
    np.testing.assert_allclose(seq.K[0], [160.0, 0.0, 64.0])  # WHAM's camera: f = sqrt(W^2 + H^2)
    cam = np.tile([0.5, 0.5 * 128 / 96, 0.0, 0.1], (4, 1))
    joblib.dump({0: {"pose": pose[:4], "orig_cam": cam, "betas": np.zeros((4, 10)), "frame_ids": np.arange(1, 5)}},
                tmp_path / "vibe_output.pkl")
    result = _run("import", "vibe", tmp_path / "vibe_output.pkl", "--video", tmp_path / "v.mp4", "--focal-px", "320",
                  "--out", tmp_path / "vibe.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "not seen in 2 of 6 frames" in result.output
    np.testing.assert_allclose(load_smpl(tmp_path / "vibe.npz").transl[:, 2], 320 / (0.5 * 64))
    _assert_user_error(_run("import", "vibe", tmp_path / "vibe_output.pkl", "--out", tmp_path / "x.npz"),
                       "needs --video")
    _assert_user_error(_run("import", "wham", tmp_path / "wham_output.pkl", "--video", tmp_path / "v.mp4",
                            "--out", tmp_path / "smpl.npz"), "smpl.npz", "exists")


def test_import_phalp_results_in_phalp_s_camera(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib", reason="joblib (the body-import extra) reads PHALP results")
    from flowpose.body.params import load_smpl

    write_video(tmp_path / "v.mp4", np.zeros((3, 96, 128, 3), np.uint8), fps=30.0)
    eye = np.tile(np.eye(3), (24, 1, 1))
    smpl = {"global_orient": eye[:1], "body_pose": eye[1:], "betas": np.zeros(10)}
    frames = {f"{t}.jpg": {"time": t, "tid": [5], "smpl": [smpl], "camera": [[0.0, 0.1, 30.0 + t]]} for t in range(3)}
    joblib.dump(frames, tmp_path / "demo_v.pkl")
    result = _run("import", "phalp", tmp_path / "demo_v.pkl", "--video", tmp_path / "v.mp4", "--out", tmp_path / "s.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "person 5" in result.output
    seq = load_smpl(tmp_path / "s.npz")
    np.testing.assert_allclose(seq.transl[:, 2], [30.0, 31.0, 32.0])
    np.testing.assert_allclose(seq.K[0], [5000 / 256 * 128, 0.0, 64.0])  # PHALP's camera: f = 5000 / 256 * max(W, H)


def test_export_bvh(work: Path) -> None:
    assert _run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet").exit_code == 0
    result = _run("export", "bvh", work / "video.flowpose" / "refined.npz", "--out", work / "motion.bvh")
    assert result.exit_code == 0, (result.output, result.exception)
    from flowpose.io.bvh import read_bvh

    assert read_bvh(work / "motion.bvh").num_frames == T
    _assert_user_error(_run("export", "bvh", work / "video.flowpose" / "refined.npz", "--out", work / "motion.bvh"),
                       "motion.bvh", "exists")
    _assert_user_error(_run("export", "fbx", work / "video.poses.npz", "--out", work / "m.fbx"), "unknown export format")


def test_warnings_are_one_line_each_and_resource_warnings_stay_silent(capsys: pytest.CaptureFixture[str]) -> None:
    """A command's warnings reach the user once each as ``warning: ...``; ResourceWarning (a file the garbage
    collector closes, as after a stop signal interrupts a read) does not reach them at all."""

    @user_errors
    def command() -> None:
        warnings.warn("the focal length is a guess", UserWarning, stacklevel=1)
        warnings.warn("the focal length is a guess", UserWarning, stacklevel=1)
        warnings.warn("unclosed file <_io.BufferedReader name='x.pyc'>", ResourceWarning, stacklevel=1)

    command()
    assert capsys.readouterr().err.splitlines() == ["warning: the focal length is a guess"]
