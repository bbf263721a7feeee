"""Tests of flowpose.io.bvh_export: written BVH files read back (flowpose.io.bvh) into the same poses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.io.bvh import forward_kinematics, read_bvh
from flowpose.io.bvh_export import write_bvh
from flowpose.io.motion import load_motion
from flowpose.io.world_frame import CAMERA_TO_Y_UP
from flowpose.skeleton import H36M17
from tests.conftest import swinging_motion


def camera_poses(T: int = 12) -> np.ndarray:
    """(T, 17, 3) camera-frame metres: the swinging test motion, turning about the vertical as it goes."""
    world = swinging_motion(T).joints.astype(np.float64)  # y up
    turn = Rotation.from_rotvec(np.outer(np.linspace(0, 1.2, T), [0.0, 1.0, 0.0]))
    pelvis = world[:, :1]
    world = np.einsum("tij,tkj->tki", turn.as_matrix(), world - pelvis) + pelvis
    return np.einsum("ij,tkj->tki", CAMERA_TO_Y_UP, world) + np.array([0.0, 0.0, 4.0])


def read_back(path: Path) -> np.ndarray:
    """The camera-frame poses (T, 17, 3) metres of a written file, read as ``flowpose synth`` reads a motion."""
    motion = load_motion(path)
    assert "flowpose naming, y up, 0.01 m per unit" in motion.source
    return np.einsum("ij,tkj->tki", CAMERA_TO_Y_UP, motion.joints.astype(np.float64))


def test_leaves_are_end_sites_named_after_their_parents(tmp_path: Path) -> None:
    write_bvh(tmp_path / "m.bvh", camera_poses(), fps=30.0)
    clip = read_bvh(tmp_path / "m.bvh")
    leaves = {"r_knee_end", "l_knee_end", "neck_end", "l_elbow_end", "r_elbow_end"}
    assert leaves <= set(clip.names) and not {"r_ankle", "head", "l_wrist"} & set(clip.names)
    fk = forward_kinematics(clip) / 100.0
    wrist = np.einsum("ij,tj->ti", CAMERA_TO_Y_UP, fk[:, clip.index("l_elbow_end")])
    np.testing.assert_allclose(wrist, camera_poses()[:, H36M17.index("l_wrist")], atol=2e-4)


def test_round_trip_of_a_rigid_skeleton(tmp_path: Path) -> None:
    poses = camera_poses()
    write_bvh(tmp_path / "m.bvh", poses, fps=30.0)
    clip = read_bvh(tmp_path / "m.bvh")
    assert clip.num_frames == 12 and clip.fps == pytest.approx(30.0) and clip.names[0] == "pelvis"
    np.testing.assert_allclose(read_back(tmp_path / "m.bvh"), poses, atol=2e-4)


def test_bones_take_their_median_length(tmp_path: Path) -> None:
    poses = camera_poses()
    stretched = poses.copy()
    stretched[5, 13] += 0.1 * (poses[5, 13] - poses[5, 12])  # one frame's forearm 10% too long
    write_bvh(tmp_path / "s.bvh", stretched, fps=30.0)
    back = read_back(tmp_path / "s.bvh")
    np.testing.assert_allclose(back[5, 13], poses[5, 13], atol=2e-3)  # the fixed-length skeleton keeps the bone


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(ShapeError, match=r"joints3d must have shape \(T, 17, 3\)"):
        write_bvh(tmp_path / "x.bvh", np.zeros((3, 14, 3)), fps=30.0)
    poses = camera_poses(3)
    poses[1, 4] = np.nan
    with pytest.raises(InputError, match="missing joints"):
        write_bvh(tmp_path / "x.bvh", poses, fps=30.0)
    assert not (tmp_path / "x.bvh").exists()
