"""Tests of flowpose.app.outputs: the results folder is written whole or not at all, never over a folder by accident."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flowpose.app.outputs import write_outputs
from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.io.outdir import MANIFEST, read_manifest
from flowpose.io.poses import load_poses
from flowpose.pose import PoseSequence
from flowpose.refinement.result import CycleRecord, RefineResult


@pytest.fixture
def result() -> RefineResult:
    K = np.array([[50.0, 0, 16], [0, 50.0, 16], [0, 0, 1]], np.float32)
    poses = PoseSequence(np.full((3, 17, 3), 2.0, np.float32), K)
    flow = FlowField.full_frame(np.zeros((2, 8, 8, 2), np.float32))
    history = [CycleRecord(0, metrics={"accel": float("nan")}), CycleRecord(1, losses={"total": 1.0})]
    return RefineResult(poses, flow, history)


def test_writes_loadable_files(result, tmp_path):
    out = write_outputs(result, tmp_path / "out")
    names = ["history.json", "refined.json", "refined.npz"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, *names]
    assert read_manifest(out) == names
    np.testing.assert_array_equal(load_poses(out / "refined.npz").joints3d, result.poses.joints3d)
    np.testing.assert_array_equal(load_poses(out / "refined.json").joints3d, result.poses.joints3d)
    history = json.loads((out / "history.json").read_text())
    assert history[0]["metrics"]["accel"] is None and history[1]["losses"]["total"] == 1.0


def test_existing_folder_is_refused_and_untouched(result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="--overwrite"):
        write_outputs(result, out)
    with pytest.raises(InputError, match="flowpose wrote"):
        write_outputs(result, out, overwrite=True)  # not a folder flowpose wrote: never replaced
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_overwrite_replaces_only_a_folder_flowpose_wrote(result, tmp_path):
    out = write_outputs(result, tmp_path / "out")
    write_outputs(result, out, overwrite=True)
    assert (out / "refined.npz").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (out / "notes.txt").write_text("mine")  # the user added a file: the folder is no longer flowpose's alone
    with pytest.raises(InputError, match="did not write.*notes.txt"):
        write_outputs(result, out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"


def test_failure_leaves_nothing(result, tmp_path):
    def broken(folder):
        (folder / "partial.png").write_bytes(b"x")
        raise RuntimeError("plotting failed")

    with pytest.raises(RuntimeError, match="plotting failed"):
        write_outputs(result, tmp_path / "out", extras=broken)
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_file_is_refused(result, tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        write_outputs(result, tmp_path / "out", overwrite=True)
