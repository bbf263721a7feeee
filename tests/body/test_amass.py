"""Tests of flowpose.body.amass with the stand-in model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from flowpose.body.amass import CAMERA_TO_Z_UP, save_amass
from flowpose.body.model import load_body_model
from flowpose.body.standin import write_standin
from flowpose.body.synth import perturb, smpl_motion, vertices_of


def test_the_z_up_sequence_is_the_same_body_turned_upright(tmp_path: Path) -> None:
    model = load_body_model(write_standin(tmp_path / "standin.pkl"))
    seq = perturb(smpl_motion(5), seed=3)  # a non-zero shape: the rest pelvis matters
    save_amass(seq, model, tmp_path / "motion.npz")
    with np.load(tmp_path / "motion.npz") as data:
        poses, trans, betas = data["poses"], data["trans"], data["betas"]
        assert poses.shape == (5, 72) and str(data["gender"]) == "neutral" and float(data["mocap_framerate"]) == seq.fps
    R = torch.as_tensor(Rotation.from_rotvec(poses.reshape(-1, 3)).as_matrix().reshape(5, 24, 3, 3), dtype=torch.float32)
    with torch.no_grad():
        upright = model(torch.as_tensor(betas, dtype=torch.float32), R, torch.as_tensor(trans, dtype=torch.float32))
    expected = vertices_of(seq, model) @ CAMERA_TO_Z_UP.T
    np.testing.assert_allclose(upright.vertices.numpy(), expected, atol=2e-5)
    # Upright: the head is above the pelvis (Z up), where the camera frame had it at lower y.
    assert (upright.joints[:, 15, 2] > upright.joints[:, 0, 2]).all()


def test_smplx_exports_every_joint_and_says_so(tmp_path: Path) -> None:
    from flowpose.body.layouts import SMPLX

    model = load_body_model(write_standin(tmp_path / "smplx.npz", layout=SMPLX))
    seq = perturb(smpl_motion(4, layout=SMPLX), seed=3)
    save_amass(seq, model, tmp_path / "motion.npz")
    with np.load(tmp_path / "motion.npz") as data:
        poses, trans, betas = data["poses"], data["trans"], data["betas"]
        assert poses.shape == (4, 165) and str(data["surface_model_type"]) == "smplx"
    R = Rotation.from_rotvec(poses.reshape(-1, 3)).as_matrix().reshape(4, 55, 3, 3)
    with torch.no_grad():
        upright = model(torch.as_tensor(betas, dtype=torch.float32), torch.as_tensor(R, dtype=torch.float32),
                        torch.as_tensor(trans, dtype=torch.float32))
        # AMASS has no expression: compare with the same body under a neutral face.
        camera = model(torch.as_tensor(seq.betas, dtype=torch.float32),
                       torch.as_tensor(model.pose_rotations(seq), dtype=torch.float32),
                       torch.as_tensor(seq.transl, dtype=torch.float32))
    np.testing.assert_allclose(upright.vertices.numpy(), camera.vertices.numpy() @ CAMERA_TO_Z_UP.T, atol=2e-5)


def test_a_variable_frame_rate_is_resampled_to_amass_s_even_frames(tmp_path: Path) -> None:
    from dataclasses import replace

    from flowpose.body.amass import to_z_up

    model = load_body_model(write_standin(tmp_path / "standin.pkl"))
    seq = smpl_motion(11)  # a smooth motion, frames evenly spaced at 30 fps
    kept = [0, 1, 2, 3, 4, 6, 8, 10]  # a variable rate: 4 frames at 30 fps, then 4 at 15
    vfr = replace(seq.with_body(seq.global_orient[kept], seq.body_pose[kept], seq.betas, seq.transl[kept]),
                  times=np.array(kept) / 30.0)
    assert save_amass(vfr, model, tmp_path / "motion.npz") == 11
    with np.load(tmp_path / "motion.npz") as data:
        poses, trans = data["poses"], data["trans"]
    full_poses, full_trans = to_z_up(seq, model)
    np.testing.assert_allclose(poses[kept], full_poses[kept], atol=1e-9)  # the kept frames land on their own ticks
    np.testing.assert_allclose(trans[kept], full_trans[kept], atol=1e-6)
    between = Rotation.from_rotvec(poses[5].reshape(-1, 3)) * Rotation.from_rotvec(full_poses[5].reshape(-1, 3)).inv()
    held = Rotation.from_rotvec(full_poses[4].reshape(-1, 3)) * Rotation.from_rotvec(full_poses[5].reshape(-1, 3)).inv()
    assert between.magnitude().max() < 0.05 < 0.1 < held.magnitude().max()  # a frame not kept: Slerp, not a repeat
    np.testing.assert_allclose(trans[5], full_trans[5], atol=1e-5)


def test_a_calibrated_camera_s_world_stands_the_body_on_its_floor(tmp_path: Path) -> None:
    from flowpose.io.world_frame import WorldFrame
    from tests.test_camera_place import rotation

    model = load_body_model(write_standin(tmp_path / "standin.pkl"))
    seq = perturb(smpl_motion(5), seed=3)
    R = rotation(0.4, np.radians(25.0), np.radians(-3.0))  # a camera turned, looking 25 degrees down, rolled
    centre = np.array([0.3, -0.5, 1.9])  # where it stands in the world, metres
    frame = WorldFrame(R=R, t=-R @ centre, camera="cam01")
    save_amass(seq, model, tmp_path / "world.npz", frame=frame)
    with np.load(tmp_path / "world.npz") as data:
        poses, trans, betas = data["poses"], data["trans"], data["betas"]
    Rs = torch.as_tensor(Rotation.from_rotvec(poses.reshape(-1, 3)).as_matrix().reshape(5, 24, 3, 3), dtype=torch.float32)
    with torch.no_grad():
        world = model(torch.as_tensor(betas, dtype=torch.float32), Rs, torch.as_tensor(trans, dtype=torch.float32))
    expected = (vertices_of(seq, model) - frame.t) @ R  # x_world = R^T (x_cam - t)
    np.testing.assert_allclose(world.vertices.numpy(), expected, atol=2e-5)
    level = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # a level camera facing +y, at the origin: the turn alone
    save_amass(seq, model, tmp_path / "level.npz", frame=WorldFrame(R=level, t=np.zeros(3), camera="c"))
    save_amass(seq, model, tmp_path / "camera.npz")
    with np.load(tmp_path / "level.npz") as a, np.load(tmp_path / "camera.npz") as b:
        np.testing.assert_allclose(a["poses"], b["poses"], atol=1e-9)
        np.testing.assert_allclose(a["trans"], b["trans"], atol=1e-9)


def test_the_rest_pelvis_of_each_frame_s_shape(tmp_path: Path) -> None:
    # J0 from the joints alone equals the pelvis of the whole rest mesh posed with each frame's own shape.
    from flowpose.body.amass import rest_pelvis

    model = load_body_model(write_standin(tmp_path / "standin.pkl"))
    seq = smpl_motion(4, seed=2)
    seq = seq.with_body(seq.global_orient, seq.body_pose, np.random.default_rng(0).normal(0, 1, (4, 10)), seq.transl)
    with torch.no_grad():
        whole = model(torch.as_tensor(seq.betas, dtype=torch.float32), torch.eye(3).expand(4, 24, 3, 3),
                      torch.zeros(4, 3))
    np.testing.assert_allclose(rest_pelvis(seq, model), whole.joints[:, 0].numpy(), atol=1e-6)
    assert np.ptp(rest_pelvis(seq, model)[:, 1]) > 1e-3  # the shapes differ, and so do their pelvises
