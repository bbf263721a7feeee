"""Middlebury ``.flo`` optical-flow files (the format of MPI-Sintel and most flow benchmarks).

Layout, little-endian: float32 magic ``202021.25`` (the bytes spell "PIEH"), int32 width W, int32 height H,
then H x W x 2 float32 (u, v) in row-major order.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.io.atomic import atomic_path

FLO_MAGIC = 202021.25
_HEADER_BYTES = 12
_MAX_SIDE = 1 << 16
"""Largest width or height believed, so that a garbled header is reported rather than allocated."""


def read_flo(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a Middlebury ``.flo`` file.

    Args:
        path: the ``.flo`` file.

    Returns:
        (H, W, 2) float32 flow (u right, v down) in pixels.

    Raises:
        InputError: whose message starts with the path, for a missing file, a wrong magic number, an
            implausible size or a truncated (or overlong) file.

    Example:
        >>> flow = read_flo("frame_0001.flo")  # doctest: +SKIP
        >>> flow.shape  # doctest: +SKIP
        (436, 1024, 2)
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file (expected a Middlebury .flo flow file)")
    raw = p.read_bytes()
    if len(raw) < _HEADER_BYTES:
        raise InputError(f"{p}: truncated .flo file: {len(raw)} bytes, shorter than the 12-byte header")
    magic = float(np.frombuffer(raw, "<f4", count=1)[0])
    if magic != FLO_MAGIC:
        raise InputError(f"{p}: not a .flo file: magic number {magic!r}, expected {FLO_MAGIC}")
    width, height = (int(v) for v in np.frombuffer(raw, "<i4", count=2, offset=4))
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise InputError(f"{p}: implausible .flo size {width}x{height} (width x height) in the header")
    expected = _HEADER_BYTES + height * width * 2 * 4
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "overlong"
        raise InputError(
            f"{p}: {problem} .flo file: {len(raw)} bytes, expected {expected} for {width}x{height} flow"
        )
    return np.frombuffer(raw, "<f4", offset=_HEADER_BYTES).reshape(height, width, 2).astype(np.float32)


def write_flo(path: str | os.PathLike[str], flow: np.ndarray) -> None:
    """Write a Middlebury ``.flo`` file atomically.

    Args:
        path: destination, conventionally ending in ``.flo``.
        flow: (H, W, 2) flow in pixels; written as little-endian float32.

    Raises:
        ShapeError: for a flow that is not (H, W, 2) with H, W >= 1.
    """
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[-1] != 2 or min(flow.shape[:2]) < 1:
        raise ShapeError("flow", "(H, W, 2)", flow.shape, str(path))
    height, width = flow.shape[:2]
    header = np.array([FLO_MAGIC], "<f4").tobytes() + np.array([width, height], "<i4").tobytes()
    with atomic_path(path) as tmp:
        tmp.write_bytes(header + np.ascontiguousarray(flow, dtype="<f4").tobytes())
