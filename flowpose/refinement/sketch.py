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
  bounded so that the network can at most halve (with network_veto 0.5) the sketch: the point of the sketch is to
  overrule the network on fast limbs, where it is often wrong and, being smooth, still self-consistent.

**Defaults.** Chosen on the held-out tuning clip (cmu_3dsmax/131_01, 60 frames, metro and spin profiles) by
the human-pixel EPE of the target (1) against ground truth, which bounds what fine-tuning can reach
(``benchmarks/experiments/tune_sketch.py``). The trust factors that only *lower* W everywhere cost more than they save
there: from the initial poses (metro), network 2.42 px, target 1.70 px with a cosine falloff, max_weight 0.9
and network_veto 0.5; 1.36 px with a flat profile, max_weight 1 and no veto (spin: 2.00 -> 1.79). The falloff
discards most of each limb's width (mean W 0.39 against 0.62), and the veto removed weight from correct
sketches as often as from gross pose errors. So the defaults keep c_det, g_view and m_motion (the factors that
single out the unreliable bones and frames) and turn a(u) and m_agree off; both stay available.

Everything is vectorised over frame pairs and pixels (torch); the only Python loops are over bones and over
chunks of pairs (to bound memory). The per-pixel rasterisation lives in :mod:`flowpose.refinement.rasterize`;
this module holds the configuration, the per-bone factors of (3) and the composition (1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import torch

from flowpose.camera import project
from flowpose.errors import InputError, ShapeError, check_fields
from flowpose.flow.field import FlowField
from flowpose.refinement.rasterize import MIN_DEPTH_M, PairGeometry, ZBufferMaps, draw_bone
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

@dataclass(frozen=True)
class SketchConfig:
    """How the bone-motion sketch is drawn and weighted (see the module docstring, eq. (3))."""

    limb_radius_m: float | tuple[float, ...] = H36M17_LIMB_RADIUS_M
    """Limb radius r in metres: one float for every bone, or one per bone in the order of ``bones``. The drawn
    half-width is the projected radius f r / z px."""
    min_radius_px: float = 1.0
    """Smallest drawn half-width in grid pixels, so that far or thin limbs still cover their axis pixels."""
    falloff: Literal["cosine", "linear", "none"] = "none"
    """Profile of the weight from the limb's core to its edge: a raised cosine, a linear ramp, or none (flat
    to the drawn edge, the default: see "Defaults" in the module docstring)."""
    core_fraction: float = 0.5
    """Fraction of the radius, from the axis, where the weight is flat before falling off, in [0, 1)."""
    max_weight: float = 1.0
    """Cap of W in [0, 1]; below 1 the network keeps a say even where the sketch is fully trusted."""
    motion_trust_px: float = 4.0
    """tau: estimated error (full-frame px) of a joint's 2D displacement at which the weight halves; inf
    disables the motion-uncertainty factor."""
    min_view_angle_deg: float = 20.0
    """Angle between bone and view ray below which the weight ramps down to 0 (0 disables)."""
    network_veto: float = 0.0
    """Largest fraction of the weight that a confident, disagreeing network flow removes, in [0, 1]; 0 (the
    default) switches the agreement factor off (see "Defaults")."""
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
        check_fields(
            self,
            {
                "min_radius_px": self.min_radius_px >= 0,
                "core_fraction": 0 <= self.core_fraction < 1,
                "max_weight": 0 <= self.max_weight <= 1,
                "motion_trust_px": self.motion_trust_px > 0,
                "min_view_angle_deg": 0 <= self.min_view_angle_deg < 90,
                "network_veto": 0 <= self.network_veto <= 1,
                "disagree_px": self.disagree_px > 0,
            },
        )


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
    sigma = displacement_error(uv.numpy(), valid)  # (P, J) px

    state = ZBufferMaps(  # float32 maps (the geometry is float64, per candidate pixel)
        zbuf=torch.full((P, h, w), math.inf, dtype=torch.float32),
        flow=torch.zeros((P, h, w, 2), dtype=torch.float32),
        weight=torch.zeros((P, h, w), dtype=torch.float32),
    )
    geo = PairGeometry(
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
        draw_bone(geo, state, a, b, float(r), ok, torch.from_numpy(scalar), torch.from_numpy(sigma), config)

    return with_network_agreement(state.flow, state.weight, grid, config)


def with_network_agreement(flow: torch.Tensor, weight: torch.Tensor, grid: FlowField, config: SketchConfig) -> Sketch:
    """The sketch with m_agree of eq. (3) applied: robust agreement with the network flow where it is confident
    (drawn pixels only). ``flow`` (P, h, w, 2) and ``weight`` (P, h, w) are on ``grid``'s grids; ``weight`` is
    changed in place."""
    drawn = weight > 0
    e2 = ((flow[drawn] - torch.from_numpy(grid.flow)[drawn]) ** 2).sum(-1)
    c_net = torch.from_numpy(grid.confidence)[drawn].clamp(0.0, 1.0)
    weight[drawn] *= 1.0 - config.network_veto * c_net * e2 / (e2 + config.disagree_px**2)
    return Sketch(flow=flow.numpy(), weight=weight.clamp(0.0, 1.0).numpy())


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


# Input checks and the per-bone factors of eq. (3)


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


def displacement_error(uv: np.ndarray, valid: np.ndarray) -> np.ndarray:
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
