"""Analytic ray casting of camera rays against capsules, ellipsoids and a plane (one frame).

Rays start at the camera centre with direction ``d = K^-1 (u, v, 1)``; since ``d_z = 1`` the ray parameter of
a hit *is* its camera depth ``Z``. Each surface is intersected in its local frame, where the ray is
``o_l + s d_l`` with ``o_l = R^T (0 - o)`` and ``d_l = R^T d``:

- capsule (axis local z from z0 to z1, radius r): entry into the infinite cylinder ``x^2 + y^2 = r^2``; if the
  entry's z lies outside [z0, z1] the ray can only enter through the cap sphere on that side (the capsule lies
  inside the cylinder), which is intersected instead;
- ellipsoid: scaled by its semi-axes into the unit sphere;
- plane: local ``z = z0``, facing the camera.

Every solid is convex, so the nearest entry is the visible surface; the nearest over all parts wins. Rays are
culled per part by the screen bounding box of the part's bounding sphere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowpose.synth.body import CAPSULE, ELLIPSOID

PLANE = 2
"""Shape code of an infinite plane at local z = z0 (the background)."""

NEAR_M = 1e-3
"""Hits nearer than this depth (m) are ignored."""


@dataclass(frozen=True)
class Scene:
    """Every surface of one frame, posed in that frame's camera.

    Attributes:
        kind: (S,) shape codes (capsule, ellipsoid, :data:`PLANE`).
        radii: (S, 2) cross-section semi-axes, metres (unused for a plane).
        z0: (S,) local axial start, metres (a plane's local z).
        z1: (S,) local axial end, metres (unused for a plane).
        rotation: (S, 3, 3) local -> camera rotations.
        origin: (S, 3) local origins in the camera frame, metres.
    """

    kind: np.ndarray
    radii: np.ndarray
    z0: np.ndarray
    z1: np.ndarray
    rotation: np.ndarray
    origin: np.ndarray


@dataclass(frozen=True)
class Hits:
    """Nearest hits of N rays.

    Attributes:
        depth: (N,) camera depth Z of the hit, metres (inf where nothing is hit).
        surface: (N,) int index of the hit surface (-1 where nothing is hit).
        local: (N, 3) hit points in the hit surface's local frame, metres (0 where nothing is hit).
        normal: (N, 3) unit outward normals in the camera frame (0 where nothing is hit).
    """

    depth: np.ndarray
    surface: np.ndarray
    local: np.ndarray
    normal: np.ndarray


def rows_times(x: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``x @ M`` for many short rows, (N, d) x (d, e) -> (N, e), without BLAS.

    Threaded BLAS is very slow for such thin products on a busy machine (measured 150 ms vs 9 ms for einsum on
    262k rows with two contended threads), and einsum gives the same bits whatever the thread count.
    """
    return np.einsum("nj,ji->ni", x, np.ascontiguousarray(M))


def ray_directions(u: np.ndarray, v: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Camera rays through pixels: ``d = K^-1 (u, v, 1)`` (so ``d_z = 1``).

    Args:
        u: (...) pixel x coordinates (0 = centre of the leftmost pixel).
        v: (...) pixel y coordinates, same shape.
        K: (3, 3) intrinsics.

    Returns:
        (..., 3) float64 directions.
    """
    pix = np.stack([u, v, np.ones_like(u)], axis=-1).astype(np.float64)
    return rows_times(pix.reshape(-1, 3), np.linalg.inv(np.asarray(K, dtype=np.float64)).T).reshape(pix.shape)


def intersect(kind: int, radii: np.ndarray, z0: float, z1: float, o_l: np.ndarray,
              d_l: np.ndarray) -> np.ndarray:
    """Ray parameter of the entry into one local-frame surface.

    Args:
        kind: shape code.
        radii: (2,) semi-axes, metres.
        z0: axial start (plane: its z), metres.
        z1: axial end, metres.
        o_l: (3,) ray origin in the local frame.
        d_l: (M, 3) ray directions in the local frame.

    Returns:
        (M,) ray parameters ``s >= NEAR_M`` of the entry point, inf where the ray misses.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == PLANE:
            s = (z0 - o_l[2]) / d_l[:, 2]
        elif kind == ELLIPSOID:
            scale = np.array([radii[0], radii[1], 0.5 * (z1 - z0)])
            o = (o_l - np.array([0.0, 0.0, 0.5 * (z0 + z1)])) / scale
            d = d_l / scale
            a = np.einsum("md,md->m", d, d)
            b = np.einsum("md,d->m", d, o)
            s = (-b - np.sqrt(b * b - a * (o @ o - 1.0))) / a
        else:
            s = _capsule(radii[0], z0, z1, o_l, d_l)
    s[~(s >= NEAR_M)] = np.inf  # also turns the NaN of a negative discriminant into a miss
    return s


def _capsule(r: float, z0: float, z1: float, o_l: np.ndarray, d_l: np.ndarray) -> np.ndarray:
    """Entry parameter into a capsule (cylinder body first, else the cap sphere on the entry's side)."""
    dx, dy, dz = d_l[:, 0], d_l[:, 1], d_l[:, 2]
    a = dx * dx + dy * dy
    b = o_l[0] * dx + o_l[1] * dy
    c = o_l[0] ** 2 + o_l[1] ** 2 - r * r
    disc = b * b - a * c
    s = (-b - np.sqrt(disc)) / a
    z = o_l[2] + s * dz
    # A ray (nearly) parallel to the axis enters the infinite cylinder "at infinity" on its side.
    parallel = a < 1e-12
    z[parallel] = np.where(dz[parallel] > 0, -np.inf, np.inf)
    cap_z = np.where(z < z0, z0, z1)
    on_body = (z >= z0) & (z <= z1)
    oc = o_l[None, :] - np.stack([np.zeros_like(cap_z), np.zeros_like(cap_z), cap_z], axis=-1)
    dd = a + dz * dz
    bc = np.einsum("md,md->m", oc, d_l)
    s_cap = (-bc - np.sqrt(bc * bc - dd * (np.einsum("md,md->m", oc, oc) - r * r))) / dd
    s = np.where(on_body & ~parallel, s, s_cap)
    s[disc < 0] = np.inf
    return s


def local_normals(kind: int, radii: np.ndarray, z0: float, z1: float, p: np.ndarray) -> np.ndarray:
    """Unit outward normals at local surface points.

    Args:
        kind: shape code.
        radii: (2,) semi-axes, metres.
        z0: axial start, metres.
        z1: axial end, metres.
        p: (M, 3) local points on the surface.

    Returns:
        (M, 3) unit normals in the local frame (a plane's faces the camera side, -z).
    """
    if kind == PLANE:
        n = np.zeros_like(p)
        n[:, 2] = -1.0
        return n
    if kind == ELLIPSOID:
        scale = np.array([radii[0], radii[1], 0.5 * (z1 - z0)])
        n = (p - np.array([0.0, 0.0, 0.5 * (z0 + z1)])) / scale**2  # gradient of the implicit function
    else:
        n = p.copy()
        n[:, 2] -= np.clip(p[:, 2], z0, z1)  # from the nearest axis point
    return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)


def screen_boxes(scene: Scene, K: np.ndarray) -> np.ndarray:
    """Conservative pixel bounding boxes of every surface.

    The box of a bounding sphere's axis-aligned 3D box: ``(a x + b y) / z`` is linear-fractional, so over a
    box in front of the camera its extremes are at the corners.

    Args:
        scene: the posed surfaces.
        K: (3, 3) intrinsics.

    Returns:
        (S, 4) [u_min, u_max, v_min, v_max], infinite for planes and surfaces crossing the near plane.
    """
    half = 0.5 * (scene.z1 - scene.z0)
    radius = np.where(scene.kind == CAPSULE, half + scene.radii[:, 0], np.maximum(half, scene.radii.max(-1)))
    centre_l = np.zeros((len(scene.kind), 3))
    centre_l[:, 2] = 0.5 * (scene.z0 + scene.z1)
    centre = np.einsum("sij,sj->si", scene.rotation, centre_l) + scene.origin
    signs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], dtype=np.float64)
    corners = centre[:, None, :] + radius[:, None, None] * signs[None]  # (S, 8, 3)
    z = corners[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        pix = corners @ np.asarray(K, np.float64).T
        u, v = pix[..., 0] / z, pix[..., 1] / z
    boxes = np.stack([u.min(1) - 1, u.max(1) + 1, v.min(1) - 1, v.max(1) + 1], axis=-1)
    unbounded = (scene.kind == PLANE) | (z.min(1) <= NEAR_M)
    boxes[unbounded] = [-np.inf, np.inf, -np.inf, np.inf]
    return boxes


def group_by_surface(surface: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Rays grouped by the surface they hit, with one stable sort.

    Args:
        surface: (N,) surface index per ray (-1 = none).

    Returns:
        ``(k, idx)`` for every hit surface k, ``idx`` the increasing indices of its rays.
    """
    order = np.argsort(surface, kind="stable")
    ordered = surface[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(ordered)) + 1, [len(ordered)]])
    return [(int(ordered[a]), order[a:b]) for a, b in zip(starts[:-1], starts[1:]) if ordered[a] >= 0]


def _finish(scene: Scene, dirs: np.ndarray, depth: np.ndarray, surface: np.ndarray) -> Hits:
    """Local points and camera-frame normals of the winning hits.

    The surface with most rays (usually the background) is transformed densely, without a gather/scatter; the
    others overwrite their rays.
    """
    groups = group_by_surface(surface)
    local = np.zeros_like(dirs)
    normal = np.zeros_like(dirs)
    if not groups:
        return Hits(depth=depth, surface=surface, local=local, normal=normal)
    big = max(range(len(groups)), key=lambda i: len(groups[i][1]))
    for k, idx in [groups[big]] + groups[:big] + groups[big + 1 :]:
        R, o = scene.rotation[k], scene.origin[k]
        rows = slice(None) if k == groups[big][0] else idx
        with np.errstate(invalid="ignore"):
            p = rows_times(depth[rows, None] * dirs[rows] - o, R)  # R^T (X - o); misses: inf/NaN, reset below
        local[rows] = p
        n_local = local_normals(scene.kind[k], scene.radii[k], scene.z0[k], scene.z1[k], p)
        normal[rows] = rows_times(n_local, R.T)
        if k == groups[big][0]:
            others = surface != k
            local[others] = 0.0
            normal[others] = 0.0
    return Hits(depth=depth, surface=surface, local=local, normal=normal)


@dataclass(frozen=True)
class RayGrid:
    """The rays of a pixel grid (rows ``vs`` x columns ``us``), built once per clip and reused every frame.

    Attributes:
        us: (W',) increasing pixel x coordinates of the columns.
        vs: (H',) increasing pixel y coordinates of the rows.
        K: (3, 3) intrinsics.
        dirs: (H', W', 3) ray directions ``K^-1 (u, v, 1)``.
    """

    us: np.ndarray
    vs: np.ndarray
    K: np.ndarray
    dirs: np.ndarray

    @classmethod
    def build(cls, us: np.ndarray, vs: np.ndarray, K: np.ndarray) -> "RayGrid":
        """The grid of columns ``us`` and rows ``vs`` (pixels, increasing) for intrinsics ``K`` (3, 3)."""
        uu, vv = np.meshgrid(us, vs)
        return cls(np.asarray(us, np.float64), np.asarray(vs, np.float64), np.asarray(K, np.float64),
                   ray_directions(uu, vv, K))


def cast_grid(grid: RayGrid, scene: Scene) -> Hits:
    """Cast the rays of a pixel grid, culling each surface to the grid cells inside its screen box.

    Args:
        grid: the rays.
        scene: the posed surfaces.

    Returns:
        :class:`Hits` of the H' * W' rays in row-major order.
    """
    us, vs, dirs = grid.us, grid.vs, grid.dirs
    depth = np.full(dirs.shape[:2], np.inf)
    surface = np.full(dirs.shape[:2], -1, dtype=np.int64)
    for k, (u0, u1, v0, v1) in enumerate(screen_boxes(scene, grid.K)):
        c0, c1 = np.searchsorted(us, u0), np.searchsorted(us, u1, side="right")
        r0, r1 = np.searchsorted(vs, v0), np.searchsorted(vs, v1, side="right")
        if c0 >= c1 or r0 >= r1:
            continue
        R, o = scene.rotation[k], scene.origin[k]
        sub = dirs[r0:r1, c0:c1].reshape(-1, 3)
        s = intersect(scene.kind[k], scene.radii[k], scene.z0[k], scene.z1[k], -o @ R, rows_times(sub, R))
        s = s.reshape(r1 - r0, c1 - c0)
        closer = s < depth[r0:r1, c0:c1]
        depth[r0:r1, c0:c1][closer] = s[closer]
        surface[r0:r1, c0:c1][closer] = k
    return _finish(scene, dirs.reshape(-1, 3), depth.ravel(), surface.ravel())


def cast_points(u: np.ndarray, v: np.ndarray, K: np.ndarray, scene: Scene) -> Hits:
    """Cast rays through arbitrary (sub-)pixel positions.

    Args:
        u: (N,) pixel x coordinates.
        v: (N,) pixel y coordinates.
        K: (3, 3) intrinsics.
        scene: the posed surfaces.

    Returns:
        :class:`Hits` of the N rays.
    """
    dirs = ray_directions(u, v, K)
    depth = np.full(u.shape, np.inf)
    surface = np.full(u.shape, -1, dtype=np.int64)
    for k, (u0, u1, v0, v1) in enumerate(screen_boxes(scene, K)):
        idx = np.nonzero((u >= u0) & (u <= u1) & (v >= v0) & (v <= v1))[0]
        if idx.size == 0:
            continue
        R, o = scene.rotation[k], scene.origin[k]
        d_l = rows_times(dirs[idx], R)
        s = intersect(scene.kind[k], scene.radii[k], scene.z0[k], scene.z1[k], -o @ R, d_l)
        closer = s < depth[idx]
        depth[idx[closer]] = s[closer]
        surface[idx[closer]] = k
    return _finish(scene, dirs, depth, surface)
