"""Tests for flowpose.io.datasets.benchmark: the checks of a benchmark sequence."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.io.datasets import BenchmarkSequence


def test_benchmark_sequence_validates_shapes() -> None:
    with pytest.raises(ShapeError, match=r"x: gt_joints3d must have shape \(T, 17, 3\)"):
        BenchmarkSequence("x", np.zeros((3, 16, 3)), np.eye(3), None, fps=30.0)
    with pytest.raises(ShapeError, match="joints2d"):
        BenchmarkSequence("x", np.zeros((3, 17, 3)), np.eye(3), np.zeros((2, 17, 2)), fps=30.0)
    with pytest.raises(InputError, match="fps must be a positive"):
        BenchmarkSequence("x", np.zeros((3, 17, 3)), np.eye(3), None, fps=0.0)
