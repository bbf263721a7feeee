"""The bone-motion sketch: the flow that the current poses imply on the limbs, and how far to trust it.

The flow stage of a refinement cycle (DESIGN.md) blends the network flow F with a flow S drawn from the
poses,

    target = (1 - W) * F + W * S,                                                          (1)

so that the network is fine-tuned toward the motion of the limbs where the poses are trustworthy and toward
its own output elsewhere. :func:`sketch_bone_motion` draws S and W on the grid of a :class:`FlowField`;
:func:`compose_target` applies (1).

**The motion S.** Each bone is a cylinder of radius r (metres, :data:`H36M17_LIMB_RADIUS_M`) around the
segment between its two joints. A grid pixel x is covered by the bone when its distance d to the projected
segment is at most the projected radius rho = f r / z (px), so the drawn width follows the limb's projected
thickness. Its motion is that of the material point it shows: the foot of x on the projected segment sits at
screen parameter lambda; the 3D point of the bone that projects there is X(mu) = (1 - mu) A + mu B with the
perspective-correct mu = lambda Z_A / ((1 - lambda) Z_B + lambda Z_A); it moves rigidly with the bone to
X'(mu) = (1 - mu) A' + mu B' at t+1, and the offset of x from the axis turns with the bone's projected
direction and scales with 1/z:

    S(x) = pi(X'(mu)) + (z / z') R(v -> v') (x - pi(X(mu))) - x.                         (2)

Deviation from the seed (BMVC 2022), which interpolated the joints' 2D displacement linearly along the bone
and wrote it into a +-15 px square: (2) equals that interpolation on the axis when the bone only translates
parallel to the image or both joints have the same depth, but stays exact for bones moving in depth and for
pixels off the axis of a turning limb; and every pixel is evaluated in closed form (no sampling density to
tune, no holes, no square artefacts).

**Occlusion.** Where limbs overlap, the nearest surface wins (a z-buffer on the cylinder's front depth
z - r sqrt(1 - (d / rho)^2)). Bones without a usable detection (confidence 0, NaN or behind the camera)
neither draw nor occlude.

**The trust model W.** W is a product of factors in [0, 1], each for one way the sketch can be wrong:

    W = max_weight * c_det * a(d / rho) * g_view * m_motion * m_agree.                     (3)

- c_det: detection confidence, the minimum over the bone's two joints at t and at t+1 (S uses all four).
- a(u): falloff across the limb: 1 on the core (u <= core_fraction), then a raised cosine to 0 at the edge,
  because a wrong pose or radius puts the edge pixels on the background first.
- g_view: a bone nearly parallel to the view ray projects to a blob whose 2D motion is dominated by depth
  error; g_view = min(1, sin(theta) / sin(min_view_angle)), theta the angle between bone and ray (worst of
  t and t+1).
- m_motion: the pose's own motion uncertainty. Independent per-frame 2D noise of std s gives the
  displacement an error of std sqrt(2) s and the second difference p_{t+1} - 2 p_t + p_{t-1} a std of
  sqrt(6) s, so sigma = |second difference| / sqrt(3) estimates the displacement error of each joint (worst
  of the two differences touching the pair, interpolated along the bone); m_motion = tau^2 / (tau^2 +
  sigma^2) with tau = motion_trust_px halves the weight where the estimated error equals tau. A genuine
  sudden acceleration is down-weighted too; that is the price of not knowing which one it is.
- m_agree: robust agreement with the network. Where F is confident (forward-backward consistent, c_F) yet
  disagrees with S by e px, one of them is wrong, most often the pose (a limb drawn beside the image limb,
  over the background); m_agree = 1 - network_veto * c_F * e^2 / (e^2 + disagree_px^2) (Geman-McClure),
  bounded so that the network can at most halve (by default) the sketch: the point of the sketch is to
  overrule the network on fast limbs, where it is often wrong and, being smooth, still self-consistent.

Everything is vectorised over frame pairs and pixels (torch); the only Python loops are over bones and over
chunks of pairs (to bound memory).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import torch

from flowpose.camera import project
from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.skeleton import H36M17

H36M17_LIMB_RADIUS_M: tuple[float, ...] = (
    0.10, 0.08, 0.055,  # pelvis-r_hip (inside the pelvis), r thigh, r shin
    0.10, 0.08, 0.055,  # pelvis-l_hip, l thigh, l shin
    0.13, 0.14,  # pelvis-spine, spine-thorax (torso, about 0.3 m wide)
    0.06, 0.09,  # thorax-neck, neck-head
    0.07, 0.045, 0.035,  # thorax-l_shoulder, l upper arm, l forearm
    0.07, 0.045, 0.035,  # thorax-r_shoulder, r upper arm, r forearm
)
"""Limb radii in metres, one per bone of :data:`flowpose.skeleton.H36M17` (``H36M17.bones`` order): adult
anthropometric half-widths (thigh ~16 cm, shin ~11 cm, upper arm ~9 cm, forearm ~7 cm across)."""

MIN_DEPTH_M = 0.05
"""Joints nearer than this (m) or behind the camera are unusable for the sketch."""

_CHUNK_ELEMENTS = 1_500_000
"""Candidate pixels evaluated at once (bounds memory to some hundred MB)."""


@dataclass(frozen=True)
class SketchConfig:
    """How the bone-motion sketch is drawn and weighted (see the module docstring, eq. (3))."""

    limb_radius_m: float | tuple[float, ...] = H36M17_LIMB_RADIUS_M
    """Limb radius r in metres: one float for every bone, or one per bone in the order of ``bones``. The drawn
    half-width is the projected radius f r / z px."""
    min_radius_px: float = 1.0
    """Smallest drawn half-width in grid pixels, so that far or thin limbs still cover their axis pixels."""
    falloff: Literal["cosine", "linear", "none"] = "cosine"
    """Profile of the weight from the limb's core to its edge: a raised cosine, a linear ramp, or none (flat,
    the seed's hard-edged behaviour)."""
    core_fraction: float = 0.5
    """Fraction of the radius, from the axis, where the weight is flat before falling off, in [0, 1)."""
    max_weight: float = 0.9
    """Cap of W in [0, 1]; below 1 the network keeps a say even where the sketch is fully trusted."""
    motion_trust_px: float = 4.0
    """tau: estimated error (full-frame px) of a joint's 2D displacement at which the weight halves; inf
    disables the motion-uncertainty factor."""
    min_view_angle_deg: float = 20.0
    """Angle between bone and view ray below which the weight ramps down to 0 (0 disables)."""
    network_veto: float = 0.5
    """Largest fraction of the weight that a confident, disagreeing network flow removes, in [0, 1]."""
    disagree_px: float = 8.0
    """Scale (full-frame px) of the Geman-McClure disagreement between S and the network flow."""

    def __post_init__(self) -> None:
        radii = np.atleast_1d(np.asarray(self.limb_radius_m, dtype=np.float64))
        if radii.size == 0 or not np.all(np.isfinite(radii)) or np.any(radii <= 0):
            raise InputError(f"SketchConfig.limb_radius_m must be positive metres, got {self.limb_radius_m}")
        if self.falloff not in ("cosine", "linear", "none"):
            raise InputError(
                f"SketchConfig.falloff must be 'cosine', 'linear' or 'none', got {self.falloff!r}"
            )
        checks = {
            "min_radius_px": self.min_radius_px >= 0,
            "core_fraction": 0 <= self.core_fraction < 1,
            "max_weight": 0 <= self.max_weight <= 1,
            "motion_trust_px": self.motion_trust_px > 0,
            "min_view_angle_deg": 0 <= self.min_view_angle_deg < 90,
            "network_veto": 0 <= self.network_veto <= 1,
            "disagree_px": self.disagree_px > 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise InputError(f"SketchConfig.{name} is out of range: got {getattr(self, name)}")


@dataclass(frozen=True)
class Sketch:
    """Bone-motion flow S and its weight W on the grid of a :class:`FlowField`.

    Attributes:
        flow: (P, h, w, 2) float32 displacement (u, v) in full-frame pixels; zero where no limb is drawn.
        weight: (P, h, w) float32 W in [0, 1]; zero where no limb is drawn.
    """

    flow: np.ndarray
    weight: np.ndarray

    def __post_init__(self) -> None:
        flow = np.asarray(self.flow, np.float32)
        if flow.ndim != 4 or flow.shape[-1] != 2:
            raise ShapeError("Sketch.flow", "(P, h, w, 2)", flow.shape)
        weight = np.asarray(self.weight, np.float32)
        if weight.shape != flow.shape[:3]:
            raise ShapeError("Sketch.weight", str(flow.shape[:3]), weight.shape)
        object.__setattr__(self, "flow", flow)
        object.__setattr__(self, "weight", weight)


def sketch_bone_motion(
    joints3d: np.ndarray,
    K: np.ndarray,
    conf: np.ndarray,
    grid: FlowField,
    *,
    bones: Sequence[tuple[int, int]] | None = None,
    config: SketchConfig = SketchConfig(),
) -> Sketch:
    """Draw the limbs' motion from frame t to t+1 on the grid of every frame pair (module docstring, (2)-(3)).

    Args:
        joints3d: (T, J, 3) joints in metres, camera frame; NaN for missing joints.
        K: (3, 3) or (T, 3, 3) intrinsics in pixels.
        conf: (T, J) detection confidence in [0, 1].
        grid: the network flow F on its grids (full frame or crops); its origin, scale and shape define where
            the sketch is drawn, its flow and confidence feed the agreement factor m_agree (set
            ``config.network_veto = 0`` when it holds no real flow).
        bones: (parent, child) joint-index pairs; default ``H36M17.bones``.
        config: radii and trust model.

    Returns:
        The :class:`Sketch` on ``grid``'s grids, P = T - 1.

    Raises:
        ShapeError: for arrays of the wrong shape or a grid with other than T - 1 pairs.
        InputError: for bone indices out of range or a radius count that does not match the bones.

    Example:
        >>> K = np.array([[100., 0, 32], [0, 100., 32], [0, 0, 1]])
        >>> j = np.array([[[0., -.2, 2], [0., .2, 2]], [[.02, -.2, 2], [.02, .2, 2]]])
        >>> grid = FlowField.full_frame(np.zeros((1, 64, 64, 2)))
        >>> cfg = SketchConfig(limb_radius_m=0.05)
        >>> s = sketch_bone_motion(j, K, np.ones((2, 2)), grid, bones=[(0, 1)], config=cfg)
        >>> s.flow[0, 32, 32].round(3).tolist()
        [1.0, 0.0]
    """
    bones = H36M17.bones if bones is None else tuple((int(a), int(b)) for a, b in bones)
    X, Ks, c, radii = _validate(joints3d, K, conf, grid, bones, config)
    P, h, w = grid.flow.shape[:3]

    X_t = torch.from_numpy(X)
    uv = project(X_t, torch.from_numpy(Ks))  # (T, J, 2) px
    valid = np.isfinite(X).all(-1) & (np.nan_to_num(X[..., 2], nan=0.0) > MIN_DEPTH_M)
    sigma = _displacement_error(uv.numpy(), valid)  # (P, J) px

    state = _Buffers(  # float32 maps (the geometry is float64, per candidate pixel)
        zbuf=torch.full((P, h, w), math.inf, dtype=torch.float32),
        flow=torch.zeros((P, h, w, 2), dtype=torch.float32),
        weight=torch.zeros((P, h, w), dtype=torch.float32),
    )
    geo = _PairGeometry(
        X=torch.from_numpy(np.nan_to_num(X, nan=1.0)), uv=torch.nan_to_num(uv, nan=0.0),
        f=torch.from_numpy(0.5 * (Ks[:-1, 0, 0] + Ks[:-1, 1, 1])), K1=torch.from_numpy(Ks[1:]),
        origin=torch.from_numpy(grid.origin.astype(np.float64)),
        scale=torch.from_numpy(grid.scale.astype(np.float64)),
        shape=(h, w),
    )
    sin_min = math.sin(math.radians(config.min_view_angle_deg))
    for (a, b), r in zip(bones, radii):
        c_det = np.minimum.reduce([c[:-1, a], c[:-1, b], c[1:, a], c[1:, b]])
        ok = valid[:-1, a] & valid[:-1, b] & valid[1:, a] & valid[1:, b] & (c_det > 0)
        g_view = _view_factor(X, a, b, sin_min)
        scalar = config.max_weight * c_det * g_view
        _draw_bone(geo, state, a, b, float(r), ok, torch.from_numpy(scalar), torch.from_numpy(sigma), config)

    # m_agree, eq. (3): robust agreement with the network flow where it is confident (drawn pixels only).
    drawn = state.weight > 0
    e2 = ((state.flow[drawn] - torch.from_numpy(grid.flow)[drawn]) ** 2).sum(-1)
    c_net = torch.from_numpy(grid.confidence)[drawn].clamp(0.0, 1.0)
    state.weight[drawn] *= 1.0 - config.network_veto * c_net * e2 / (e2 + config.disagree_px**2)
    return Sketch(flow=state.flow.numpy(), weight=state.weight.clamp(0.0, 1.0).numpy())


def compose_target(network_flow: FlowField, sketch: Sketch) -> FlowField:
    """The fine-tuning target ``(1 - W) F + W S`` (module docstring, eq. (1)).

    The target's confidence is the probability that either source is right, treating the network's confidence
    c_F and the sketch weight W as independent: ``1 - (1 - c_F)(1 - W)``. It equals c_F where the sketch is
    absent (so the network's own flow, where it was trusted, anchors the fine-tuning) and rises to 1 where the
    sketch is fully trusted.

    Args:
        network_flow: the network flow F, P pairs on grids (P, h, w).
        sketch: S and W drawn on the same grids.

    Returns:
        A :class:`FlowField` on the same grids (origin, scale, image size).

    Raises:
        ShapeError: if the sketch is not on a grid of the flow's shape.
    """
    if sketch.weight.shape != network_flow.flow.shape[:3]:
        raise ShapeError("sketch.weight", str(network_flow.flow.shape[:3]), sketch.weight.shape)
    W = np.clip(sketch.weight, 0.0, 1.0)[..., None]
    flow = (1.0 - W) * network_flow.flow + W * sketch.flow
    c_net = np.clip(network_flow.confidence, 0.0, 1.0)
    confidence = c_net + W[..., 0] * (1.0 - c_net)  # = 1 - (1 - c_F)(1 - W), exactly c_F where W = 0
    return FlowField(flow, confidence, network_flow.origin, network_flow.scale, network_flow.image_size)


# Internals


@dataclass
class _Buffers:
    """The z-buffer and the maps drawn so far, (P, h, w[, 2]) float32."""

    zbuf: torch.Tensor
    flow: torch.Tensor
    weight: torch.Tensor


@dataclass(frozen=True)
class _PairGeometry:
    """Per-video geometry shared by every bone: joints (T, J, 3), projections (T, J, 2), focal (P,), K at t+1
    (P, 3, 3), grid origin (P, 2), scale (P,), grid shape (h, w)."""

    X: torch.Tensor
    uv: torch.Tensor
    f: torch.Tensor
    K1: torch.Tensor
    origin: torch.Tensor
    scale: torch.Tensor
    shape: tuple[int, int]


def _validate(
    joints3d: np.ndarray,
    K: np.ndarray,
    conf: np.ndarray,
    grid: FlowField,
    bones: tuple[tuple[int, int], ...],
    config: SketchConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check the inputs; return float64 joints (T, J, 3), K (T, 3, 3), conf (T, J) and radii (B,)."""
    X = np.asarray(joints3d, dtype=np.float64)
    if X.ndim != 3 or X.shape[-1] != 3 or X.shape[0] < 2:
        raise ShapeError("joints3d", "(T, J, 3) with T >= 2", X.shape)
    T, J, _ = X.shape
    Ks = np.asarray(K, dtype=np.float64)
    if Ks.shape not in ((3, 3), (T, 3, 3)):
        raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", Ks.shape)
    Ks = np.broadcast_to(Ks, (T, 3, 3)).copy()
    c = np.asarray(conf, dtype=np.float64)
    if c.shape != (T, J):
        raise ShapeError("conf", f"({T}, {J})", c.shape)
    if grid.num_pairs != T - 1:
        raise ShapeError("grid.flow", f"({T - 1}, h, w, 2) for T = {T} frames", grid.flow.shape)
    for a, b in bones:
        if not (0 <= a < J and 0 <= b < J):
            raise InputError(f"bones: joint indices must lie in [0, {J}), got ({a}, {b})")
    radii = np.atleast_1d(np.asarray(config.limb_radius_m, dtype=np.float64))
    if radii.size == 1:
        radii = np.full(len(bones), radii[0])
    elif radii.size != len(bones):
        raise InputError(
            f"SketchConfig.limb_radius_m has {radii.size} radii (one per bone) but {len(bones)} bones were "
            f"given; pass one float or a tuple of {len(bones)}"
        )
    return X, Ks, np.clip(np.nan_to_num(c, nan=0.0), 0.0, 1.0), radii


def _displacement_error(uv: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """sigma of m_motion (module docstring): |p_{t+1} - 2 p_t + p_{t-1}| / sqrt(3), worst of the two second
    differences touching each pair; 0 where none can be formed (T = 2 or missing neighbours).

    Args:
        uv: (T, J, 2) projected joints, px.
        valid: (T, J) usable joints.

    Returns:
        (P, J) estimated displacement error, px.
    """
    T, J = valid.shape
    acc = np.full((T, J), np.nan)
    if T >= 3:
        second = np.linalg.norm(uv[2:] - 2.0 * uv[1:-1] + uv[:-2], axis=-1)
        ok = valid[2:] & valid[1:-1] & valid[:-2]
        acc[1:-1] = np.where(ok, second, np.nan)
    worst = np.fmax(acc[:-1], acc[1:])  # differences centred at t and at t+1
    return np.nan_to_num(worst, nan=0.0) / math.sqrt(3.0)


def _view_factor(X: np.ndarray, a: int, b: int, sin_min: float) -> np.ndarray:
    """g_view (module docstring) of bone (a, b) for every pair: (P,) in [0, 1], worst of frames t and t+1."""
    if sin_min == 0:
        return np.ones(X.shape[0] - 1)
    bone = X[:, b] - X[:, a]
    ray = 0.5 * (X[:, a] + X[:, b])
    cross = np.linalg.norm(np.cross(bone, ray), axis=-1)
    norms = np.linalg.norm(bone, axis=-1) * np.linalg.norm(ray, axis=-1)
    sin_theta = np.nan_to_num(cross / np.maximum(norms, 1e-12), nan=0.0)
    g = np.clip(sin_theta / sin_min, 0.0, 1.0)
    return np.minimum(g[:-1], g[1:])


def _falloff(u: torch.Tensor, config: SketchConfig) -> torch.Tensor:
    """a(u) of eq. (3): 1 on the core u <= core_fraction, then down to 0 at the limb's edge u = 1."""
    if config.falloff == "none":
        return torch.ones_like(u)
    s = ((u - config.core_fraction) / (1.0 - config.core_fraction)).clamp(0.0, 1.0)
    if config.falloff == "linear":
        return 1.0 - s
    return 0.5 * (1.0 + torch.cos(math.pi * s))


def _draw_bone(
    geo: _PairGeometry,
    state: _Buffers,
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
    geo: _PairGeometry,
    state: _Buffers,
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

    # Foot of each pixel on the projected segment (screen parameter lambda) and its distance d.
    v = pb - pa
    lam = (((px - pa) * v).sum(-1) / (v**2).sum(-1).clamp_min(1e-12)).clamp(0.0, 1.0)
    d = (px - pa - lam[..., None] * v).norm(dim=-1)
    inv_z = (1.0 - lam) / za + lam / zb  # perspective-correct depth along the projected bone
    rho = torch.maximum(ex(geo.f) * r * inv_z, config.min_radius_px * s)
    u = d / rho
    covered = (u <= 1.0) & (gx <= w - 1) & (gy <= h - 1)

    # z-buffer on the cylinder's front surface; everything below runs on the winners only.
    k_idx, i_idx, j_idx = covered.nonzero(as_tuple=True)
    t_idx, y_idx, x_idx = ts[k_idx], gy[covered], gx[covered]
    u, lam, z = u[covered], lam[covered], 1.0 / inv_z[covered]
    z_surf = z - r * (1.0 - u**2).clamp_min(0.0).sqrt()
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


def _rotation_2d(v0: torch.Tensor, v1: torch.Tensor) -> torch.Tensor:
    """(n, 2, 2) rotation taking direction v0 (n, 2) to v1 (n, 2); identity where either is degenerate."""
    n0, n1 = v0.norm(dim=-1), v1.norm(dim=-1)
    good = (n0 > 1e-6) & (n1 > 1e-6)
    e0 = v0 / n0.clamp_min(1e-12)[:, None]
    e1 = v1 / n1.clamp_min(1e-12)[:, None]
    cos = torch.where(good, (e0 * e1).sum(-1), torch.ones_like(n0))
    sin = torch.where(good, e0[:, 0] * e1[:, 1] - e0[:, 1] * e1[:, 0], torch.zeros_like(n0))
    return torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
