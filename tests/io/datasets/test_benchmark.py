"""Tests for flowpose.io.datasets.benchmark: the checks of a benchmark sequence."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.io.datasets import BenchmarkSequence
from flowpose.io.datasets.benchmark import load_trusted_npz_object


def test_benchmark_sequence_validates_shapes() -> None:
    with pytest.raises(ShapeError, match=r"x: gt_joints3d must have shape \(T, 17, 3\)"):
        BenchmarkSequence("x", np.zeros((3, 16, 3)), np.eye(3), None, fps=30.0)
    with pytest.raises(ShapeError, match="joints2d"):
        BenchmarkSequence("x", np.zeros((3, 17, 3)), np.eye(3), np.zeros((2, 17, 2)), fps=30.0)
    with pytest.raises(InputError, match="fps must be a positive"):
        BenchmarkSequence("x", np.zeros((3, 17, 3)), np.eye(3), None, fps=0.0)


class _Unpickled(Exception):
    """Raised if the file below is ever unpickled."""


def _raise_unpickled() -> None:
    raise _Unpickled


class _Trap:
    def __reduce__(self):
        return (_raise_unpickled, ())


def test_a_pickle_named_npz_is_never_unpickled(tmp_path: Path) -> None:
    # Reading a dataset archive needs allow_pickle=True, with which numpy would unpickle any file that is not a
    # zip archive: a pickle under an .npz name is refused by its first bytes instead.
    path = tmp_path / "data_3d_h36m.npz"
    path.write_bytes(pickle.dumps(_Trap()))
    with pytest.raises(InputError, match=r"data_3d_h36m\.npz: not a readable \.npz VideoPose3D 3D file \(corrupt or "
                       r"truncated\?\): not a zip archive"):
        load_trusted_npz_object(path, "positions_3d", "VideoPose3D 3D file")
