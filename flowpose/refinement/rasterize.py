"""Rasterisation of the bone-motion sketch: one bone's motion S and weight W, z-buffered into the maps.

The internals of :func:`flowpose.refinement.sketch.sketch_bone_motion` (see that module's docstring for the
model): each bone is a cylinder around the segment between its joints; every grid pixel it covers gets the
closed-form motion of eq. (2) and the per-pixel factors of the weight, eq. (3), where the bone's front
surface is the nearest drawn so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from flowpose.camera import project

if TYPE_CHECKING:  # the config is only read here; importing it at run time would be circular
    from flowpose.refinement.sketch import SketchConfig

MIN_DEPTH_M = 0.05
"""Joints nearer than this (m) or behind the camera are unusable for the sketch."""

_CHUNK_ELEMENTS = 1_500_000
"""Candidate pixels evaluated at once (bounds memory to some hundred MB)."""


@dataclass
class ZBufferMaps:
    """The maps drawn so far, updated in place by :func:`draw_bone`.

    Attributes:
        zbuf: (P, h, w) float32 depth (m) of the nearest limb surface drawn at each grid pixel; inf where
            none is.
        flow: (P, h, w, 2) float32 motion S (full-frame px) of that surface, eq. (2).
        weight: (P, h, w) float32 weight W of eq. (3) without the network-agreement factor.
    """

    zbuf: torch.Tensor
    flow: torch.Tensor
    weight: torch.Tensor


@dataclass(frozen=True)
class PairGeometry:
    """Per-video geometry shared by every bone, float64.

    Attributes:
        X: (T, J, 3) joints, metres, camera frame (finite: unusable joints are never drawn).
        uv: (T, J, 2) their projections, full-frame px.
        f: (P,) focal length at frame t, px.
        K1: (P, 3, 3) intrinsics at frame t+1.
        origin: (P, 2) full-frame (x, y) of grid pixel (0, 0).
        scale: (P,) full-frame pixels per grid pixel.
        shape: (h, w) of the grid.
    """

    X: torch.Tensor
    uv: torch.Tensor
    f: torch.Tensor
    K1: torch.Tensor
    origin: torch.Tensor
    scale: torch.Tensor
    shape: tuple[int, int]


def draw_bone(
    geo: PairGeometry,
    state: ZBufferMaps,
    a: int,
    b: int,
    r: float,
    ok: np.ndarray,
    scalar: torch.Tensor,
    sigma: torch.Tensor,
    config: SketchConfig,
) -> None:
    """Rasterise one bone into the z-buffered maps, for every pair where it is usable.

    Each pair's candidate pixels are the grid pixels of the bone's bounding box (the capsule of radius rho
    around the projected segment); pairs are processed in chunks padded to the chunk's largest box.

    Args:
        geo: the video's geometry.
        state: the maps, updated in place where this bone's surface is the nearest so far.
        a: parent joint index of the bone.
        b: child joint index.
        r: limb radius, metres.
        ok: (P,) bool, pairs where the bone is usable (both joints valid at t and t+1, detected).
        scalar: (P,) the per-pair factors of eq. (3), max_weight * c_det * g_view.
        sigma: (P, J) estimated displacement error of each joint, px (the m_motion factor).
        config: radii floor, falloff profile and motion trust of the sketch.
    """
    h, w = geo.shape
    Xa, Xb = geo.X[:-1, a], geo.X[:-1, b]
    pa, pb = geo.uv[:-1, a], geo.uv[:-1, b]
    rho_max = geo.f * r / torch.minimum(Xa[:, 2], Xb[:, 2]).clamp_min(MIN_DEPTH_M)
    rho_max = torch.maximum(rho_max, config.min_radius_px * geo.scale) + 1.0
    lo = (torch.minimum(pa, pb) - rho_max[:, None] - geo.origin) / geo.scale[:, None]
    hi = (torch.maximum(pa, pb) + rho_max[:, None] - geo.origin) / geo.scale[:, None]
    x0 = lo[:, 0].floor().clamp(0, w - 1).long()
    y0 = lo[:, 1].floor().clamp(0, h - 1).long()
    x1 = hi[:, 0].ceil().clamp(0, w - 1).long()
    y1 = hi[:, 1].ceil().clamp(0, h - 1).long()
    inside = (hi[:, 0] >= 0) & (hi[:, 1] >= 0) & (lo[:, 0] <= w - 1) & (lo[:, 1] <= h - 1)
    pairs = np.flatnonzero(ok & inside.numpy())
    if pairs.size == 0:
        return
    bw = (x1 - x0 + 1).numpy()
    bh = (y1 - y0 + 1).numpy()
    start = 0
    while start < pairs.size:
        stop, big_h, big_w = start, 0, 0
        while stop < pairs.size:
            nh, nw = max(big_h, bh[pairs[stop]]), max(big_w, bw[pairs[stop]])
            if stop > start and (stop - start + 1) * nh * nw > _CHUNK_ELEMENTS:
                break
            big_h, big_w, stop = nh, nw, stop + 1
        ts = torch.from_numpy(pairs[start:stop])
        gy = y0[ts][:, None, None] + torch.arange(big_h)[None, :, None]
        gx = x0[ts][:, None, None] + torch.arange(big_w)[None, None, :]
        gy, gx = torch.broadcast_tensors(gy, gx)
        _draw_chunk(geo, state, a, b, r, ts, gx, gy, scalar, sigma, config)
        start = stop


def _draw_chunk(
    geo: PairGeometry,
    state: ZBufferMaps,
    a: int,
    b: int,
    r: float,
    ts: torch.Tensor,
    gx: torch.Tensor,
    gy: torch.Tensor,
    scalar: torch.Tensor,
    sigma: torch.Tensor,
    config: SketchConfig,
) -> None:
    """Evaluate eqs. (2)-(3) at candidate grid pixels (n, bh, bw) of pairs ``ts`` (n,) and z-buffer them in.

    The cheap geometry (foot, distance, depth) is evaluated on every candidate; the motion and the weight only
    on the pixels that the bone covers and wins in the z-buffer, flattened to (m,).
    """
    h, w = geo.shape
    ex = lambda v: v[ts][:, None, None]  # noqa: E731  (P, ...) -> (n, 1, 1, ...)
    s = ex(geo.scale)
    px = torch.stack([ex(geo.origin[:, 0]) + s * gx, ex(geo.origin[:, 1]) + s * gy], dim=-1)  # full-frame px
    pa, pb = ex(geo.uv[:-1, a]), ex(geo.uv[:-1, b])
    za, zb = ex(geo.X[:-1, a, 2]), ex(geo.X[:-1, b, 2])

    # Foot of each pixel on the projected segment (screen parameter lambda), its distance d, the axis's depth.
    lam, d, inv_z = segment_foot(px, pa, pb, za, zb)
    rho = torch.maximum(ex(geo.f) * r * inv_z, config.min_radius_px * s)
    u = d / rho
    covered = (u <= 1.0) & (gx <= w - 1) & (gy <= h - 1)

    # z-buffer on the cylinder's front surface; everything below runs on the winners only.
    k_idx, i_idx, j_idx = covered.nonzero(as_tuple=True)
    t_idx, y_idx, x_idx = ts[k_idx], gy[covered], gx[covered]
    u, lam, inv_z = u[covered], lam[covered], inv_z[covered]
    z, z_surf = 1.0 / inv_z, front_depth(inv_z, r, u)
    win = z_surf.float() < state.zbuf[t_idx, y_idx, x_idx]
    k_idx, t_idx, y_idx, x_idx = k_idx[win], t_idx[win], y_idx[win], x_idx[win]
    u, lam, z, z_surf = u[win], lam[win], z[win], z_surf[win]
    px = px[k_idx, i_idx[win], j_idx[win]]
    pa, pb, za, zb = pa[k_idx, 0, 0], pb[k_idx, 0, 0], za[k_idx, 0, 0], zb[k_idx, 0, 0]
    off = px - pa - lam[:, None] * (pb - pa)

    # Eq. (2): the material point X(mu) moves with the bone; the off-axis offset turns and scales with it.
    mu = (lam * za / ((1.0 - lam) * zb + lam * za))[:, None]
    X1 = (1.0 - mu) * geo.X[1:, a][t_idx] + mu * geo.X[1:, b][t_idx]  # (m, 3)
    foot1 = project(X1[:, None], geo.K1[t_idx])[:, 0]
    rot = _rotation_2d(pb - pa, geo.uv[1:, b][t_idx] - geo.uv[1:, a][t_idx])  # (m, 2, 2)
    k = (z / X1[:, 2].clamp_min(MIN_DEPTH_M))[:, None]
    motion = foot1 + k * (rot @ off[:, :, None])[:, :, 0] - px

    # Eq. (3), the per-bone factors.
    sig = (1.0 - lam) * sigma[t_idx, a] + lam * sigma[t_idx, b]
    tau2 = config.motion_trust_px**2
    m_motion = 1.0 if math.isinf(tau2) else tau2 / (tau2 + sig**2)
    weight = scalar[t_idx] * _falloff(u, config) * m_motion

    state.zbuf[t_idx, y_idx, x_idx] = z_surf.float()
    state.flow[t_idx, y_idx, x_idx] = motion.float()
    state.weight[t_idx, y_idx, x_idx] = weight.float()


def segment_foot(
    px: torch.Tensor, pa: torch.Tensor, pb: torch.Tensor, za: torch.Tensor, zb: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Where pixels lie against a projected bone: the foot of each on the segment, its distance, and the inverse
    depth of the bone's axis there (the geometry of the module's cylinders; broadcast over leading dimensions).

    Args:
        px: (..., 2) pixels, px.
        pa: (..., 2) projection of the bone's first joint, px.
        pb: (..., 2) projection of its second joint, px.
        za: (...) depth of the first joint, metres.
        zb: (...) depth of the second joint, metres.

    Returns:
        lam: (...) screen parameter of the foot, clamped to [0, 1] (0 at ``pa``).
        d: (...) distance of each pixel from its foot, px.
        inv_z: (...) 1 / depth of the axis point that projects to the foot, 1/m (inverse depth is linear in
            screen space, so this is perspective-correct).
    """
    v = pb - pa
    lam = (((px - pa) * v).sum(-1) / (v**2).sum(-1).clamp_min(1e-12)).clamp(0.0, 1.0)
    d = (px - pa - lam[..., None] * v).norm(dim=-1)
    return lam, d, (1.0 - lam) / za + lam / zb


def front_depth(inv_z: torch.Tensor, r: float | torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Depth (m) of a cylinder's front surface of radius ``r`` (m) seen at relative distance ``u`` = d / rho from
    its axis (u <= 1), given the axis's inverse depth ``inv_z`` (:func:`segment_foot`)."""
    return 1.0 / inv_z - r * (1.0 - u**2).clamp_min(0.0).sqrt()


def _falloff(u: torch.Tensor, config: SketchConfig) -> torch.Tensor:
    """a(u) of eq. (3): 1 on the core u <= core_fraction, then down to 0 at the limb's edge u = 1."""
    if config.falloff == "none":
        return torch.ones_like(u)
    s = ((u - config.core_fraction) / (1.0 - config.core_fraction)).clamp(0.0, 1.0)
    if config.falloff == "linear":
        return 1.0 - s
    return 0.5 * (1.0 + torch.cos(math.pi * s))


def _rotation_2d(v0: torch.Tensor, v1: torch.Tensor) -> torch.Tensor:
    """(n, 2, 2) rotation taking direction v0 (n, 2) to v1 (n, 2); identity where either is degenerate."""
    n0, n1 = v0.norm(dim=-1), v1.norm(dim=-1)
    good = (n0 > 1e-6) & (n1 > 1e-6)
    e0 = v0 / n0.clamp_min(1e-12)[:, None]
    e1 = v1 / n1.clamp_min(1e-12)[:, None]
    cos = torch.where(good, (e0 * e1).sum(-1), torch.ones_like(n0))
    sin = torch.where(good, e0[:, 0] * e1[:, 1] - e0[:, 1] * e1[:, 0], torch.zeros_like(n0))
    return torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
