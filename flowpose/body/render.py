"""A rendered clip of a body model's mesh: textured frames and their exact optical flow.

The synthetic world of :mod:`flowpose.synth` renders capsule bodies; this renders any skinned mesh (the
stand-in SMPL or SMPL-X model, or a user's model) with the z-buffered rasteriser of :mod:`flowpose.body.raster`,
so that the whole flow-pose loop of an SMPL refinement, fine-tuning included, can run on a clip whose flow is
known at every pixel.

- The body wears a procedural solid texture (:func:`flowpose.synth.textures.random_texture`) fixed in the rest
  pose: a pixel's colour is the texture at the rest-pose position of the surface point it shows,
  sum_k b_k V_k^rest, so the pattern moves with the skin.
- The camera is static; the background is a textured plane, so its flow is zero.
- The flow of a body pixel is the motion of its surface point (:func:`flowpose.body.raster.surface_motion`),
  forward from frame t and backward from frame t+1; it is exact where the point stays visible and, as any
  optical flow, says nothing about where it goes behind another limb.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from flowpose.body.raster import rasterize, surface_motion, surface_points
from flowpose.flow.field import FlowField
from flowpose.synth.textures import TextureConfig, random_palettes, random_texture


@dataclass(frozen=True)
class MeshClip:
    """A rendered mesh clip.

    Attributes:
        frames: (T, H, W, 3) uint8 RGB.
        flow: the exact forward flow of the T - 1 pairs (t -> t+1 at frame t's pixels), full frame, confidence 1.
        backward: the exact backward flow of the same pairs (t+1 -> t at frame t+1's pixels).
        mask: (T, H, W) bool, the pixels the body covers.
    """

    frames: np.ndarray
    flow: FlowField
    backward: FlowField
    mask: np.ndarray


def render_mesh_clip(
    vertices: np.ndarray,
    faces: np.ndarray,
    rest_vertices: np.ndarray,
    K: np.ndarray,
    image_size: tuple[int, int],
    seed: int = 0,
) -> MeshClip:
    """Render a mesh sequence (module docstring).

    Args:
        vertices: (T, V, 3) camera frame, metres.
        faces: (F, 3) triangles.
        rest_vertices: (V, 3) the rest pose the texture is fixed in, metres.
        K: (3, 3) or (T, 3, 3) intrinsics, px.
        image_size: (H, W).
        seed: of the textures.

    Returns:
        :class:`MeshClip`.
    """
    H, W = image_size
    T = vertices.shape[0]
    rng = np.random.default_rng(seed)
    palettes = random_palettes(rng)
    config = TextureConfig()
    body = random_texture(rng, config.body_wavelengths_m, palettes["top"], config)
    background = random_texture(rng, (0.02, 0.3), palettes["background"], config, planar=True)
    ys, xs = np.mgrid[0:H, 0:W]
    plane = np.stack([xs, ys, np.zeros_like(xs)], -1).reshape(-1, 3) * 0.004  # 4 mm a pixel
    frames = np.repeat(background(plane).reshape(1, H, W, 3), T, axis=0)
    Ks = np.broadcast_to(np.asarray(K, np.float64), (T, 3, 3))
    raster = rasterize(vertices, faces, Ks, np.zeros((T, 2)), np.ones(T), (H, W))
    rest = torch.as_tensor(np.asarray(rest_vertices, np.float64))[None]
    points = surface_points(rest, torch.as_tensor(np.asarray(faces), dtype=torch.int64), raster,
                            torch.zeros_like(raster.frame))
    t, y, x = raster.frame.numpy(), raster.y.numpy(), raster.x.numpy()
    frames[t, y, x] = body(points.numpy())
    flows = []
    for step, frames_with_a_pair in ((1, raster.frame < T - 1), (-1, raster.frame > 0)):
        part = raster.subset(frames_with_a_pair)
        flow = np.zeros((T, H, W, 2), np.float32)
        flow[part.frame.numpy(), part.y.numpy(), part.x.numpy()] = surface_motion(vertices, faces, Ks, part,
                                                                                  step).numpy()
        flows.append(FlowField.full_frame(flow[:-1] if step == 1 else flow[1:]))
    return MeshClip(frames=(frames * 255.0 + 0.5).astype(np.uint8), flow=flows[0], backward=flows[1],
                    mask=raster.mask())
