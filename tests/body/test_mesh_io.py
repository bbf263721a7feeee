"""Tests of flowpose.body.mesh_io: OBJ and PLY files with the right counts and indices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.body.mesh_io import write_mesh
from flowpose.errors import InputError, ShapeError

V = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
F = np.array([[0, 1, 2], [0, 2, 3]])


def test_obj_counts_from_one_and_ply_from_zero(tmp_path: Path) -> None:
    write_mesh(tmp_path / "m.obj", V, F)
    lines = (tmp_path / "m.obj").read_text().splitlines()
    assert sum(line.startswith("v ") for line in lines) == 4 and "f 1 3 4" in lines
    write_mesh(tmp_path / "m.ply", V, F)
    text = (tmp_path / "m.ply").read_text()
    assert "element vertex 4" in text and "element face 2" in text and text.strip().endswith("3 0 2 3")


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ending in .obj or .ply"):
        write_mesh(tmp_path / "m.stl", V, F)
    with pytest.raises(ShapeError, match="faces"):
        write_mesh(tmp_path / "m.obj", V, F[:, :2])
