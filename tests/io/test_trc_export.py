"""Tests of flowpose.io.trc_export: OpenSim's marker file, read back column by column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import ShapeError
from flowpose.io.trc_export import TRC_MARKERS, write_trc
from flowpose.skeleton import H36M17
from tests.io.test_bvh_export import camera_poses


def read_trc(path: Path) -> tuple[list[str], dict[str, str], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(header lines, the header's fields by name, marker names, frame numbers, times, (T, M, 3) NaN-blank)."""
    lines = path.read_text().split("\n")
    fields = dict(zip(lines[1].split("\t"), lines[2].split("\t")))
    names = [n for n in lines[3].split("\t")[2:] if n]
    rows = [line.split("\t") for line in lines[6:] if line]
    frames = np.array([int(r[0]) for r in rows])
    times = np.array([float(r[1]) for r in rows])
    values = np.array([[float(v) if v else np.nan for v in r[2:]] for r in rows]).reshape(len(rows), -1, 3)
    return lines[:6], fields, names, frames, times, values


def test_markers_read_back(tmp_path: Path) -> None:
    joints = camera_poses(5)
    joints[2, H36M17.index("l_wrist")] = np.nan  # not observed there
    times = np.array([0.0, 0.04, 0.08, 0.125, 0.16])  # a variable rate keeps its times
    write_trc(tmp_path / "m.trc", joints, times, fps=25.0, first_frame=10)
    header, fields, names, frames, got_times, values = read_trc(tmp_path / "m.trc")
    assert header[0] == "PathFileType\t4\t(X/Y/Z)\tm.trc"
    assert fields == {"DataRate": "25", "CameraRate": "25", "NumFrames": "5", "NumMarkers": "17", "Units": "m",
                      "OrigDataRate": "25", "OrigDataStartFrame": "11", "OrigNumFrames": "5"}
    assert names == [TRC_MARKERS[n] for n in H36M17.joint_names] and names[:2] == ["Hip", "RHip"]
    assert header[4].split("\t")[2:5] == ["X1", "Y1", "Z1"] and header[5] == ""
    assert frames.tolist() == [11, 12, 13, 14, 15]
    np.testing.assert_allclose(got_times, times)
    expected = joints * np.array([1.0, -1.0, -1.0])  # Y up: a half turn about x
    np.testing.assert_allclose(values, expected, atol=1e-6)
    assert np.isnan(values[2, H36M17.index("l_wrist")]).all()  # blank, as OpenSim reads a missing marker
    assert (values[:, H36M17.index("head"), 1] > values[:, H36M17.index("pelvis"), 1]).all()  # the head is up


def test_shapes_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ShapeError, match=r"joints3d must have shape \(T, 17, 3\)"):
        write_trc(tmp_path / "m.trc", np.zeros((4, 14, 3)), np.arange(4.0), fps=30.0)
    with pytest.raises(ShapeError, match=r"times must have shape \(4,\)"):
        write_trc(tmp_path / "m.trc", np.zeros((4, 17, 3)), np.arange(3.0), fps=30.0)
    assert not (tmp_path / "m.trc").exists()
