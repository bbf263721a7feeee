"""The mesh sketch: the flow a body model's mesh implies over its whole silhouette, for the flow stage.

The bone sketch (:mod:`flowpose.refinement.sketch`) draws each bone as a cylinder of a guessed radius. With a
body model the surface is known: every grid pixel the projected mesh covers (z-buffered,
:func:`flowpose.body.raster.rasterize`) shows a surface point X = sum_k b_k V_k(t), which moves with the mesh to
X' = sum_k b_k V_k(t+1), so

    S(x) = pi(X') - x                                                                       (1)

exactly, over the silhouette and with the occlusions between limbs as the mesh has them. The weight follows
the bone sketch's trust model, eq. (3) there, with the factors that apply to a surface:

    W = max_weight * g_facing * m_motion(part).                                             (2)

- g_facing: a triangle seen edge-on covers few pixels whose motion is dominated by its depth error;
  g_facing = min(1, |n . r| / sin(min_view_angle)), n the triangle's unit normal and r the unit ray to the
  surface point, worst of frames t and t+1 (the bone sketch's g_view, for a surface).
- m_motion: the motion uncertainty of the body part the pixel shows. The part segmentation is the skinning's:
  each vertex belongs to the joint that moves it most, a pixel to the part of its triangle's vertex with the
  largest barycentric. sigma of a part is the mean over its vertices of |p_{t+1} - 2 p_t + p_{t-1}| / sqrt(3)
  (:func:`flowpose.refinement.sketch.displacement_error`, worst of the two differences touching the pair), and
  m_motion = tau^2 / (tau^2 + sigma^2).
- m_agree (``network_veto``) as in the bone sketch. There is no detection confidence: a body model's output has
  none.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from flowpose.body.raster import MIN_DEPTH_M, Raster, rasterize, surface_motion, surface_points
from flowpose.camera import project_np
from flowpose.errors import ShapeError
from flowpose.flow.field import FlowField
from flowpose.refinement.sketch import Sketch, SketchConfig, displacement_error, with_network_agreement


def sketch_mesh_motion(
    vertices: np.ndarray,
    faces: np.ndarray,
    K: np.ndarray,
    parts: np.ndarray,
    grid: FlowField,
    config: SketchConfig = SketchConfig(),
) -> Sketch:
    """Draw the mesh's motion from frame t to t+1 on the grid of every frame pair (module docstring).

    Args:
        vertices: (T, V, 3) the current fit's vertices, camera frame, metres.
        faces: (F, 3) triangles.
        K: (3, 3) or (T, 3, 3) intrinsics, px.
        parts: (V,) int the body part (joint) of each vertex (:meth:`flowpose.body.model.BodyModel.parts`).
        grid: the network flow on its grids (full frame or crops), T - 1 pairs.
        config: ``max_weight``, ``min_view_angle_deg``, ``motion_trust_px``, ``network_veto`` and
            ``disagree_px`` apply (radii and falloff are the bone sketch's).

    Returns:
        The :class:`~flowpose.refinement.sketch.Sketch` on ``grid``'s grids.

    Raises:
        ShapeError: for arrays of the wrong shape or a grid with other than T - 1 pairs.
    """
    V = np.asarray(vertices, np.float64)
    if V.ndim != 3 or V.shape[-1] != 3 or V.shape[0] < 2:
        raise ShapeError("vertices", "(T, V, 3) with T >= 2", V.shape)
    T, num_vertices, _ = V.shape
    if grid.num_pairs != T - 1:
        raise ShapeError("grid.flow", f"({T - 1}, h, w, 2) for T = {T} frames", grid.flow.shape)
    if np.shape(parts) != (num_vertices,):
        raise ShapeError("parts", f"({num_vertices},)", np.shape(parts))
    Ks = np.broadcast_to(np.asarray(K, np.float64), (T, 3, 3))
    P, h, w = grid.flow.shape[:3]
    raster = rasterize(V[:-1], faces, Ks[:-1], grid.origin, grid.scale, (h, w))
    motion = surface_motion(V, faces, Ks, raster)

    F = torch.as_tensor(np.asarray(faces), dtype=torch.int64)
    Vt = torch.as_tensor(V)
    g = _facing(Vt, F, raster, math.sin(math.radians(config.min_view_angle_deg)))
    corner = F[raster.face, raster.bary.argmax(1)]
    part = torch.as_tensor(np.asarray(parts), dtype=torch.int64)[corner]
    sigma = torch.as_tensor(_part_sigma(V, Ks, np.asarray(parts)))[raster.frame, part]
    tau2 = config.motion_trust_px**2
    m_motion = 1.0 if math.isinf(tau2) else tau2 / (tau2 + sigma**2)

    flow = torch.zeros((P, h, w, 2), dtype=torch.float32)
    weight = torch.zeros((P, h, w), dtype=torch.float32)
    flow[raster.frame, raster.y, raster.x] = motion.float()
    weight[raster.frame, raster.y, raster.x] = (config.max_weight * g * m_motion).float()
    return with_network_agreement(flow, weight, grid, config)


def _facing(V: torch.Tensor, F: torch.Tensor, raster: Raster, sin_min: float) -> torch.Tensor:
    """g_facing (module docstring) of each rasterised pixel: (m,) in [0, 1], worst of frames t and t+1."""
    if sin_min == 0:
        return torch.ones(len(raster.face), dtype=torch.float64)
    worst = None
    for frame in (raster.frame, raster.frame + 1):
        corners = V[frame[:, None], F[raster.face]]  # (m, 3, 3)
        n = torch.linalg.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        X = surface_points(V, F, raster, frame)
        cos = (n * X).sum(-1).abs() / (n.norm(dim=-1) * X.norm(dim=-1)).clamp_min(1e-12)
        g = (cos / sin_min).clamp(0.0, 1.0)
        worst = g if worst is None else torch.minimum(worst, g)
    return worst


def _part_sigma(V: np.ndarray, Ks: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """(P, J) each part's mean vertex displacement error sigma (module docstring), px."""
    uv = project_np(V, Ks)  # points nearer than MIN_DEPTH_M are marked invalid below
    sigma = displacement_error(uv, V[..., 2] > MIN_DEPTH_M)  # (P, V)
    J = int(parts.max()) + 1
    total = np.zeros((sigma.shape[0], J))
    np.add.at(total, (slice(None), parts), sigma)
    return total / np.maximum(np.bincount(parts, minlength=J), 1)
