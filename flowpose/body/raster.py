"""Z-buffered rasterisation of a triangle mesh onto the grids of a flow field, vectorised over frames.

A grid pixel (i, j) of frame t sits at the full-frame point x = origin_t + scale_t (j, i) (the convention of
:class:`flowpose.flow.field.FlowField`). It shows the triangle whose projection contains x and whose surface
point there is the nearest to the camera. For that triangle the screen barycentrics l of x are turned into the
perspective-correct barycentrics of the 3D surface point,

    b_k = (l_k / z_k) / sum_m (l_m / z_m),    depth z = 1 / sum_m (l_m / z_m),

so that the point is X = sum_k b_k V_k. Everything a caller needs follows from (face, b): the point's motion
(:func:`surface_motion`), its colour, its body part.

Triangles are processed in buckets of equal candidate-window size (their projected bounding boxes), so that a
video of a few hundred frames and tens of thousands of triangles runs as a few dozen tensor operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from flowpose.camera import project
from flowpose.errors import ShapeError

MIN_DEPTH_M = 0.05
"""Vertices nearer than this (m) or behind the camera do not draw their triangles."""
_CHUNK_ELEMENTS = 4_000_000
"""Candidate pixels evaluated at once."""
_FRAMES_AT_ONCE = 32
"""Frames projected and z-buffered at once (memory: a few hundred MB for SMPL-X's 20,908 triangles)."""


@dataclass(frozen=True)
class Raster:
    """The visible surface at every covered grid pixel, flattened over frames.

    Attributes:
        frame: (m,) int64 frame index t.
        y: (m,) int64 grid row.
        x: (m,) int64 grid column.
        face: (m,) int64 the triangle seen there.
        bary: (m, 3) float64 perspective-correct barycentrics of the surface point in that triangle.
        depth: (m,) float64 its depth, metres.
        shape: (T, h, w) of the grids.
    """

    frame: torch.Tensor
    y: torch.Tensor
    x: torch.Tensor
    face: torch.Tensor
    bary: torch.Tensor
    depth: torch.Tensor
    shape: tuple[int, int, int]

    def subset(self, keep: torch.Tensor) -> Raster:
        """The pixels where ``keep`` (m,) bool holds."""
        return Raster(self.frame[keep], self.y[keep], self.x[keep], self.face[keep], self.bary[keep],
                      self.depth[keep], self.shape)

    def mask(self) -> np.ndarray:
        """(T, h, w) bool: the pixels the mesh covers."""
        out = np.zeros(self.shape, dtype=bool)
        out[self.frame.numpy(), self.y.numpy(), self.x.numpy()] = True
        return out


def rasterize(
    vertices: np.ndarray | torch.Tensor,
    faces: np.ndarray,
    K: np.ndarray,
    origin: np.ndarray,
    scale: np.ndarray,
    shape: tuple[int, int],
) -> Raster:
    """Rasterise a mesh sequence (module docstring).

    Args:
        vertices: (T, V, 3) camera frame, metres.
        faces: (F, 3) int vertex indices.
        K: (3, 3) or (T, 3, 3) intrinsics, px.
        origin: (T, 2) full-frame (x, y) of each frame's grid pixel (0, 0).
        scale: (T,) full-frame pixels per grid pixel.
        shape: (h, w) of the grids.

    Returns:
        :class:`Raster`.

    Raises:
        ShapeError: for arrays of the wrong shape.
    """
    V = torch.as_tensor(np.asarray(vertices), dtype=torch.float64)
    if V.ndim != 3 or V.shape[-1] != 3:
        raise ShapeError("vertices", "(T, V, 3)", tuple(V.shape))
    T = V.shape[0]
    F = torch.as_tensor(np.asarray(faces), dtype=torch.int64)
    if F.ndim != 2 or F.shape[1] != 3:
        raise ShapeError("faces", "(F, 3)", tuple(F.shape))
    Ks = torch.as_tensor(np.broadcast_to(K, (T, 3, 3)).copy(), dtype=torch.float64)
    org = torch.as_tensor(np.asarray(origin, np.float64).reshape(T, 2))
    sc = torch.as_tensor(np.asarray(scale, np.float64).reshape(T))
    chunks = [_rasterize_frames(V[a: a + _FRAMES_AT_ONCE], F, Ks[a: a + _FRAMES_AT_ONCE], org[a: a + _FRAMES_AT_ONCE],
                                sc[a: a + _FRAMES_AT_ONCE], shape, a) for a in range(0, T, _FRAMES_AT_ONCE)]
    t, y, x, f, b, d = (torch.cat(parts) for parts in zip(*chunks))
    return Raster(t, y, x, f, b, d, (T, *shape))


def _rasterize_frames(
    V: torch.Tensor, F: torch.Tensor, Ks: torch.Tensor, org: torch.Tensor, sc: torch.Tensor, shape: tuple[int, int],
    first_frame: int,
) -> tuple[torch.Tensor, ...]:
    """The z-buffered winners (frame, y, x, face, bary, depth) of a few frames, numbered from ``first_frame``."""
    T = V.shape[0]
    h, w = shape
    z = V[..., 2]
    uv = project(V, Ks)  # triangles with a vertex nearer than MIN_DEPTH_M are not drawn (``usable``)
    q = (uv - org[:, None]) / sc[:, None, None]  # grid coordinates (x = column, y = row)
    tri, tri_z = q[:, F], z[:, F]  # (T, F, 3, 2), (T, F, 3)
    lo, hi = tri.min(2).values, tri.max(2).values
    x0, y0 = lo[..., 0].ceil().clamp(0, w), lo[..., 1].ceil().clamp(0, h)
    x1, y1 = hi[..., 0].floor().clamp(-1, w - 1), hi[..., 1].floor().clamp(-1, h - 1)
    extent = torch.maximum(x1 - x0, y1 - y0) + 1  # candidate window side
    usable = (tri_z > MIN_DEPTH_M).all(-1) & (x1 >= x0) & (y1 >= y0)
    t_all, f_all = usable.nonzero(as_tuple=True)
    side_all = extent[t_all, f_all].long()
    found: list[tuple[torch.Tensor, ...]] = [(
        torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.int64), torch.zeros(0, dtype=torch.int64),
        torch.zeros(0, dtype=torch.int64), torch.zeros(0, 3, dtype=torch.float64), torch.zeros(0, dtype=torch.float64),
    )]
    for side in torch.unique(side_all).tolist():
        sel = side_all == side
        ts, fs = t_all[sel], f_all[sel]
        per_chunk = max(1, _CHUNK_ELEMENTS // (side * side))
        for start in range(0, len(ts), per_chunk):
            t, f = ts[start: start + per_chunk], fs[start: start + per_chunk]
            found.append(_cover(tri[t, f], tri_z[t, f], x0[t, f].long(), y0[t, f].long(), side, t, f, (h, w)))
    t, y, x, f, b, d = (torch.cat(parts) for parts in zip(*found))
    key = (t * h + y) * w + x
    nearest = torch.full((T * h * w,), float("inf"), dtype=torch.float64)
    nearest.scatter_reduce_(0, key, d, reduce="amin")
    win = d <= nearest[key]
    key, t, y, x, f, b, d = key[win], t[win], y[win], x[win], f[win], b[win], d[win]
    first = torch.zeros(T * h * w, dtype=torch.int64).scatter_(0, key, torch.arange(len(key)))  # one winner a pixel
    keep = first[key] == torch.arange(len(key))
    return t[keep] + first_frame, y[keep], x[keep], f[keep], b[keep], d[keep]


def _cover(
    tri: torch.Tensor, tri_z: torch.Tensor, x0: torch.Tensor, y0: torch.Tensor, side: int, t: torch.Tensor,
    f: torch.Tensor, shape: tuple[int, int],
) -> tuple[torch.Tensor, ...]:
    """The pixels of a side x side window from (x0, y0) that each of n triangles covers, with their
    perspective-correct barycentrics and depth."""
    h, w = shape
    off = torch.arange(side)
    gx = (x0[:, None, None] + off[None, None, :]).expand(-1, side, side)
    gy = (y0[:, None, None] + off[None, :, None]).expand(-1, side, side)
    a, b, c = (tri[:, k, None, None, :] for k in range(3))
    p = torch.stack([gx, gy], dim=-1).to(tri.dtype)
    area = (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
    area = torch.where(area.abs() < 1e-12, torch.full_like(area, 1e-12), area)

    def edge(p0: torch.Tensor, p1: torch.Tensor) -> torch.Tensor:
        return ((p1[..., 0] - p0[..., 0]) * (p[..., 1] - p0[..., 1]) - (p1[..., 1] - p0[..., 1]) * (p[..., 0] - p0[..., 0]))

    lam = torch.stack([edge(b, c), edge(c, a), edge(a, b)], dim=-1) / area[..., None]  # screen barycentrics
    inside = (lam >= -1e-9).all(-1) & (gx < w) & (gy < h)
    k, i, j = inside.nonzero(as_tuple=True)
    lam = lam[k, i, j]
    inv = lam / tri_z[k]
    depth = 1.0 / inv.sum(-1)
    return t[k], gy[k, i, j], gx[k, i, j], f[k], inv * depth[:, None], depth


def surface_points(vertices: torch.Tensor, faces: torch.Tensor, raster: Raster, frame: torch.Tensor) -> torch.Tensor:
    """(m, 3) the surface points sum_k b_k V_k of ``raster``'s pixels, on ``vertices`` (T', V, 3) at ``frame``."""
    corners = vertices[frame[:, None], faces[raster.face]]  # (m, 3, 3)
    return (raster.bary[:, :, None] * corners).sum(1)


def surface_motion(
    vertices: np.ndarray | torch.Tensor, faces: np.ndarray, K: np.ndarray, raster: Raster, step: int = 1
) -> torch.Tensor:
    """(m, 2) full-frame px: where each rasterised surface point of frame t projects at t + step, minus where
    it projects at t (the mesh's own flow; step 1: forward, -1: backward). ``raster`` covers frames of
    ``vertices`` (T, V, 3) whose frame t + step exists."""
    V = torch.as_tensor(np.asarray(vertices), dtype=torch.float64)
    T = V.shape[0]
    Ks = torch.as_tensor(np.broadcast_to(K, (T, 3, 3)).copy(), dtype=torch.float64)
    F = torch.as_tensor(np.asarray(faces), dtype=torch.int64)
    now, then = raster.frame, raster.frame + step
    start = project(surface_points(V, F, raster, now)[:, None], Ks[now])[:, 0]
    end = project(surface_points(V, F, raster, then)[:, None], Ks[then])[:, 0]
    return end - start
