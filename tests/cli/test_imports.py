"""``flowpose import``: 3D poses, 2D keypoints and SMPL results of other tools."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.io.keypoints2d import load_keypoints, save_keypoints
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.io.video_writer import write_video
from tests.cli.common import T, assert_user_error, body, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jumping_jacks" / "video.poses.npz"
"""The bundled example's estimate: joints of a body's shape."""


def test_import_command(work: Path) -> None:
    np.save(work / "j.npy", body(T))
    result = run(
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
    np.testing.assert_allclose(poses.joints3d, body(T), atol=1e-6)
    assert_user_error(
        run(
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
    assert_user_error(
        run("import", "joints3d", work / "j.npy", "--out", work / "x.npz"), "--intrinsics", "--video"
    )
    assert_user_error(
        run("import", "hmr", work / "j.npy", "--out", work / "x.npz", "--video", work / "video.mp4"),
        "unknown import format 'hmr'",
    )
    assert_user_error(  # 0 is not "unknown": it used to fall back to the video's rate unsaid
        run("import", "joints3d", work / "j.npy", "--out", work / "x.npz", "--video", work / "video.mp4", "--fps", "0"),
        "--fps", "0.0 is not in the range x>0",
    )
    assert_user_error(  # read only by videopose3d: given to joints3d it would be dropped unsaid
        run("import", "joints3d", work / "j.npy", "--out", work / "x.npz", "--video", work / "video.mp4",
            "--keypoints", work / "j.npy"),
        "--keypoints: not used by import joints3d (only by videopose3d)",
    )
    assert_user_error(
        run("import", "coco", work / "j.npy", "--out", work / "x.npz", "--fov", "50"),
        "--fov: not used by import coco (only by metro, joints3d, videopose3d, vibe, pare, wham, phalp)",
    )
    assert not (work / "x.npz").exists()


def test_import_openpose_and_refine_with_its_keypoints(work: Path) -> None:
    from tests.io.test_keypoints2d import write_openpose

    write_openpose(work / "op", T=T, J=25)
    result = run("import", "openpose", work / "op", "--out", work / "kp.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "person 0 of 2" in result.stdout
    # The OpenPose files are of a 500 px wide image; the video is smaller: the keypoints, scaled into its frames.
    kp = load_keypoints(work / "kp.npz")
    with open_video(work / "video.mp4") as reader:
        H, W = reader.size
    assert_user_error(  # as they are, refused before anything is refined or written
        run("refine", work / "video.mp4", "--out", work / "o3", "--keypoints", work / "kp.npz"),
        f"kp.npz: in {T} of its {T} frames no keypoint lies inside the {W}x{H} frames",
    )
    assert not (work / "o3").exists()
    save_keypoints(replace(kp, joints2d=kp.joints2d * np.float32(W / 500)), work / "fit.npz")
    result = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--keypoints", work / "fit.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "2D keypoints:" in result.stdout
    refined = load_poses(work / "video.flowpose" / "refined.npz")
    assert refined.joints2d is not None
    assert_user_error(run("import", "openpos", work / "op", "--out", work / "k2.npz"), "openpose", "coco")
    assert_user_error(
        run("refine", work / "video.mp4", "--out", work / "o4", "--keypoints", work / "video.poses.npz"),
        "not a keypoints file",
    )
    save_keypoints(replace(kp, joints2d=kp.joints2d / np.array([W, H], np.float32)), work / "normalised.npz")
    assert_user_error(  # refused before anything is refined or written
        run("refine", work / "video.mp4", "--out", work / "o5", "--keypoints", work / "normalised.npz"),
        "normalised.npz: each frame's keypoints span", "coordinates normalised to [0, 1]? flowpose reads pixels",
    )
    assert not (work / "o5").exists()


def test_import_yolo_labels_and_refine_with_them(work: Path) -> None:
    from tests.io.test_yolo_labels import label_line, write_labels

    with open_video(work / "video.mp4") as reader:
        H, W = reader.size
    j = np.arange(17)
    person = np.stack([W * (0.3 + 0.02 * j), H * (0.2 + 0.04 * j)], -1)
    lines = {f"video_{t + 1}": [label_line(person + (t, 0), np.full(17, 0.9), (0.95,), (H, W))] for t in range(T)}
    labels = write_labels(work / "runs" / "pose" / "predict" / "labels", lines)
    result = run("import", "yolo", labels.parent, "--video", work / "video.mp4", "--out", work / "kp.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"person 0 of 1 (coco17), {T} frames, found in {T}" in result.stdout
    kp = load_keypoints(work / "kp.npz")
    np.testing.assert_allclose(kp.joints2d[1, 4], person[11] + (1, 0), atol=1e-3)  # COCO's left hip, H36M's 4
    result = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--keypoints", work / "kp.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "2D keypoints: " in result.stdout and "(coco17) replace the initial poses' own" in result.stdout
    replaced = load_poses(work / "video.flowpose" / "refined.npz").joints2d
    result = run("refine", work / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--keypoints", work / "kp.npz",
                 "--keypoints-mix", "average", "--out", work / "avg")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "(coco17) averaged with the initial poses' own where both have a joint" in result.stdout
    own = load_poses(work / "video.poses.npz").joints2d
    averaged = load_poses(work / "avg" / "refined.npz").joints2d
    np.testing.assert_allclose(averaged[2, 4], 0.5 * (replaced[2, 4] + own[2, 4]), atol=1e-3)
    assert_user_error(run("refine", work / "video.mp4", "--keypoints-mix", "average", "--out", work / "o6"),
                      "--keypoints-mix: used only with --keypoints")
    assert_user_error(run("import", "yolo", labels, "--out", work / "k2.npz"), "import yolo needs --video VIDEO")
    assert_user_error(run("import", "yolo", labels, "--video", work / "video.mp4", "--out", work / "k2.npz", "--skeleton",
                          "coco_wholebody133"), "video_1.txt:1: 57 values; expected a YOLO pose line")
    assert not (work / "k2.npz").exists()


def test_import_yolo_labels_of_a_folder_of_frames(tmp_path: Path) -> None:
    import cv2

    from tests.io.test_yolo_labels import label_line, write_labels

    frames = tmp_path / "frames"
    frames.mkdir()
    names = ("f1", "f2", "f3", "f4", "f10")  # natural order: f10 is the fifth frame
    for name in names:
        cv2.imwrite(str(frames / f"{name}.png"), np.zeros((60, 80, 3), np.uint8))
    j = np.arange(17)
    person = np.stack([20 + 2.0 * j, 5 + 3.0 * j], -1)
    lines = {name: [label_line(person + (t, 0), np.full(17, 0.9), (), (60, 80))] for t, name in enumerate(names)
             if name != "f2"}  # nobody found in f2: no file
    labels = write_labels(tmp_path / "labels", lines)
    result = run("import", "yolo", labels, "--video", frames, "--out", tmp_path / "kp.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "5 frames, found in 4" in result.stdout
    kp = load_keypoints(tmp_path / "kp.npz")
    assert np.isnan(kp.joints2d[1]).all()
    np.testing.assert_allclose(kp.joints2d[4, 4], person[11] + (4, 0), atol=1e-3)  # f10.txt: the fifth frame


def test_import_wham_and_vibe_results(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib", reason="joblib (the body-import extra) reads WHAM/VIBE results")
    from flowpose.body.params import load_smpl

    frames = np.random.default_rng(0).uniform(0, 255, (6, 96, 128, 3)).astype(np.uint8)
    write_video(tmp_path / "v.mp4", frames, fps=30.0)
    rng = np.random.default_rng(1)
    pose, trans = rng.normal(0, 0.2, (6, 72)), rng.normal([0, 0, 4], 0.1, (6, 3))
    joblib.dump({3: {"pose": pose, "trans": trans, "betas": np.zeros((6, 10)), "frame_ids": np.arange(6)}},
                tmp_path / "wham_output.pkl")
    result = run("import", "wham", tmp_path / "wham_output.pkl", "--video", tmp_path / "v.mp4",
                  "--out", tmp_path / "smpl.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "person 3" in result.output
    seq = load_smpl(tmp_path / "smpl.npz")
    np.testing.assert_allclose(seq.transl, trans, atol=1e-9)
    np.testing.assert_allclose(seq.K[0], [160.0, 0.0, 64.0])  # WHAM's camera: f = sqrt(W^2 + H^2)
    cam = np.tile([0.5, 0.5 * 128 / 96, 0.0, 0.1], (4, 1))
    joblib.dump({0: {"pose": pose[:4], "orig_cam": cam, "betas": np.zeros((4, 10)), "frame_ids": np.arange(1, 5)}},
                tmp_path / "vibe_output.pkl")
    result = run("import", "vibe", tmp_path / "vibe_output.pkl", "--video", tmp_path / "v.mp4", "--focal-px", "320",
                  "--out", tmp_path / "vibe.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "not seen in 2 of 6 frames" in result.output
    np.testing.assert_allclose(load_smpl(tmp_path / "vibe.npz").transl[:, 2], 320 / (0.5 * 64))
    # A calibration with a lens: its K is used, its distortion is not, and the user is told.
    (tmp_path / "lens.json").write_text(json.dumps({"fx": 320.0, "fy": 320.0, "cx": 63.5, "cy": 47.5,
                                                    "dist": [-0.3, 0.1, 0.0, 0.0]}))
    result = run("import", "vibe", tmp_path / "vibe_output.pkl", "--video", tmp_path / "v.mp4", "--intrinsics",
                 tmp_path / "lens.json", "--out", tmp_path / "lens.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert (f"note: {tmp_path / 'lens.json'}'s lens distortion is not used: SMPL results are placed and refined "
            "through the pinhole K") in result.output
    np.testing.assert_allclose(load_smpl(tmp_path / "lens.npz").transl[:, 2], 320 / (0.5 * 64))
    assert_user_error(run("import", "vibe", tmp_path / "vibe_output.pkl", "--out", tmp_path / "x.npz"),
                       "needs --video")
    assert_user_error(run("import", "vibe", tmp_path / "vibe_output.pkl", "--video", tmp_path / "v.mp4", "--focal-px",
                          "auto", "--out", tmp_path / "x.npz"), "--focal-px auto", "here give --focal-px F")
    assert_user_error(run("import", "wham", tmp_path / "wham_output.pkl", "--video", tmp_path / "v.mp4",
                            "--out", tmp_path / "smpl.npz"), "smpl.npz", "exists")


def test_import_phalp_results_in_phalp_s_camera(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib", reason="joblib (the body-import extra) reads PHALP results")
    from flowpose.body.params import load_smpl

    write_video(tmp_path / "v.mp4", np.zeros((3, 96, 128, 3), np.uint8), fps=30.0)
    eye = np.tile(np.eye(3), (24, 1, 1))
    smpl = {"global_orient": eye[:1], "body_pose": eye[1:], "betas": np.zeros(10)}
    frames = {f"{t}.jpg": {"time": t, "tid": [5], "smpl": [smpl], "camera": [[0.0, 0.1, 30.0 + t]]} for t in range(3)}
    joblib.dump(frames, tmp_path / "demo_v.pkl")
    result = run("import", "phalp", tmp_path / "demo_v.pkl", "--video", tmp_path / "v.mp4", "--out", tmp_path / "s.npz")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "person 5" in result.output
    seq = load_smpl(tmp_path / "s.npz")
    np.testing.assert_allclose(seq.transl[:, 2], [30.0, 31.0, 32.0])
    np.testing.assert_allclose(seq.K[0], [5000 / 256 * 128, 0.0, 64.0])  # PHALP's camera: f = 5000 / 256 * max(W, H)


def test_import_turns_other_camera_axes_and_tells_y_up_joints(work: Path) -> None:
    args = ("--out", work / "i.npz", "--video", work / "video.mp4", "--fov", "50", "--overwrite")
    joints = load_poses(EXAMPLE).joints3d[:T]  # a body's shape: the checks read its head, feet and bones
    np.save(work / "gl.npy", joints * [1, -1, -1])  # OpenGL's camera frame: y up, z backward
    assert_user_error(run("import", "joints3d", work / "gl.npy", *args),
                      "gl.npy: joints3d must lie in front of the camera", "every joint is behind it", "--axes RUB")
    result = run("import", "joints3d", work / "gl.npy", *args, "--axes", "RUB")
    assert result.exit_code == 0, (result.output, result.exception)
    np.testing.assert_allclose(load_poses(work / "i.npz").joints3d, joints, atol=1e-6)
    np.save(work / "up.npy", joints * [1, -1, 1])  # y up, z forward: in front, but upside down
    told = run("import", "joints3d", work / "up.npy", *args)
    assert told.exit_code == 0 and (f"warning: {work / 'up.npy'}: its joints3d have the head below the feet in {T} of "
                                    f"{T} frames") in told.stdout
    assert "(read as RDF; --axes names the file's axes, e.g. LUF: PyTorch3D's)" in told.stdout
    assert "head below" not in run("import", "joints3d", work / "up.npy", *args, "--axes", "ruf").output
    assert_user_error(run("import", "joints3d", work / "up.npy", *args, "--axes", "XYZ"), "--axes: axes must be three")
    assert_user_error(run("import", "coco", work / "up.npy", "--out", work / "k.npz", "--axes", "RUB"),
                      "--axes: not used by import coco")


def test_import_tells_joints_of_another_order(work: Path) -> None:
    from flowpose.joint_map import from_h36m17

    example = load_poses(EXAMPLE)
    coco = from_h36m17(example.joints3d, "coco17")  # eyes and ears: a few cm about the nose
    coco[:, 1:5] = coco[:, [0]] + np.array([[0.03, -0.03, 0.0], [-0.03, -0.03, 0.0], [0.07, 0.0, 0.05], [-0.07, 0.0, 0.05]])
    np.save(work / "coco.npy", coco)
    args = ("--out", work / "i.npz", "--video", work / "video.mp4", "--fov", "50", "--overwrite")
    told = run("import", "joints3d", work / "coco.npy", *args)  # read as the default, h36m17
    assert told.exit_code == 0 and (f"warning: {work / 'coco.npy'}: its joints3d do not look like h36m17's joint "
                                    "order: its left and right bones differ in length by a factor of 2.4") in told.stdout
    assert "joint order" not in run("import", "joints3d", work / "coco.npy", *args, "--skeleton", "coco17").output
