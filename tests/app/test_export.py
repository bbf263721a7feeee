"""Tests of flowpose.app.export: pose files to BVH, gaps filled and said, never over an existing file."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.app.export import export_poses
from flowpose.errors import InputError
from flowpose.io.bvh import read_bvh
from flowpose.io.motion import load_motion
from flowpose.io.poses import save_poses
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17
from tests.io.test_bvh_export import camera_poses, read_back
from tests.io.test_trc_export import read_trc


def test_bvh_with_a_never_observed_joint(tmp_path: Path) -> None:
    joints = camera_poses(6).astype(np.float32)
    joints[:, 10] = np.nan  # the head top, as MediaPipe and SMPL give it
    joints[2, 13] = np.nan  # one wrist missed once
    save_poses(PoseSequence(joints3d=joints, K=np.diag([500.0, 500.0, 1.0]).astype(np.float32), fps=25.0),
               tmp_path / "p.npz")
    line = export_poses("bvh", tmp_path / "p.npz", tmp_path / "m.bvh")
    assert "6 frames at 25 fps" in line and "never observed, placed on their parents: head" in line
    assert read_bvh(tmp_path / "m.bvh").num_frames == 6
    with pytest.raises(InputError, match="exists; choose another name"):
        export_poses("bvh", tmp_path / "p.npz", tmp_path / "m.bvh")
    with pytest.raises(InputError, match=r"expected a file ending in \.bvh"):
        export_poses("bvh", tmp_path / "p.npz", tmp_path / "m.txt")
    with pytest.raises(InputError, match="parent folder"):
        export_poses("bvh", tmp_path / "p.npz", tmp_path / "nope" / "m.bvh")
    save_poses(PoseSequence(joints3d=np.full_like(joints, np.nan), K=np.diag([500.0, 500.0, 1.0]).astype(np.float32)),
               tmp_path / "none.npz")
    with pytest.raises(InputError, match=r"none\.npz: no observed joint in any of its 6 frames"):
        export_poses("bvh", tmp_path / "none.npz", tmp_path / "n.bvh")
    assert not (tmp_path / "n.bvh").exists()
    save_poses(PoseSequence(joints3d=joints[:1], K=np.diag([500.0, 500.0, 1.0]).astype(np.float32)), tmp_path / "one.npz")
    assert export_poses("bvh", tmp_path / "one.npz", tmp_path / "one.bvh").startswith(
        f"wrote {tmp_path / 'one.bvh'}: 1 frame at 30 fps")


def test_bvh_of_frames_filled_in_says_which(tmp_path: Path) -> None:
    # A refined.npz of a person seen in frames 10-13 of 16 only: the others filled in, finite, with conf 0.
    joints = camera_poses(6).astype(np.float32)
    joints = np.concatenate([np.repeat(joints[:1], 10, 0), joints[:4], np.repeat(joints[3:4], 2, 0)])
    conf = np.zeros(joints.shape[:2], np.float32)
    conf[10:14] = 1.0
    save_poses(PoseSequence(joints3d=joints, K=np.diag([500.0, 500.0, 1.0]).astype(np.float32), conf=conf,
                            first_frame=20), tmp_path / "refined.npz")
    line = export_poses("bvh", tmp_path / "refined.npz", tmp_path / "m.bvh")
    assert line == (f"wrote {tmp_path / 'm.bvh'}: 16 frames at 30 fps, Human3.6M-17, Y up, centimetres; 12 of its "
                    "16 frames have no observed joint (20-29, 34-35): filled in, not measured (BVH keeps no confidence)")
    assert read_bvh(tmp_path / "m.bvh").num_frames == 16
    conf[:10] = 1.0
    conf[14] = 1.0
    save_poses(PoseSequence(joints3d=joints, K=np.diag([500.0, 500.0, 1.0]).astype(np.float32), conf=conf),
               tmp_path / "once.npz")
    assert export_poses("bvh", tmp_path / "once.npz", tmp_path / "once.bvh").endswith(
        "; 1 of its 16 frames has no observed joint (15): filled in, not measured (BVH keeps no confidence)")


def test_bvh_of_a_variable_frame_rate_is_resampled_evenly(tmp_path: Path) -> None:
    # Frames at their own times (1 or 2 frame-times of 25 fps apart) of a body crossing at a steady 1 m/s: the
    # BVH's evenly spaced frames must show the steady crossing, not the uneven sampling.
    times = np.array([0, 1, 2, 4, 5, 7]) / 25.0
    joints = np.repeat(camera_poses(1), 6, 0) + (times[:, None, None] * np.array([1.0, 0.0, 0.0]))
    save_poses(PoseSequence(joints3d=joints.astype(np.float32), K=np.diag([500.0, 500.0, 1.0]).astype(np.float32),
                            fps=25.0, times=times + 3.0), tmp_path / "p.npz")
    line = export_poses("bvh", tmp_path / "p.npz", tmp_path / "m.bvh")
    assert "8 frames at 25 fps" in line and "resampled from 6 frames at their own times" in line
    pelvis = read_back(tmp_path / "m.bvh")[:, 0]
    np.testing.assert_allclose(np.linalg.norm(np.diff(pelvis, axis=0), axis=-1), 0.04, atol=1e-4)


def test_amass_of_a_variable_frame_rate_is_resampled_evenly(tmp_path: Path) -> None:
    from dataclasses import replace

    from flowpose.body.params import save_smpl
    from flowpose.body.standin import write_standin
    from flowpose.body.synth import smpl_motion

    save_smpl(replace(smpl_motion(6), times=np.array([0, 1, 2, 4, 5, 7]) / 30.0), tmp_path / "p.npz")
    line = export_poses("amass", tmp_path / "p.npz", tmp_path / "m.npz", body_model=write_standin(tmp_path / "s.pkl"))
    assert "8 frames at 30 fps" in line and "resampled from 6 frames at their own times" in line
    with np.load(tmp_path / "m.npz") as data:
        assert data["poses"].shape == (8, 72) and data["trans"].shape == (8, 3)


def test_trc_leaves_what_was_not_observed_blank(tmp_path: Path) -> None:
    joints = camera_poses(6).astype(np.float32)
    joints[:, H36M17.index("head")] = np.nan  # MediaPipe's head top: never observed
    conf = np.ones(joints.shape[:2], np.float32)
    conf[3, H36M17.index("r_wrist")] = 0.0  # refined, but not observed in that frame
    save_poses(PoseSequence(joints3d=joints, K=np.diag([500.0, 500.0, 1.0]).astype(np.float32), conf=conf, fps=50.0,
                            first_frame=7), tmp_path / "refined.npz")
    line = export_poses("trc", tmp_path / "refined.npz", tmp_path / "m.trc")
    assert line == (f"wrote {tmp_path / 'm.trc'}: 6 frames at 50 fps, 17 markers (Pose2Sim's names), Y up, metres; "
                    "never observed, left out: head; 1 joint-frame not observed, left blank")
    _, _, names, frames, times, values = read_trc(tmp_path / "m.trc")
    assert frames.tolist() == [8, 9, 10, 11, 12, 13]  # the video's frames, counted from 1
    np.testing.assert_allclose(times, np.arange(7, 13) / 50.0)  # the video's time
    assert np.isnan(values[:, names.index("Head")]).all() and np.isnan(values[3, names.index("RWrist")]).all()
    assert np.isfinite(values[:, names.index("LWrist")]).all()
    with pytest.raises(InputError, match=r"expected a file ending in \.trc"):
        export_poses("trc", tmp_path / "refined.npz", tmp_path / "m.csv")
    with pytest.raises(InputError, match=r"unknown export format 'c3d'; choose from \['bvh', 'trc', 'amass'\]"):
        export_poses("c3d", tmp_path / "refined.npz", tmp_path / "m.c3d")


def test_trc_and_bvh_in_a_calibrated_world(tmp_path: Path) -> None:
    from tests.io.test_rig_files import TOML

    (tmp_path / "Calib.toml").write_text(TOML)  # cam01: turned and placed; cam02: the world's own axes
    joints = camera_poses(6)
    K = np.array([[1681.2, 0, 533.0], [0, 1681.1, 948.1], [0, 0, 1]])  # cam01's
    folder = tmp_path / "cam01.flowpose"
    folder.mkdir()
    save_poses(PoseSequence(joints3d=joints, K=K, fps=60.0), folder / "refined.npz")
    line = export_poses("trc", folder / "refined.npz", tmp_path / "w.trc", extrinsics=tmp_path / "Calib.toml")
    assert line.endswith(", in the world of Calib.toml (camera cam01; its Z up turned Y up)")  # by the video's name
    R, t = cv2.Rodrigues(np.array([1.2, -0.3, 0.1]))[0], np.array([0.5, 1.1, 3.2])
    world = (joints - t) @ R  # x_world = R^T (x_cam - t)
    np.testing.assert_allclose(read_trc(tmp_path / "w.trc")[5], world[..., [1, 2, 0]], atol=1e-6)  # Pose2Sim's turn
    export_poses("bvh", folder / "refined.npz", tmp_path / "w.bvh", extrinsics=tmp_path / "Calib.toml")
    back = load_motion(tmp_path / "w.bvh").joints  # metres, Y up: as written
    np.testing.assert_allclose(back, world[..., [1, 2, 0]], atol=2e-4)  # a rigid body keeps its bones
    line = export_poses("trc", folder / "refined.npz", tmp_path / "w2.trc", extrinsics=tmp_path / "Calib.toml",
                        camera="cam02")
    assert ("in the world of Calib.toml (camera cam02; its Z up turned Y up); warning: the person's axis (ankles to "
            "thorax) is 90 degrees from that world's z: is its up Z (Pose2Sim's, Qualisys's)? An anipose board's frame "
            "need not be; warning: the poses' focal length (1681.2 px) is not camera cam02's (1400.0 px)") in line
    level = TOML.replace("rotation = [ 0.0, 0.0, 0.0,]", f"rotation = [ {np.pi / 2}, 0.0, 0.0,]")  # cam02 level: upright
    (tmp_path / "Level.toml").write_text(level)
    line = export_poses("trc", folder / "refined.npz", tmp_path / "w4.trc", extrinsics=tmp_path / "Level.toml",
                        camera="cam02")
    assert "(camera cam02; its Z up turned Y up); warning: the poses' focal" in line and "axis" not in line
    np.testing.assert_allclose(read_trc(tmp_path / "w2.trc")[5], joints[..., [1, 2, 0]], atol=1e-6)  # R = I, t = 0
    save_poses(PoseSequence(joints3d=joints, K=np.repeat(K[None], 6, 0), fps=60.0), folder / "per_frame.npz")  # a K a frame
    line = export_poses("trc", folder / "per_frame.npz", tmp_path / "w3.trc", extrinsics=tmp_path / "Calib.toml")
    assert line.endswith("(camera cam01; its Z up turned Y up)")  # the same camera: no warning
    np.testing.assert_allclose(read_trc(tmp_path / "w3.trc")[5], read_trc(tmp_path / "w.trc")[5])


def test_amass_in_a_calibrated_world_and_on_a_given_place(tmp_path: Path) -> None:
    from flowpose.body.amass import to_z_up
    from flowpose.body.model import load_body_model
    from flowpose.body.params import save_smpl
    from flowpose.body.standin import write_standin
    from flowpose.body.synth import smpl_motion
    from flowpose.camera_place import placed_frame
    from flowpose.io.rig_files import read_rig
    from flowpose.io.world_frame import world_frame
    from tests.io.test_rig_files import TOML

    (tmp_path / "Calib.toml").write_text(TOML)
    model_path = write_standin(tmp_path / "s.pkl")
    model = load_body_model(model_path)
    seq = smpl_motion(4)  # f = 500 px: not cam01's 1681.2
    folder = tmp_path / "cam01.flowpose"
    folder.mkdir()
    save_smpl(seq, folder / "refined_smpl.npz")
    line = export_poses("amass", folder / "refined_smpl.npz", tmp_path / "w.npz", body_model=model_path,
                        extrinsics=tmp_path / "Calib.toml")
    assert ", in the world of Calib.toml (camera cam01; its Z up)" in line, line  # by the video's name
    assert line.endswith("warning: the poses' focal length (500.0 px) is not camera cam01's (1681.2 px): their depth, so "
                         "their place in that world, is of another camera (the camera of the estimator that made them)")
    frame = world_frame(next(c for c in read_rig(tmp_path / "Calib.toml") if c.name == "cam01"), "Calib.toml")
    poses, trans = to_z_up(seq, model, frame)
    with np.load(tmp_path / "w.npz") as data:
        np.testing.assert_allclose(data["poses"], poses)
        np.testing.assert_allclose(data["trans"], trans)
    line = export_poses("amass", folder / "refined_smpl.npz", tmp_path / "p.npz", body_model=model_path,
                        camera_place=(1.8, 10.0, 0.0))
    assert line.endswith(", upright on the floor 1.8 m under the camera (looking 10 degrees down, rolled 0; Z up)"), line
    poses, trans = to_z_up(seq, model, placed_frame(1.8, 10.0, 0.0))
    with np.load(tmp_path / "p.npz") as data:
        np.testing.assert_allclose(data["trans"], trans)
    line = export_poses("amass", folder / "refined_smpl.npz", tmp_path / "s.npz", body_model=model_path,
                        camera_place=(1.8, 30.0, 0.0))  # the body stands near the camera's y: some 30 degrees off
    assert re.search(r"\(looking 30 degrees down, rolled 0; Z up\); warning: the person's axis \(ankles to thorax\) is "
                     r"3\d degrees from the vertical of that tilt: is --camera-tilt right", line), line
    line = export_poses("amass", folder / "refined_smpl.npz", tmp_path / "c.npz", body_model=model_path)
    assert line.endswith("Z up, metres (AMASS layout)")  # no world given: the camera's frame turned


def test_trc_and_bvh_upright_on_the_floor_under_a_given_place(tmp_path: Path) -> None:
    from tests.test_camera_place import rotation

    joints = camera_poses(6)
    save_poses(PoseSequence(joints3d=joints, K=np.diag([500.0, 500.0, 1.0]), fps=60.0), tmp_path / "refined.npz")
    line = export_poses("trc", tmp_path / "refined.npz", tmp_path / "level.trc", camera_place=(1.5, 0.0, 0.0))
    assert line.endswith(", upright on the floor 1.5 m under the camera (looking 0 degrees down, rolled 0; Z up turned "
                         "Y up)")  # the test body stands along the camera's y: upright
    # A level camera: Y up is the height above the floor, 1.5 m less the camera's y; Z is the camera's x, X its z.
    x, y, z = joints[..., 0], joints[..., 1], joints[..., 2]
    np.testing.assert_allclose(read_trc(tmp_path / "level.trc")[5], np.stack([z, 1.5 - y, x], -1), atol=1e-6)
    place = (1.8, 25.0, -4.0)
    R = rotation(0.0, np.radians(25.0), np.radians(-4.0))
    world = (joints - (-R @ np.array([0.0, 0.0, 1.8]))) @ R  # x_world = R^T (x_cam - t), the camera at (0, 0, 1.8)
    export_poses("bvh", tmp_path / "refined.npz", tmp_path / "tilted.bvh", camera_place=place)
    np.testing.assert_allclose(load_motion(tmp_path / "tilted.bvh").joints, world[..., [1, 2, 0]], atol=2e-4)
    line = export_poses("trc", tmp_path / "refined.npz", tmp_path / "steep.trc", camera_place=(1.5, 30.0, 0.0))
    assert line.endswith("(looking 30 degrees down, rolled 0; Z up turned Y up); warning: the person's axis (ankles to "
                         "thorax) is 30 degrees from the vertical of that tilt: is --camera-tilt right (the pitch: degrees "
                         "the camera looks down; the roll: positive where the horizon rises to the right)?")
    line = export_poses("trc", tmp_path / "refined.npz", tmp_path / "slight.trc", camera_place=(1.5, 20.0, 0.0))
    assert line.endswith("(looking 20 degrees down, rolled 0; Z up turned Y up)")  # 20 degrees: within a lean's reach
    # A pose file that carries its camera's place (refine --floor writes it): exported in that world unasked.
    save_poses(PoseSequence(joints3d=joints, K=np.diag([500.0, 500.0, 1.0]), fps=60.0,
                            world=np.hstack([R, (-R @ np.array([0.0, 0.0, 1.8]))[:, None]])), tmp_path / "placed.npz")
    line = export_poses("bvh", tmp_path / "placed.npz", tmp_path / "carried.bvh")
    assert line.endswith(", upright in the world of the floor refine stood it on (its camera's place in placed.npz; Z up "
                         "turned Y up)")
    np.testing.assert_allclose(load_motion(tmp_path / "carried.bvh").joints, world[..., [1, 2, 0]], atol=2e-4)
    line = export_poses("trc", tmp_path / "placed.npz", tmp_path / "level.trc2.trc", camera_place=(1.5, 0.0, 0.0))
    assert "upright on the floor 1.5 m under the camera" in line  # the place given wins over the file's
    np.testing.assert_allclose(read_trc(tmp_path / "level.trc2.trc")[5], np.stack([z, 1.5 - y, x], -1), atol=1e-6)
    with pytest.raises(InputError, match=r"--extrinsics places the camera, and so do --camera-height and --camera-tilt"):
        export_poses("trc", tmp_path / "refined.npz", tmp_path / "x.trc", extrinsics=tmp_path / "Calib.toml",
                     camera_place=place)
    with pytest.raises(InputError, match=r"--camera-tilt auto reads the tilt from a video, and export reads none: give "
                                         r"--camera-tilt PITCH\[,ROLL\], or export refined\.npz of refine --floor"):
        export_poses("trc", tmp_path / "refined.npz", tmp_path / "x.trc", camera_place=(1.5, None, None))
    assert not (tmp_path / "x.trc").exists() and not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize(
    ("calibration", "camera", "fmt", "message"),
    [
        ("missing.toml", None, "trc", r"--extrinsics .*missing\.toml: no such file"),
        ("K.txt", None, "trc", r"--extrinsics .*K\.txt: not a calibration file with the cameras' places"),
        (None, "cam01", "trc", r"--camera names a camera of --extrinsics FILE, which was not given"),
        ("Calib.toml", None, "amass", r"Calib\.toml: holds 2 cameras \(cam01, cam02\), none named as the video of "
                                      r".*p\.npz \(taken to be p\)"),
        ("Calib.toml", None, "trc", r"Calib\.toml: holds 2 cameras \(cam01, cam02\), none named as the video of "
                                    r".*p\.npz \(taken to be p\)"),
        ("Calib.toml", "cam03", "trc", r"Calib\.toml: no camera named 'cam03' in it; it holds cam01, cam02"),
        ("Placeless.toml", "cam01", "trc", r"Placeless\.toml: camera cam01: no rotation and translation"),
    ],
)
def test_a_world_that_cannot_be_had_is_refused_and_nothing_written(
    tmp_path: Path, calibration: str | None, camera: str | None, fmt: str, message: str
) -> None:
    from tests.io.test_rig_files import TOML

    (tmp_path / "Calib.toml").write_text(TOML)
    (tmp_path / "Placeless.toml").write_text(TOML.replace("rotation = [ 1.2, -0.3, 0.1,]", ""))
    (tmp_path / "K.txt").write_text("500 500 320 240\n")
    save_poses(PoseSequence(joints3d=camera_poses(4), K=np.diag([500.0, 500.0, 1.0])), tmp_path / "p.npz")
    out = tmp_path / f"m.{'npz' if fmt == 'amass' else fmt}"
    with pytest.raises(InputError, match=message):
        export_poses(fmt, tmp_path / "p.npz", out, extrinsics=None if calibration is None else tmp_path / calibration,
                     camera=camera)
    assert not out.exists()
