"""Tests of flowpose.io.bvh: parsing, forward kinematics by hand, malformed files, every shared clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.bvh import BvhClip, forward_kinematics, read_bvh
from tests.conftest import shared_path

CLIPS = [
    "cmu_cgspeed/01_01.bvh", "cmu_3dsmax/131_01.bvh", "cmu_3dsmax/131_02.bvh", "cmu_3dsmax/131_03.bvh",
    "cmu_3dsmax/jumping_jacks.bvh", "fair/dab.bvh", "fair/jumping.bvh", "fair/wave_hello.bvh",
    "fair/zombie.bvh",
    "cmu_fbx_converted/07_01.bvh", "cmu_fbx_converted/08_02.bvh", "cmu_fbx_converted/09_11.bvh",
    "cmu_fbx_converted/49_08.bvh",
]
"""Every clip in ../shared/data/mocap (see DATA.md)."""


def tiny_bvh(child_channels: str, frames: list[str], child_count: int = 3) -> str:
    """A root (6 channels), one child joint 1 unit up, and an End Site 1 unit further up."""
    return f"""HIERARCHY
ROOT Hips
{{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT Arm
  {{
    OFFSET 0 1 0
    CHANNELS {child_count} {child_channels}
    End Site
    {{
      OFFSET 0 1 0
    }}
  }}
}}
MOTION
Frames: {len(frames)}
Frame Time: 0.04
""" + "\n".join(frames) + "\n"


def write(tmp_path: Path, text: str, name: str = "clip.bvh") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_parse_structure(tmp_path: Path) -> None:
    clip = read_bvh(write(tmp_path, tiny_bvh("Zrotation Xrotation Yrotation", ["1 2 3 0 0 0 0 0 0"])))
    assert clip.names == ("Hips", "Arm", "Arm_end")
    assert clip.parents == (-1, 0, 1)
    assert clip.channels[2] == ()
    assert clip.channel_start == (0, 6, 9)
    assert clip.motion.shape == (1, 9)
    assert clip.fps == pytest.approx(25.0)
    np.testing.assert_array_equal(clip.offsets, [[0, 0, 0], [0, 1, 0], [0, 1, 0]])


def test_fk_by_hand(tmp_path: Path) -> None:
    # Frame 0: root at (1, 2, 3) turned 90 deg about Z; the child turned 90 deg about X.
    #   Arm = root + Rz90 (0, 1, 0) = (1, 2, 3) + (-1, 0, 0) = (0, 2, 3)
    #   end = Arm + Rz90 Rx90 (0, 1, 0) = Arm + Rz90 (0, 0, 1) = (0, 2, 4)
    # Frame 1: root at the origin, unrotated; child Z = 90 then X = 90 in channel order Z, X (R = Rz Rx):
    #   end = (0, 1, 0) + Rz90 Rx90 (0, 1, 0) = (0, 1, 1)
    text = tiny_bvh("Zrotation Xrotation Yrotation", ["1 2 3 90 0 0 0 90 0", "0 0 0 0 0 0 90 90 0"])
    pos = forward_kinematics(read_bvh(write(tmp_path, text)))
    np.testing.assert_allclose(pos[0], [[1, 2, 3], [0, 2, 3], [0, 2, 4]], atol=1e-12)
    np.testing.assert_allclose(pos[1], [[0, 0, 0], [0, 1, 0], [0, 1, 1]], atol=1e-12)


def test_rotation_order_follows_channels(tmp_path: Path) -> None:
    # Channels X then Z (R = Rx Rz): end = (0, 1, 0) + Rx90 Rz90 (0, 1, 0) = (0, 1, 0) + Rx90 (-1, 0, 0).
    text = tiny_bvh("Xrotation Zrotation Yrotation", ["0 0 0 0 0 0 90 90 0"])
    pos = forward_kinematics(read_bvh(write(tmp_path, text)))
    np.testing.assert_allclose(pos[0, 2], [-1, 1, 0], atol=1e-12)


def test_position_channels_replace_offset(tmp_path: Path) -> None:
    # A 6-channel child: its position channels (0, 2, 0) replace the OFFSET (0, 1, 0); then Z = 90 deg.
    text = tiny_bvh(
        "Xposition Yposition Zposition Xrotation Yrotation Zrotation",
        ["5 0 0 0 0 0 0 2 0 0 0 90"],
        child_count=6,
    )
    pos = forward_kinematics(read_bvh(write(tmp_path, text)))
    np.testing.assert_allclose(pos[0], [[5, 0, 0], [5, 2, 0], [4, 2, 0]], atol=1e-12)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("MOTION", "MOTON"), "no MOTION section"),
        (
            lambda t: t.replace("OFFSET 0 1 0\n    CHANNELS", "OFFSET 0 one 0\n    CHANNELS"),
            "line 8: expected a number in the OFFSET of Arm",
        ),
        (lambda t: t.replace("Zrotation Xrotation Yrotation", "Zrotation Xrotation Wrot"), "unknown channel"),
        (lambda t: t.replace("0 0 0 0 0 0 0 0 0", "0 0 0 0 0 0 0 0"), "line 19: expected 9 channel values"),
        (lambda t: t.replace("Frames: 1", "Frames: 2"), "Frames says 2 but only 1"),
        (lambda t: t.replace("Frame Time: 0.04", "Frame Time: fast"), "Frame Time must be followed by"),
        (lambda t: t.replace("  }\n}\nMOTION", "  }\nMOTION"), "unexpected end of file"),
        (lambda t: t.replace("JOINT Arm", "BONE Arm"), "expected JOINT, End Site or '}'"),
        (lambda t: t.replace("0 0 0 0 0 0 0 0 0", "0 0 0 0 0 0 0 0 nan"), "NaN or infinite"),
    ],
)
def test_malformed_files_name_file_and_problem(tmp_path: Path, edit, message: str) -> None:
    path = write(tmp_path, edit(tiny_bvh("Zrotation Xrotation Yrotation", ["0 0 0 0 0 0 0 0 0"])))
    with pytest.raises(InputError, match=message) as info:
        read_bvh(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the BVH file"):
        read_bvh(tmp_path / "nope.bvh")


def test_unknown_joint_name(tmp_path: Path) -> None:
    clip = read_bvh(write(tmp_path, tiny_bvh("Zrotation Xrotation Yrotation", ["0 0 0 0 0 0 0 0 0"])))
    with pytest.raises(InputError, match="no joint named 'Leg'"):
        clip.index("Leg")


@pytest.fixture(scope="module", params=CLIPS)
def shared_clip(request) -> tuple[BvhClip, np.ndarray]:
    clip = read_bvh(shared_path("data", "mocap", *request.param.split("/")))
    return clip, forward_kinematics(clip)


def test_shared_clip_shapes_and_finite(shared_clip) -> None:
    clip, pos = shared_clip
    assert pos.shape == (clip.num_frames, len(clip.names), 3)
    assert np.isfinite(pos).all()
    assert clip.fps in (pytest.approx(30.0, abs=0.2), pytest.approx(120.0, abs=0.2))
    assert any(name.endswith("_end") for name in clip.names)  # End Sites became joints


def test_shared_clip_rigid_bones(shared_clip) -> None:
    # Every joint without position channels stays at its OFFSET's distance from its parent in every frame.
    clip, pos = shared_clip
    for j, p in enumerate(clip.parents):
        if p < 0 or any(c.endswith("position") for c in clip.channels[j]):
            continue
        length = np.linalg.norm(pos[:, j] - pos[:, p], axis=-1)
        np.testing.assert_allclose(length, np.linalg.norm(clip.offsets[j]), atol=1e-9, err_msg=clip.names[j])
