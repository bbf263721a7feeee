"""Meshes as files: Wavefront OBJ and ASCII PLY, readable by Blender, MeshLab and trimesh."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from flowpose.errors import InputError, ShapeError


def write_mesh(path: str | os.PathLike[str], vertices: np.ndarray, faces: np.ndarray) -> None:
    """Write one mesh; the format follows the suffix (``.obj`` or ``.ply``).

    Args:
        path: the file (created; the caller decides where, e.g. a temporary output folder).
        vertices: (V, 3) metres.
        faces: (F, 3) vertex indices, counted from 0.

    Raises:
        ShapeError: for wrong shapes.
        InputError: for another suffix.
    """
    p = Path(path)
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    if v.ndim != 2 or v.shape[1] != 3:
        raise ShapeError("vertices", "(V, 3)", v.shape)
    if f.ndim != 2 or f.shape[1] != 3:
        raise ShapeError("faces", "(F, 3)", f.shape)
    vert_lines = "\n".join(f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in v)
    if p.suffix.lower() == ".obj":
        faces_text = "\n".join(f"f {a + 1} {b + 1} {c + 1}" for a, b, c in f)  # OBJ counts from 1
        p.write_text("# flowpose\n" + "\n".join("v " + line for line in vert_lines.split("\n")) + "\n" + faces_text + "\n")
    elif p.suffix.lower() == ".ply":
        header = (
            "ply\nformat ascii 1.0\ncomment flowpose\n"
            f"element vertex {len(v)}\nproperty float x\nproperty float y\nproperty float z\n"
            f"element face {len(f)}\nproperty list uchar int vertex_indices\nend_header\n"
        )
        p.write_text(header + vert_lines + "\n" + "\n".join(f"3 {a} {b} {c}" for a, b, c in f) + "\n")
    else:
        raise InputError(f"{p}: expected a mesh file ending in .obj or .ply")
