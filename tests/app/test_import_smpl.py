"""Tests of flowpose.app.import_smpl: the file it writes, and the user's files it will not replace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.app.import_smpl import import_smpl_file
from flowpose.body.params import load_smpl
from flowpose.errors import InputError

joblib = pytest.importorskip("joblib", reason="joblib (the body-import extra) reads VIBE/PARE/WHAM results")


def test_writes_an_smpl_file_and_never_replaces_a_users_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    joblib.dump({0: {"pose": rng.normal(0, 0.2, (3, 72)), "trans": np.tile([0.0, 0.0, 4.0], (3, 1)),
                     "betas": np.zeros((3, 10)), "frame_ids": np.array([0, 2, 3])}}, tmp_path / "wham_output.pkl")
    args = dict(image_size=(48, 64), num_frames=4, fps=30.0, K=None)
    lines = import_smpl_file("wham", tmp_path / "wham_output.pkl", tmp_path / "s.npz", **args)
    assert "not seen in 1 of 4 frames" in lines[-1]
    assert load_smpl(tmp_path / "s.npz").num_frames == 4
    import_smpl_file("wham", tmp_path / "wham_output.pkl", tmp_path / "s.npz", overwrite=True, **args)  # ours
    users = tmp_path / "mine.npz"
    np.savez(users, a=1)
    with pytest.raises(InputError, match="mine.npz"):
        import_smpl_file("wham", tmp_path / "wham_output.pkl", users, overwrite=True, **args)
    assert set(np.load(users).files) == {"a"}
    with pytest.raises(InputError, match="SMPL parameter file ending in"):
        import_smpl_file("wham", tmp_path / "wham_output.pkl", tmp_path / "s.pkl", **args)
