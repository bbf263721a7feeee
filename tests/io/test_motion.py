"""Tests of flowpose.io.motion: every shared clip as H36M-17 in metres, Y up; npz input; resampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.io.bvh import forward_kinematics, read_bvh
from flowpose.io.motion import (
    UP_TO_Y,
    Motion,
    bvh_to_h36m17,
    detect_up_axis,
    load_motion,
    naming_style,
    resample,
)
from flowpose.io.npz import write_npz
from flowpose.io.poses import save_poses
from flowpose.joint_map import from_h36m17
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17
from tests.conftest import shared_path, swinging_motion
from tests.io.test_bvh import CLIPS, tiny_bvh

J = H36M17.index
RIGID_BONES = [
    ("r_hip", "r_knee"), ("r_knee", "r_ankle"), ("l_hip", "l_knee"), ("l_knee", "l_ankle"), ("neck", "head"),
    ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"), ("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist"),
    ("pelvis", "l_hip"), ("pelvis", "r_hip"),
]
"""H36M-17 bones that are single BVH bones in every naming style (the torso ones span several)."""

STYLES = {"cmu_cgspeed": "cmu_motionbuilder", "cmu_3dsmax": "cmu_3dsmax", "fair": "animated_drawings",
          "cmu_fbx_converted": "cmu_fbx"}


@pytest.fixture(scope="module", params=CLIPS)
def motion(request) -> tuple[str, Motion]:
    return request.param, load_motion(shared_path("data", "mocap", *request.param.split("/")))


def test_shape_dtype_finite(motion) -> None:
    _, m = motion
    assert m.joints.shape[1:] == (17, 3) and m.joints.dtype == np.float32
    assert np.isfinite(m.joints).all()
    assert m.fps > 0 and "BVH" in m.source


def test_naming_style_detected(motion) -> None:
    name, m = motion
    assert f"{STYLES[name.split('/')[0]]} naming" in m.source
    assert ("z up" in m.source) == name.startswith(("fair", "cmu_fbx"))


def test_rigid_bones_constant_within_1mm(motion) -> None:
    _, m = motion
    for a, b in RIGID_BONES:
        length = np.linalg.norm(m.joints[:, J(a)] - m.joints[:, J(b)], axis=-1)
        assert length.max() - length.min() < 1e-3, (a, b)
        assert 0.03 < length.mean() < 0.7, (a, b)


def test_standing_height(motion) -> None:
    # Head to the ankles' midpoint; the 90th percentile over the clip, since 49_08 starts crouched.
    _, m = motion
    ankles = 0.5 * (m.joints[:, J("l_ankle")] + m.joints[:, J("r_ankle")])
    height = np.percentile(np.linalg.norm(m.joints[:, J("head")] - ankles, axis=-1), 90)
    assert 1.4 <= height <= 2.0


def test_y_is_up(motion) -> None:
    _, m = motion
    ankles_y = m.joints[:, [J("l_ankle"), J("r_ankle")], 1].mean(axis=1)
    assert (m.joints[:, J("head"), 1] - ankles_y).mean() > 0.5  # feet below the head on average
    assert (m.joints[:, J("pelvis"), 1] > ankles_y).mean() > 0.6


def test_left_is_the_persons_left(motion) -> None:
    # Toes point forward: "forward" is the mean ankle-to-toe direction of the BVH feet, taken to Y up with the
    # loader's rotation, and the person's left is up x forward. The output's l_hip and l_shoulder must lie on
    # that side (a mirrored axis change or swapped names would put them on the other).
    name, m = motion
    clip = read_bvh(shared_path("data", "mocap", *name.split("/")))
    pos = forward_kinematics(clip)
    pos = pos @ UP_TO_Y[detect_up_axis(bvh_to_h36m17(clip, pos), clip.path)].T
    toe, ankle = ("Toe", "Ankle") if "LeftToe" in clip.names else ("ToeBase", "Foot")
    forward = sum(pos[:, clip.index(s + toe)] - pos[:, clip.index(s + ankle)] for s in ("Left", "Right"))
    left = np.cross([0.0, 1.0, 0.0], forward)
    for a, b in [("l_hip", "r_hip"), ("l_shoulder", "r_shoulder")]:
        side = np.einsum("ti,ti->t", m.joints[:, J(a)] - m.joints[:, J(b)], left)
        assert np.median(side) > 0, a


def test_scale_and_up_overrides() -> None:
    path = shared_path("data", "mocap", "cmu_fbx_converted", "07_01.bvh")
    one, two, auto = load_motion(path, scale=1.0), load_motion(path, scale=2.0, up="z"), load_motion(path)
    np.testing.assert_allclose(two.joints, 2.0 * one.joints, rtol=1e-6)
    assert "z up" in one.source
    # up="y" keeps the file's axes, so y_out = -z_file and z_out = y_file relative to the z-up reading.
    lying = load_motion(path, scale=1.0, up="y")
    np.testing.assert_allclose(lying.joints[..., 2], one.joints[..., 1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(lying.joints[..., 1], -one.joints[..., 2], rtol=1e-6, atol=1e-6)
    assert load_motion(path, fps=60.0).fps == 60.0 and auto.fps == pytest.approx(120.0, abs=0.2)


def test_unknown_naming(tmp_path: Path) -> None:
    path = tmp_path / "odd.bvh"
    path.write_text(tiny_bvh("Zrotation Xrotation Yrotation", ["0 0 0 0 0 0 0 0 0"]))
    with pytest.raises(InputError, match="unknown BVH joint naming"):
        naming_style(read_bvh(path))
    with pytest.raises(InputError, match=str(path)):
        load_motion(path)


def test_npz_round_trip_and_up(tmp_path: Path) -> None:
    joints = swinging_motion(5).joints.astype(np.float32)  # y up
    np.savez(tmp_path / "m.npz", joints3d=joints, fps=25.0)
    m = load_motion(tmp_path / "m.npz")
    np.testing.assert_array_equal(m.joints, joints)
    assert m.fps == 25.0 and "y up" in m.source
    z_up = load_motion(tmp_path / "m.npz", up="z", scale=0.5)  # z up -> y up: (x, y, z) -> (x, z, -y)
    np.testing.assert_allclose(z_up.joints, 0.5 * joints[..., [0, 2, 1]] * [1, 1, -1], rtol=1e-6)


@pytest.mark.parametrize(
    ("up", "to_file"), [("z", [[1, 0, 0], [0, 0, -1], [0, 1, 0]]), ("-y", [[1, 0, 0], [0, -1, 0], [0, 0, -1]])]
)
def test_npz_up_axis_detected(tmp_path: Path, up: str, to_file: list) -> None:
    """A z-up world (AMASS's) or a camera frame (a pose file's, y down) was rendered lying or upside down."""
    joints = swinging_motion(5).joints.astype(np.float64)  # y up
    np.savez(tmp_path / "m.npz", joints3d=joints @ np.array(to_file, float).T, fps=25.0)
    m = load_motion(tmp_path / "m.npz")
    assert f"{up} up" in m.source
    np.testing.assert_allclose(m.joints, joints, atol=1e-6)


def test_a_pose_file_is_a_motion(tmp_path: Path) -> None:
    """flowpose's own pose files: the camera frame (y down), and other skeletons mapped to H36M-17."""
    joints = swinging_motion(5).joints.astype(np.float64) * [1.0, -1.0, -1.0] + [0.0, 0.0, 3.0]
    coco = from_h36m17(joints, "coco17")
    np.savez(tmp_path / "coco.npz", joints3d=coco, skeleton="coco17", fps=25.0)
    with pytest.raises(InputError, match=r"coco\.npz: cannot derive h36m17 joint 'head' from skeleton 'coco17'"):
        load_motion(tmp_path / "coco.npz")
    save_poses(PoseSequence(joints3d=joints, K=np.diag([500.0, 500.0, 1.0]), fps=25.0), tmp_path / "p.npz")
    m = load_motion(tmp_path / "p.npz")
    assert "-y up" in m.source
    np.testing.assert_allclose(m.joints, joints * [1.0, -1.0, -1.0], atol=1e-5)


def test_a_body_lying_down_is_refused(tmp_path: Path) -> None:
    joints = swinging_motion(5).joints.astype(np.float64)[..., [1, 0, 2]]  # the head along +x
    np.savez(tmp_path / "lying.npz", joints3d=joints, fps=25.0)
    told = r"lying\.npz: cannot tell the up axis: .* \[0\.75, 0\.0, 0\.0\] \(expected mostly \+y or \+z"
    with pytest.raises(InputError, match=told):
        load_motion(tmp_path / "lying.npz")


BODY = np.random.default_rng(0).uniform(-0.4, 0.4, (4, 17, 3)) * [1.0, 2.0, 0.5]  # about 1.5 m tall, in metres


@pytest.mark.parametrize(
    ("arrays", "error", "message"),
    [
        ({"fps": 30.0}, InputError, "missing key 'joints3d'"),
        ({"joints3d": np.zeros((4, 16, 3))}, ShapeError, r"\(T, 17, 3\)"),
        ({"joints3d": np.zeros((4, 17, 3))}, InputError, "missing key 'fps'"),
        ({"joints3d": np.full((4, 17, 3), np.nan), "fps": 30.0}, InputError, r"infinite for pelvis \(0\) in 4, "),
        ({"joints3d": np.where(np.arange(17)[:, None] == 10, np.nan, BODY), "fps": 30.0}, InputError,
         r"bad\.npz: joints3d is NaN or infinite for head \(10\) in 4 of its 4 frames; a motion needs every joint"),
        ({"joints3d": BODY, "fps": 0.0}, InputError, r"bad\.npz: fps must be a positive number .*, got 0"),
        ({"joints3d": BODY, "fps": "fast"}, InputError, r"bad\.npz: fps must be a number, got array\('fast'"),
        ({"joints3d": np.zeros((4, 17, 3)), "fps": 30.0}, InputError, r"bad\.npz: the body's largest side is 0 m"),
        ({"joints3d": BODY * 1000.0, "fps": 30.0}, InputError, r"largest side is 1\.\d+e\+03 m .* expected a body in metres"),
    ],
)
def test_npz_errors(tmp_path: Path, arrays, error, message: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(error, match=message):
        load_motion(tmp_path / "bad.npz")


def test_text_named_npz(tmp_path: Path) -> None:
    (tmp_path / "walk.npz").write_text("joints3d,fps\n")
    with pytest.raises(InputError) as info:
        load_motion(tmp_path / "walk.npz")
    assert str(info.value) == (f"{tmp_path / 'walk.npz'}: not a readable .npz motion file (corrupt or truncated?): not "
                               "a zip archive, as every .npz is (it starts with b'join')")


def test_truncated_npz_is_one_line(tmp_path: Path) -> None:
    """A motion archive cut short was a BadZipFile traceback from `flowpose synth`."""
    write_npz(tmp_path / "walk.npz", {"joints3d": np.zeros((40, 17, 3)), "fps": np.array(30.0)})
    cut = tmp_path / "cut.npz"
    cut.write_bytes((tmp_path / "walk.npz").read_bytes()[:100])
    with pytest.raises(InputError) as info:
        load_motion(cut)
    assert str(info.value) == f"{cut}: not a readable .npz motion file (corrupt or truncated?): File is not a zip file"


def test_bad_paths_and_options(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such motion file"):
        load_motion(tmp_path / "none.bvh")
    (tmp_path / "m.fbx").write_text("x")
    with pytest.raises(InputError, match="expected .bvh or .npz"):
        load_motion(tmp_path / "m.fbx")
    with pytest.raises(InputError, match="up must be one of"):
        load_motion(tmp_path / "m.fbx", up="x")
    with pytest.raises(InputError, match="scale must be a positive"):
        load_motion(tmp_path / "m.fbx", scale=-1.0)


def test_resample_is_exact_on_smooth_motion() -> None:
    t = np.arange(121) / 120.0
    joints = np.zeros((121, 17, 3), np.float32)
    joints[..., 0] = (t**3 - t)[:, None]  # a cubic in time: the spline reproduces it
    out = resample(Motion(joints=joints, fps=120.0, source="test"), 30.0)
    assert out.fps == 30.0 and out.num_frames == 31
    t30 = np.arange(31) / 30.0
    np.testing.assert_allclose(out.joints[:, 0, 0], t30**3 - t30, atol=1e-6)
    with pytest.raises(InputError, match="fps must be a positive"):
        resample(out, 0.0)


def test_rotations_at_uneven_times_resample_exactly_on_a_steady_turn() -> None:
    from scipy.spatial.transform import Rotation

    from flowpose.io.motion import resample_rotations

    times = np.array([0, 1, 2, 3, 4, 6, 8, 10]) / 30.0  # 4 frames at 30 fps, then 4 at 15
    axis = np.array([0.0, 0.6, 0.8])
    rate = np.array([2.0, -1.0])  # rad/s about one axis per joint: Slerp is exact on such a turn
    rotvecs = times[:, None, None] * rate[None, :, None] * axis  # (T, 2, 3)
    out = resample_rotations(rotvecs, times, 30.0)
    t30 = np.arange(11) / 30.0
    assert out.shape == (11, 2, 3)
    expected = t30[:, None, None] * rate[None, :, None] * axis
    angle = (Rotation.from_rotvec(out.reshape(-1, 3)) * Rotation.from_rotvec(expected.reshape(-1, 3)).inv()).magnitude()
    assert angle.max() < 1e-9
    even = resample_rotations(expected, t30, 30.0)
    np.testing.assert_allclose(even, expected, atol=1e-12)  # evenly spaced frames at their own rate: unchanged
    with pytest.raises(InputError, match="fps must be a positive"):
        resample_rotations(rotvecs, times, 0.0)
