"""Tests of flowpose.io.trc_import: a calibrated capture's TRC markers as one view's ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError
from flowpose.io.groundtruth import load_gt
from flowpose.io.trc_export import write_trc
from flowpose.io.trc_import import read_trc, trc_ground_truth
from flowpose.io.world_frame import WorldFrame
from flowpose.skeleton import H36M17
from tests.io.test_bvh_export import camera_poses

R = Rotation.from_rotvec([1.3, -0.2, 0.4]).as_matrix()
FRAME = WorldFrame(R=R, t=np.array([0.3, 1.2, 3.4]), camera="cam01")


def test_what_export_writes_in_the_world_is_read_back_in_the_camera_s_frame(tmp_path: Path) -> None:
    joints = camera_poses(5)
    joints[3, H36M17.index("l_wrist")] = np.nan  # a blank cell: not known
    write_trc(tmp_path / "m.trc", joints, np.arange(5) / 50.0, 50.0, frame=FRAME)
    gt = trc_ground_truth(tmp_path / "m.trc", FRAME)
    assert gt.fps == 50.0 and gt.joints3d.shape == (5, 17, 3)
    np.testing.assert_allclose(gt.joints3d, joints, atol=2e-6)
    assert np.isnan(gt.joints3d[3, H36M17.index("l_wrist")]).all()


def pose2sim_trc(world_mm: dict[str, np.ndarray]) -> str:
    """A TRC as Pose2Sim writes it (no blank line before the rows), Z up turned Y up, in millimetres."""
    names = list(world_mm)
    T = len(next(iter(world_mm.values())))
    lines = ["PathFileType\t4\t(X/Y/Z)\ttrial.trc",
             "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
             f"60\t60\t{T}\t{len(names)}\tmm\t60\t0\t{T}",
             "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
             "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(len(names)))]
    for t in range(T):
        values = [f"{v:.3f}" for name in names for v in world_mm[name][t][[1, 2, 0]]]  # X -> Y, Y -> Z, Z -> X
        lines.append(f"{t + 1}\t{(t + 1) / 60:.6f}\t" + "\t".join(values))
    return "\n".join(lines) + "\n"


def test_a_pose2sim_trc_in_millimetres_with_markers_of_its_own(tmp_path: Path) -> None:
    joints = camera_poses(4)
    world_mm = (joints - FRAME.t) @ FRAME.R * 1000.0  # x_world = R^T (x_cam - t), mm
    markers = {"Hip": 0, "RHip": 1, "RKnee": 2, "RAnkle": 3, "LHip": 4, "LKnee": 5, "LAnkle": 6, "Neck": 8, "Nose": 9,
               "Head": 10, "LShoulder": 11, "LElbow": 12, "LWrist": 13, "RShoulder": 14, "RElbow": 15, "RWrist": 16}
    columns = {"RBigToe": world_mm[:, 3] + 50.0, **{name: world_mm[:, j] for name, j in reversed(markers.items())}}
    (tmp_path / "trial.trc").write_text(pose2sim_trc(columns))  # a toe first, the joints in another order, no Spine
    assert read_trc(tmp_path / "trial.trc").names[0] == "RBigToe"
    gt = trc_ground_truth(tmp_path / "trial.trc", FRAME)
    known = [j for j in range(17) if j != H36M17.index("spine")]
    np.testing.assert_allclose(gt.joints3d[:, known], joints[:, known], atol=2e-6)
    assert np.isnan(gt.joints3d[:, H36M17.index("spine")]).all()  # no marker of it: not known


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Frame#\tTime\n", r"not a TRC marker file \(expected a first line 'PathFileType \.\.\.', got 'Frame#"),
        ("PathFileType\t4\nUnits\nin\nFrame#\tTime\tHip\t\t\n\t\tX1\tY1\tZ1\n1\t0\t1\t2\t3\n", r"Units 'in'; expected"),
        ("PathFileType\t4\nUnits\nm\nFrame#\tTime\tHip\t\t\n\t\tX1\tY1\tZ1\n1\t0\t1\t2\t3\t4\n",
         r"m\.trc:6: 4 values for 1 markers \(expected 3\)"),
        ("PathFileType\t4\nUnits\nm\nFrame#\tTime\tRToe\t\t\n\t\tX1\tY1\tZ1\n1\t0\t1\t2\t3\n",
         r"none of its markers is named as a joint \(Hip, RHip, .*\); got RToe"),
        ("PathFileType\t4\nUnits\nm\nFrame#\tTime\tHip\t\t\n\t\tX1\tY1\tZ1\n", r"no frames in it"),
    ],
)
def test_what_is_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "m.trc").write_text(text)
    with pytest.raises(InputError, match=message):
        trc_ground_truth(tmp_path / "m.trc", FRAME)


def test_a_trc_given_where_the_camera_s_place_is_unknown_says_what_it_needs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"m\.trc: a TRC marker file is in its capture's world, and needs the camera's "
                                         r"place in it: flowpose refine --gt FILE\.trc --intrinsics CALIBRATION"):
        load_gt(tmp_path / "m.trc")
